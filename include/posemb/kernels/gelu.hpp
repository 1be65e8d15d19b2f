#pragma once
// GELU, tanh approximation (GPT-2; torch.nn.functional.gelu(x, approximate='tanh')):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
//
// x, y, dy, dx are flat arrays of n elements (any shape).
#include "posemb/core/shape.hpp"

namespace posemb::kernels {

void gelu_forward_reference(const float* x, float* y, Index n);
void gelu_forward(const float* x, float* y, Index n);  // SIMD (Highway), on the kernel threads

// dx = dy * gelu'(x) (overwrites dx; dx may alias dy).
void gelu_backward_reference(const float* dy, const float* x, float* dx, Index n);
void gelu_backward(const float* dy, const float* x, float* dx, Index n);

}  // namespace posemb::kernels
