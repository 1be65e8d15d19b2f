#pragma once
// Layer normalisation over the last dimension, as torch.nn.LayerNorm (biased variance,
// eps inside the square root):
//   y[r, :] = (x[r, :] - mean[r]) * rstd[r] * weight + bias,  rstd = 1 / sqrt(var + eps)
//
// x, y, dy, dx are [rows, channels]; weight, bias, dweight, dbias are [channels];
// mean and rstd are [rows], written by the forward pass and read by the backward pass.
#include "posemb/core/shape.hpp"

namespace posemb::kernels {

inline constexpr float kLayerNormEps = 1e-5f;  // torch.nn.LayerNorm's default

void layer_norm_forward_reference(const float* x, const float* weight, const float* bias, float* y, float* mean,
                                  float* rstd, Index rows, Index channels, float eps = kLayerNormEps);
void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        Index rows, Index channels, float eps = kLayerNormEps);

// Accumulates (+=) into dx, dweight and dbias.
void layer_norm_backward_reference(const float* dy, const float* x, const float* weight, const float* mean,
                                   const float* rstd, float* dx, float* dweight, float* dbias, Index rows,
                                   Index channels);
void layer_norm_backward(const float* dy, const float* x, const float* weight, const float* mean, const float* rstd,
                         float* dx, float* dweight, float* dbias, Index rows, Index channels);

}  // namespace posemb::kernels
