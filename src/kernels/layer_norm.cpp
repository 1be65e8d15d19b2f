// Layer normalisation: a scalar reference (double accumulation) and a Highway SIMD version
// (this file is compiled once per SIMD target by hwy/foreach_target.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/layer_norm.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "posemb/kernels/layer_norm.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Two passes per row (mean, then centred squares): as stable as Welford, and vectorises.
void LayerNormForwardRows(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                          Index rows, Index channels, float eps) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  for (Index r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    float* yr = y + r * channels;
    auto vsum = hn::Zero(d);
    Index c = 0;
    for (; c + lanes <= channels; c += lanes) vsum = hn::Add(vsum, hn::LoadU(d, xr + c));
    float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
    for (; c < channels; ++c) sum += xr[c];
    const float mu = sum / float(channels);

    const auto vmu = hn::Set(d, mu);
    auto vsq = hn::Zero(d);
    c = 0;
    for (; c + lanes <= channels; c += lanes) {
      const auto centred = hn::Sub(hn::LoadU(d, xr + c), vmu);
      vsq = hn::MulAdd(centred, centred, vsq);
    }
    float sq = hn::GetLane(hn::SumOfLanes(d, vsq));
    for (; c < channels; ++c) sq += (xr[c] - mu) * (xr[c] - mu);
    const float rs = 1.0f / std::sqrt(sq / float(channels) + eps);
    mean[r] = mu;
    rstd[r] = rs;

    const auto vrs = hn::Set(d, rs);
    c = 0;
    for (; c + lanes <= channels; c += lanes) {
      const auto xhat = hn::Mul(hn::Sub(hn::LoadU(d, xr + c), vmu), vrs);
      hn::StoreU(hn::MulAdd(xhat, hn::LoadU(d, weight + c), hn::LoadU(d, bias + c)), d, yr + c);
    }
    for (; c < channels; ++c) yr[c] = (xr[c] - mu) * rs * weight[c] + bias[c];
  }
}

// dx += rstd (g - mean(g) - xhat mean(g xhat)), g = dy * weight;
// dweight += dy * xhat, dbias += dy (into this piece's partial sums).
void LayerNormBackwardRows(const float* dy, const float* x, const float* weight, const float* mean, const float* rstd,
                           float* dx, float* dweight, float* dbias, Index rows, Index channels) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  for (Index r = 0; r < rows; ++r) {
    const float* dyr = dy + r * channels;
    const float* xr = x + r * channels;
    float* dxr = dx + r * channels;
    const auto vmu = hn::Set(d, mean[r]), vrs = hn::Set(d, rstd[r]);
    auto vg = hn::Zero(d), vgx = hn::Zero(d);
    Index c = 0;
    for (; c + lanes <= channels; c += lanes) {
      const auto xhat = hn::Mul(hn::Sub(hn::LoadU(d, xr + c), vmu), vrs);
      const auto vdy = hn::LoadU(d, dyr + c);
      const auto g = hn::Mul(vdy, hn::LoadU(d, weight + c));
      vg = hn::Add(vg, g);
      vgx = hn::MulAdd(g, xhat, vgx);
      hn::StoreU(hn::MulAdd(vdy, xhat, hn::LoadU(d, dweight + c)), d, dweight + c);
      hn::StoreU(hn::Add(vdy, hn::LoadU(d, dbias + c)), d, dbias + c);
    }
    float sum_g = hn::GetLane(hn::SumOfLanes(d, vg)), sum_gx = hn::GetLane(hn::SumOfLanes(d, vgx));
    for (; c < channels; ++c) {
      const float xhat = (xr[c] - mean[r]) * rstd[r];
      const float g = dyr[c] * weight[c];
      sum_g += g;
      sum_gx += g * xhat;
      dweight[c] += dyr[c] * xhat;
      dbias[c] += dyr[c];
    }
    const float mean_g = sum_g / float(channels), mean_gx = sum_gx / float(channels);
    const auto vmean_g = hn::Set(d, mean_g), vmean_gx = hn::Set(d, mean_gx);
    c = 0;
    for (; c + lanes <= channels; c += lanes) {
      const auto xhat = hn::Mul(hn::Sub(hn::LoadU(d, xr + c), vmu), vrs);
      const auto g = hn::Mul(hn::LoadU(d, dyr + c), hn::LoadU(d, weight + c));
      const auto delta = hn::Mul(vrs, hn::Sub(hn::Sub(g, vmean_g), hn::Mul(xhat, vmean_gx)));
      hn::StoreU(hn::Add(hn::LoadU(d, dxr + c), delta), d, dxr + c);
    }
    for (; c < channels; ++c) {
      const float xhat = (xr[c] - mean[r]) * rstd[r];
      const float g = dyr[c] * weight[c];
      dxr[c] += rstd[r] * (g - mean_g - xhat * mean_gx);
    }
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {
namespace {
HWY_EXPORT(LayerNormForwardRows);
HWY_EXPORT(LayerNormBackwardRows);

// Rows per piece handed to one thread; fixed so results never depend on the thread count.
constexpr Index kRowsPerPiece = 64;
}  // namespace

void layer_norm_forward_reference(const float* x, const float* weight, const float* bias, float* y, float* mean,
                                  float* rstd, Index rows, Index channels, float eps) {
  for (Index r = 0; r < rows; ++r) {
    const float* xr = x + r * channels;
    double sum = 0;
    for (Index c = 0; c < channels; ++c) sum += xr[c];
    const double mu = sum / double(channels);
    double sq = 0;
    for (Index c = 0; c < channels; ++c) sq += (xr[c] - mu) * (xr[c] - mu);
    const double rs = 1.0 / std::sqrt(sq / double(channels) + double(eps));
    for (Index c = 0; c < channels; ++c) y[r * channels + c] = float((xr[c] - mu) * rs * weight[c] + bias[c]);
    mean[r] = float(mu);
    rstd[r] = float(rs);
  }
}

void layer_norm_backward_reference(const float* dy, const float* x, const float* weight, const float* mean,
                                   const float* rstd, float* dx, float* dweight, float* dbias, Index rows,
                                   Index channels) {
  for (Index r = 0; r < rows; ++r) {
    const float* dyr = dy + r * channels;
    const float* xr = x + r * channels;
    double sum_g = 0, sum_gx = 0;
    for (Index c = 0; c < channels; ++c) {
      const double xhat = (double(xr[c]) - mean[r]) * rstd[r];
      const double g = double(dyr[c]) * weight[c];
      sum_g += g;
      sum_gx += g * xhat;
      dweight[c] += float(dyr[c] * xhat);
      dbias[c] += dyr[c];
    }
    for (Index c = 0; c < channels; ++c) {
      const double xhat = (double(xr[c]) - mean[r]) * rstd[r];
      const double g = double(dyr[c]) * weight[c];
      dx[r * channels + c] += float(rstd[r] * (g - sum_g / double(channels) - xhat * sum_gx / double(channels)));
    }
  }
}

void layer_norm_forward(const float* x, const float* weight, const float* bias, float* y, float* mean, float* rstd,
                        Index rows, Index channels, float eps) {
  const Index pieces = (rows + kRowsPerPiece - 1) / kRowsPerPiece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index r0 = p * kRowsPerPiece, count = std::min(kRowsPerPiece, rows - r0);
    HWY_DYNAMIC_DISPATCH(LayerNormForwardRows)
    (x + r0 * channels, weight, bias, y + r0 * channels, mean + r0, rstd + r0, count, channels, eps);
  }
}

void layer_norm_backward(const float* dy, const float* x, const float* weight, const float* mean, const float* rstd,
                         float* dx, float* dweight, float* dbias, Index rows, Index channels) {
  // Each piece sums its rows' weight/bias gradients into its own partial; the partials are
  // then added in piece order, so the result does not depend on the thread count.
  const Index pieces = (rows + kRowsPerPiece - 1) / kRowsPerPiece;
  std::vector<float> partial(static_cast<std::size_t>(pieces * 2 * channels), 0.0f);
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index r0 = p * kRowsPerPiece, count = std::min(kRowsPerPiece, rows - r0);
    float* pw = partial.data() + p * 2 * channels;
    HWY_DYNAMIC_DISPATCH(LayerNormBackwardRows)
    (dy + r0 * channels, x + r0 * channels, weight, mean + r0, rstd + r0, dx + r0 * channels, pw, pw + channels, count,
     channels);
  }
  for (Index p = 0; p < pieces; ++p) {
    const float* pw = partial.data() + p * 2 * channels;
    for (Index c = 0; c < channels; ++c) {
      dweight[c] += pw[c];
      dbias[c] += pw[channels + c];
    }
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
