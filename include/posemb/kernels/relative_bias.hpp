#pragma once
// Score biases that depend only on the relative distance d = key_position - query_position
// (ALiBi and T5 both reduce to this), on one block of queries x one block of keys:
//
//   scores       [heads, q_len, k_len]     query i is at position q_start + i,
//                                          key j at position k_start + j
//   bias         [heads, num_distances]    bias[h, d - min_distance] is the bias at distance d
//
//   forward:   scores[h, i, j] += bias[h, (k_start + j) - (q_start + i) - min_distance]
//   backward:  grad_bias[h, d - min_distance] += sum over (i, j) at distance d of grad_scores[h, i, j]
//              (grad_scores passes through to the scores unchanged)
//
// Row i of a head reads the contiguous window bias[h, k_start - q_start - i - min_distance ...]
// of length k_len, so a fast version is a plain vector add per row. The block's distances
// must lie in [min_distance, min_distance + num_distances): the caller checks
// (relative_distance_range gives the range). No allocation.
// add_relative_bias is the fast version (Highway SIMD, large blocks split over the kernel
// threads by row), bit-identical to the reference.
#include <cstdint>

namespace posemb::kernels {

using Index = std::int64_t;

struct ScoreBlock {
  Index heads = 0;
  Index q_len = 0;
  Index k_len = 0;
  Index q_start = 0;  // position of query row 0 (a KV-cache offset)
  Index k_start = 0;  // position of key column 0
};

// Smallest and one-past-largest distance that occur in the block.
struct DistanceRange {
  Index min_distance = 0;
  Index count = 0;
};
DistanceRange relative_distance_range(const ScoreBlock& block);

void add_relative_bias(float* scores, const ScoreBlock& block, const float* bias, Index num_distances,
                       Index min_distance);
void add_relative_bias_reference(float* scores, const ScoreBlock& block, const float* bias, Index num_distances,
                                 Index min_distance);

void relative_bias_backward_reference(const float* grad_scores, const ScoreBlock& block, float* grad_bias,
                                      Index num_distances, Index min_distance);

}  // namespace posemb::kernels
