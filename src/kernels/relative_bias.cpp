// Relative-distance score bias (ALiBi, T5): the scalar reference and the Highway SIMD version
// (this file is compiled once per SIMD target by hwy/foreach_target.h).
// See include/posemb/kernels/relative_bias.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/relative_bias.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/highway.h>

#include "kernels/memory_bound_tag-inl.hpp"
#include "kernels/parallel_tokens.hpp"
#include "posemb/kernels/relative_bias.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// row[j] += window[j] for j in [0, n). Once kept out of line, as the inlined loop had measured
// slower (Zen 3). With loops aligned (-falign-loops in src/kernels/CMakeLists.txt) the two run
// alike on Zen 4, 1.35-1.36x memcpy at T = 512 on 1 thread and 1.31-1.32x on 2 (3 alternating
// runs), so the difference was most likely where the loop fell in the code.
HWY_INLINE void AddWindow(float* row, const float* window, Index n) {
  const MemoryBoundTag d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index j = 0;
  for (; j + lanes <= n; j += lanes) hn::StoreU(hn::Add(hn::LoadU(d, row + j), hn::LoadU(d, window + j)), d, row + j);
  for (; j < n; ++j) row[j] += window[j];
}

void AddRelativeBiasSimd(float* scores, const ScoreBlock& block, const float* bias, Index num_distances,
                         Index min_distance) {
  // Rows are (head, query) pairs, each an independent vector add. The head and query are
  // counted, not divided out of the row index: the next row's loads wait for its address, and
  // a 64-bit division per row (the divisor is not known at compile time) held them up: 64 queries
  // x 512 keys in the cache went from 0.70-1.01x to 1.08-1.12x memcpy on 1 thread (A/B, 3 rounds).
  const Index queries = block.q_len, keys = block.k_len;
  if (queries == 0 || keys == 0) return;  // no rows (and no division by a zero query count below)
  const Index first_window = block.k_start - block.q_start - min_distance;  // query 0's window in its head's bias
  for_token_ranges(block.heads * queries, keys, [&](Index first, Index last) {
    Index h = first / queries, i = first % queries;
    for (Index r = first; r < last; ++r) {
      AddWindow(scores + r * keys, bias + h * num_distances + first_window - i, keys);
      if (++i == queries) {
        i = 0;
        ++h;
      }
    }
  });
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(AddRelativeBiasSimd);

DistanceRange relative_distance_range(const ScoreBlock& block) {
  if (block.q_len == 0 || block.k_len == 0) return {0, 0};
  const Index lowest = block.k_start - (block.q_start + block.q_len - 1);
  const Index highest = (block.k_start + block.k_len - 1) - block.q_start;
  return {lowest, highest - lowest + 1};
}

void add_relative_bias(float* scores, const ScoreBlock& block, const float* bias, Index num_distances,
                       Index min_distance) {
  HWY_DYNAMIC_DISPATCH(AddRelativeBiasSimd)(scores, block, bias, num_distances, min_distance);
}

void add_relative_bias_reference(float* scores, const ScoreBlock& block, const float* bias, Index num_distances,
                                 Index min_distance) {
  for (Index h = 0; h < block.heads; ++h) {
    const float* head_bias = bias + h * num_distances;
    for (Index i = 0; i < block.q_len; ++i) {
      float* row = scores + (h * block.q_len + i) * block.k_len;
      const float* window = head_bias + (block.k_start - (block.q_start + i) - min_distance);
      for (Index j = 0; j < block.k_len; ++j) row[j] += window[j];
    }
  }
}

void relative_bias_backward_reference(const float* grad_scores, const ScoreBlock& block, float* grad_bias,
                                      Index num_distances, Index min_distance) {
  for (Index h = 0; h < block.heads; ++h) {
    float* head_grad = grad_bias + h * num_distances;
    for (Index i = 0; i < block.q_len; ++i) {
      const float* row = grad_scores + (h * block.q_len + i) * block.k_len;
      float* window = head_grad + (block.k_start - (block.q_start + i) - min_distance);
      for (Index j = 0; j < block.k_len; ++j) window[j] += row[j];
    }
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
