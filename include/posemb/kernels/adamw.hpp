#pragma once
// AdamW, step for step as torch.optim.AdamW (torch 1.13, _single_tensor_adamw, amsgrad off):
//   param *= 1 - lr * weight_decay
//   m = beta1 m + (1 - beta1) g ;  v = beta2 v + (1 - beta2) g^2
//   param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
//
// param, grad, m, v are flat arrays of n elements; step t counts from 1.
#include <cstdint>

#include "posemb/core/shape.hpp"

namespace posemb::kernels {

struct AdamWHyper {
  float learning_rate = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float weight_decay = 0.0f;
};

void adamw_update_reference(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                            std::int64_t step);
void adamw_update(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                  std::int64_t step);

}  // namespace posemb::kernels
