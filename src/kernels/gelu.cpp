// GELU (tanh approximation): a scalar reference and a Highway SIMD version dispatched at run
// time (this file is compiled once per SIMD target by hwy/foreach_target.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/gelu.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>

#include "posemb/kernels/gelu.hpp"

// sqrt(2/pi) and the cubic coefficient, as in torch's GeluKernel (kBeta, kKappa).
#ifndef POSEMB_GELU_CONSTANTS
#define POSEMB_GELU_CONSTANTS
namespace posemb::kernels::gelu_detail {
inline constexpr float kBeta = 0.7978845608028654f;  // M_SQRT2 * M_2_SQRTPI * 0.5
inline constexpr float kKappa = 0.044715f;
// Elements per piece handed to one thread; fixed so results never depend on the thread count.
inline constexpr Index kPiece = 16384;
}  // namespace posemb::kernels::gelu_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// y = 0.5 x (1 + tanh(inner)), inner = beta (x + kappa x^3)
void GeluForwardSimd(const float* x, float* y, Index n) {
  const hn::ScalableTag<float> d;
  const auto beta = hn::Set(d, gelu_detail::kBeta), kappa = hn::Set(d, gelu_detail::kKappa);
  const auto half = hn::Set(d, 0.5f), one = hn::Set(d, 1.0f);
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, x + i);
    const auto cube = hn::Mul(hn::Mul(v, v), v);
    const auto inner = hn::Mul(beta, hn::MulAdd(kappa, cube, v));
    const auto t = hn::Tanh(d, inner);
    hn::StoreU(hn::Mul(hn::Mul(half, v), hn::Add(one, t)), d, y + i);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    const float inner = gelu_detail::kBeta * (v + gelu_detail::kKappa * v * v * v);
    y[i] = 0.5f * v * (1.0f + std::tanh(inner));
  }
}

// gelu'(x) = 0.5 (1 + t) + 0.5 x (1 - t^2) beta (1 + 3 kappa x^2), t = tanh(inner)
void GeluBackwardSimd(const float* dy, const float* x, float* dx, Index n) {
  const hn::ScalableTag<float> d;
  const auto beta = hn::Set(d, gelu_detail::kBeta), kappa = hn::Set(d, gelu_detail::kKappa);
  const auto kappa3 = hn::Set(d, 3.0f * gelu_detail::kKappa);
  const auto half = hn::Set(d, 0.5f), one = hn::Set(d, 1.0f);
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, x + i);
    const auto v2 = hn::Mul(v, v);
    const auto inner = hn::Mul(beta, hn::MulAdd(hn::Mul(kappa, v2), v, v));
    const auto t = hn::Tanh(d, inner);
    const auto left = hn::Mul(half, hn::Add(one, t));
    const auto sech2 = hn::NegMulAdd(t, t, one);
    const auto inner_grad = hn::Mul(beta, hn::MulAdd(kappa3, v2, one));
    const auto right = hn::Mul(hn::Mul(half, v), hn::Mul(sech2, inner_grad));
    hn::StoreU(hn::Mul(hn::LoadU(d, dy + i), hn::Add(left, right)), d, dx + i);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    const float t = std::tanh(gelu_detail::kBeta * (v + gelu_detail::kKappa * v * v * v));
    const float grad = 0.5f * (1.0f + t) +
                       0.5f * v * (1.0f - t * t) * gelu_detail::kBeta * (1.0f + 3.0f * gelu_detail::kKappa * v * v);
    dx[i] = dy[i] * grad;
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(GeluForwardSimd);
HWY_EXPORT(GeluBackwardSimd);

void gelu_forward_reference(const float* x, float* y, Index n) {
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    const double inner = 0.7978845608028654 * (v + 0.044715 * v * v * v);
    y[i] = float(0.5 * v * (1.0 + std::tanh(inner)));
  }
}

void gelu_backward_reference(const float* dy, const float* x, float* dx, Index n) {
  for (Index i = 0; i < n; ++i) {
    const double v = x[i];
    const double beta = 0.7978845608028654, kappa = 0.044715;
    const double t = std::tanh(beta * (v + kappa * v * v * v));
    const double grad = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * beta * (1.0 + 3.0 * kappa * v * v);
    dx[i] = float(double(dy[i]) * grad);
  }
}

void gelu_forward(const float* x, float* y, Index n) {
  const Index pieces = (n + gelu_detail::kPiece - 1) / gelu_detail::kPiece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index begin = p * gelu_detail::kPiece, count = std::min(gelu_detail::kPiece, n - begin);
    HWY_DYNAMIC_DISPATCH(GeluForwardSimd)(x + begin, y + begin, count);
  }
}

void gelu_backward(const float* dy, const float* x, float* dx, Index n) {
  const Index pieces = (n + gelu_detail::kPiece - 1) / gelu_detail::kPiece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index begin = p * gelu_detail::kPiece, count = std::min(gelu_detail::kPiece, n - begin);
    HWY_DYNAMIC_DISPATCH(GeluBackwardSimd)(dy + begin, x + begin, dx + begin, count);
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
