// AdamW: a scalar reference in double and a Highway SIMD version (this file is compiled once
// per SIMD target by hwy/foreach_target.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/adamw.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>

#include "posemb/kernels/adamw.hpp"

#ifndef POSEMB_ADAMW_SCALARS
#define POSEMB_ADAMW_SCALARS
namespace posemb::kernels::adamw_detail {

// The per-step scalars, computed in double and rounded to float as torch does when a Python
// float meets a float32 tensor.
struct Scalars {
  float decay;  // 1 - lr * weight_decay
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float bias_correction2_sqrt;
  float eps;
  float step_size;  // lr / (1 - beta1^t)
};

inline Scalars scalars_for(const AdamWHyper& h, std::int64_t step) {
  const double lr = h.learning_rate, b1 = h.beta1, b2 = h.beta2;
  const double bc1 = 1.0 - std::pow(b1, double(step)), bc2 = 1.0 - std::pow(b2, double(step));
  return {float(1.0 - lr * double(h.weight_decay)),
          h.beta1,
          float(1.0 - b1),
          h.beta2,
          float(1.0 - b2),
          float(std::sqrt(bc2)),
          h.eps,
          float(lr / bc1)};
}

}  // namespace posemb::kernels::adamw_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The same float operations in the same order as the scalar tail, element by element.
void AdamWSimd(float* param, const float* grad, float* m, float* v, Index n, const adamw_detail::Scalars& s) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto b1 = hn::Set(d, s.beta1), omb1 = hn::Set(d, s.one_minus_beta1);
  const auto b2 = hn::Set(d, s.beta2), omb2 = hn::Set(d, s.one_minus_beta2);
  const auto bc2 = hn::Set(d, s.bias_correction2_sqrt), eps = hn::Set(d, s.eps);
  const auto decay = hn::Set(d, s.decay), step = hn::Set(d, s.step_size);
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto g = hn::LoadU(d, grad + i);
    const auto mi = hn::Add(hn::Mul(hn::LoadU(d, m + i), b1), hn::Mul(omb1, g));
    const auto vi = hn::Add(hn::Mul(hn::LoadU(d, v + i), b2), hn::Mul(hn::Mul(omb2, g), g));
    const auto denom = hn::Add(hn::Div(hn::Sqrt(vi), bc2), eps);
    const auto p = hn::Sub(hn::Mul(hn::LoadU(d, param + i), decay), hn::Mul(step, hn::Div(mi, denom)));
    hn::StoreU(p, d, param + i);
    hn::StoreU(mi, d, m + i);
    hn::StoreU(vi, d, v + i);
  }
  for (; i < n; ++i) {
    const float g = grad[i];
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * g;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    const float denom = std::sqrt(vi) / s.bias_correction2_sqrt + s.eps;
    param[i] = param[i] * s.decay - s.step_size * (mi / denom);
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(AdamWSimd);

void adamw_update_reference(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                            std::int64_t step) {
  const double lr = hyper.learning_rate, b1 = hyper.beta1, b2 = hyper.beta2;
  const double bc1 = 1.0 - std::pow(b1, double(step)), bc2 = 1.0 - std::pow(b2, double(step));
  for (Index i = 0; i < n; ++i) {
    double p = double(param[i]) * (1.0 - lr * hyper.weight_decay);
    const double mi = b1 * m[i] + (1.0 - b1) * grad[i];
    const double vi = b2 * v[i] + (1.0 - b2) * double(grad[i]) * grad[i];
    p -= lr / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + hyper.eps);
    param[i] = float(p);
    m[i] = float(mi);
    v[i] = float(vi);
  }
}

void adamw_update(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                  std::int64_t step) {
  HWY_DYNAMIC_DISPATCH(AdamWSimd)(param, grad, m, v, n, adamw_detail::scalars_for(hyper, step));
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
