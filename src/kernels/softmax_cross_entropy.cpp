// Softmax cross-entropy: a scalar reference (double accumulation) and a Highway SIMD version
// (this file is compiled once per SIMD target by hwy/foreach_target.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/softmax_cross_entropy.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "posemb/kernels/softmax_cross_entropy.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// log(sum(exp(row))) with the maximum subtracted first so that exp never overflows.
float RowLogSumExp(const float* row, Index vocab) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  auto vmax = hn::Set(d, -std::numeric_limits<float>::infinity());
  Index i = 0;
  for (; i + lanes <= vocab; i += lanes) vmax = hn::Max(vmax, hn::LoadU(d, row + i));
  float max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  for (; i < vocab; ++i) max = std::max(max, row[i]);
  if (std::isinf(max)) return max;  // all -inf (or a +inf): the sum below would be NaN

  // Four accumulators: 4 × lanes partial sums keep the float error of a 50257-term sum small
  // (and hide the latency of the adds).
  const auto vshift = hn::Set(d, max);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  i = 0;
  for (; i + 4 * lanes <= vocab; i += 4 * lanes) {
    s0 = hn::Add(s0, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i), vshift)));
    s1 = hn::Add(s1, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i + lanes), vshift)));
    s2 = hn::Add(s2, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i + 2 * lanes), vshift)));
    s3 = hn::Add(s3, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i + 3 * lanes), vshift)));
  }
  for (; i + lanes <= vocab; i += lanes) s0 = hn::Add(s0, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i), vshift)));
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < vocab; ++i) sum += std::exp(row[i] - max);
  return max + std::log(sum);
}

void CrossEntropyRows(const float* logits, const std::int32_t* targets, float* losses, Index rows, Index vocab) {
  for (Index r = 0; r < rows; ++r) {
    const float* row = logits + r * vocab;
    losses[r] = RowLogSumExp(row, vocab) - row[targets[r]];
  }
}

// row := scale * (exp(row - lse) - onehot(target))
void CrossEntropyBackwardRows(float* logits, const std::int32_t* targets, float* losses, Index rows, Index vocab,
                              float scale) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto vscale = hn::Set(d, scale);
  for (Index r = 0; r < rows; ++r) {
    float* row = logits + r * vocab;
    const float lse = RowLogSumExp(row, vocab);
    const std::int32_t target = targets[r];
    losses[r] = lse - row[target];
    const auto vlse = hn::Set(d, lse);
    Index i = 0;
    for (; i + lanes <= vocab; i += lanes)
      hn::StoreU(hn::Mul(vscale, hn::Exp(d, hn::Sub(hn::LoadU(d, row + i), vlse))), d, row + i);
    for (; i < vocab; ++i) row[i] = scale * std::exp(row[i] - lse);
    row[target] -= scale;
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {
namespace {
HWY_EXPORT(CrossEntropyRows);
HWY_EXPORT(CrossEntropyBackwardRows);

double reference_log_sum_exp(const float* row, Index vocab) {
  double max = -std::numeric_limits<double>::infinity();
  for (Index i = 0; i < vocab; ++i) max = std::max(max, double(row[i]));
  if (std::isinf(max)) return max;
  double sum = 0;
  for (Index i = 0; i < vocab; ++i) sum += std::exp(double(row[i]) - max);
  return max + std::log(sum);
}

// Rows per piece: about 64k logits, so a piece is worth a thread whatever the vocabulary.
Index rows_per_piece(Index vocab) { return std::max<Index>(1, 65536 / std::max<Index>(1, vocab)); }
}  // namespace

void softmax_cross_entropy_reference(const float* logits, const std::int32_t* targets, float* losses, Index rows,
                                     Index vocab) {
  for (Index r = 0; r < rows; ++r) {
    const float* row = logits + r * vocab;
    losses[r] = float(reference_log_sum_exp(row, vocab) - double(row[targets[r]]));
  }
}

void softmax_cross_entropy_backward_in_place_reference(float* logits, const std::int32_t* targets, float* losses,
                                                       Index rows, Index vocab, float scale) {
  for (Index r = 0; r < rows; ++r) {
    float* row = logits + r * vocab;
    const double lse = reference_log_sum_exp(row, vocab);
    losses[r] = float(lse - double(row[targets[r]]));
    for (Index i = 0; i < vocab; ++i) {
      const double p = std::exp(double(row[i]) - lse);
      row[i] = float(double(scale) * (p - (i == targets[r] ? 1.0 : 0.0)));
    }
  }
}

void softmax_cross_entropy(const float* logits, const std::int32_t* targets, float* losses, Index rows, Index vocab) {
  const Index per_piece = rows_per_piece(vocab);
  const Index pieces = (rows + per_piece - 1) / per_piece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index r0 = p * per_piece, count = std::min(per_piece, rows - r0);
    HWY_DYNAMIC_DISPATCH(CrossEntropyRows)(logits + r0 * vocab, targets + r0, losses + r0, count, vocab);
  }
}

void softmax_cross_entropy_backward_in_place(float* logits, const std::int32_t* targets, float* losses, Index rows,
                                             Index vocab, float scale) {
  const Index per_piece = rows_per_piece(vocab);
  const Index pieces = (rows + per_piece - 1) / per_piece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index r0 = p * per_piece, count = std::min(per_piece, rows - r0);
    HWY_DYNAMIC_DISPATCH(CrossEntropyBackwardRows)(logits + r0 * vocab, targets + r0, losses + r0, count, vocab, scale);
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
