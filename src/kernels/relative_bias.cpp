#include "posemb/kernels/relative_bias.hpp"

namespace posemb::kernels {

DistanceRange relative_distance_range(const ScoreBlock& block) {
  if (block.q_len == 0 || block.k_len == 0) return {0, 0};
  const Index lowest = block.k_start - (block.q_start + block.q_len - 1);
  const Index highest = (block.k_start + block.k_len - 1) - block.q_start;
  return {lowest, highest - lowest + 1};
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
