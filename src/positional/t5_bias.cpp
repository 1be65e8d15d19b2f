#include "posemb/positional/t5_bias.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posemb/core/memory_budget.hpp"
#include "posemb/positional/score_block.hpp"

namespace posemb::positional {
namespace {

Index half_if_bidirectional(const T5BiasParams& p) { return p.bidirectional ? p.num_buckets / 2 : p.num_buckets; }

}  // namespace

void validate(const T5BiasParams& p) {
  if (p.num_heads < 1) throw Error(fmt::format("t5: num_heads must be at least 1, got {}", p.num_heads));
  const Index min_buckets = p.bidirectional ? 4 : 2;
  if (p.num_buckets < min_buckets)
    throw Error(fmt::format("t5: num_buckets must be at least {} for {} attention, got {}", min_buckets,
                            p.bidirectional ? "bidirectional" : "causal", p.num_buckets));
  const Index max_exact = half_if_bidirectional(p) / 2;
  if (p.max_distance <= max_exact)
    throw Error(fmt::format("t5: max_distance must be more than {} (num_buckets{} / 2, the exact range), got {}",
                            max_exact, p.bidirectional ? " / 2" : "", p.max_distance));
}

Index t5_relative_position_bucket(Index relative_position, const T5BiasParams& p) {
  Index buckets = p.num_buckets;
  Index bucket = 0;
  Index n = 0;
  if (p.bidirectional) {
    buckets /= 2;
    if (relative_position > 0) bucket += buckets;
    n = relative_position < 0 ? -relative_position : relative_position;
  } else {
    n = relative_position < 0 ? -relative_position : 0;
  }
  const Index max_exact = buckets / 2;
  if (n < max_exact) return bucket + n;
  // float32 throughout, in the reference's order: log(n / E) / log(M / E) * (B' - E).
  const float ratio = static_cast<float>(n) / static_cast<float>(max_exact);
  const auto log_range = static_cast<float>(std::log(static_cast<double>(p.max_distance) / static_cast<double>(max_exact)));
  const float scaled = std::log(ratio) / log_range * static_cast<float>(buckets - max_exact);
  const Index large = std::min<Index>(max_exact + static_cast<Index>(scaled), buckets - 1);
  return bucket + large;
}

IdTensor t5_bucket_matrix(const T5BiasParams& params, Index q_len, Index k_len, Index q_start, Index k_start) {
  validate(params);
  if (q_len < 0 || k_len < 0)
    throw Error(fmt::format("t5: lengths must be 0 or more, got {} queries and {} keys", q_len, k_len));
  require_allocation(fmt::format("t5: a bucket matrix of {} queries x {} keys", q_len, k_len),
                     MemoryEstimate().add("the buckets", {q_len, k_len}, sizeof(std::int64_t), "int64 values"));
  IdTensor out({q_len, k_len});
  for (Index i = 0; i < q_len; ++i)
    for (Index j = 0; j < k_len; ++j)
      out.data()[i * k_len + j] = t5_relative_position_bucket((k_start + j) - (q_start + i), params);
  return out;
}

T5RelativeBias::T5RelativeBias(const T5BiasParams& params, Tensor table) : params_(params), table_(std::move(table)) {
  validate(params_);
  if (table_.shape() != Shape{params_.num_buckets, params_.num_heads})
    throw Error(fmt::format("t5: bias table must be [num_buckets {}, num_heads {}], got {}", params_.num_buckets,
                            params_.num_heads, shape_to_string(table_.shape())));
}

std::vector<float> T5RelativeBias::distance_bias(kernels::DistanceRange range) const {
  require_allocation(fmt::format("t5: {} heads x {} distances", params_.num_heads, range.count),
                     MemoryEstimate().add("the biases by distance", {params_.num_heads, range.count}, sizeof(float),
                                          "float32 values"));
  std::vector<float> bias(static_cast<std::size_t>(params_.num_heads * range.count));
  for (Index k = 0; k < range.count; ++k) {
    const Index bucket = t5_relative_position_bucket(range.min_distance + k, params_);
    for (Index h = 0; h < params_.num_heads; ++h)
      bias[static_cast<std::size_t>(h * range.count + k)] = table_.data()[bucket * params_.num_heads + h];
  }
  return bias;
}

void T5RelativeBias::add_to_scores(TensorView<float> scores, Index q_start, Index k_start) const {
  const kernels::ScoreBlock block = score_block_of(scores, params_.num_heads, q_start, k_start, "t5");
  const kernels::DistanceRange range = kernels::relative_distance_range(block);
  const std::vector<float> bias = distance_bias(range);
  kernels::add_relative_bias(scores.data(), block, bias.data(), range.count, range.min_distance);
}

Tensor T5RelativeBias::bias_matrix(Index q_len, Index k_len, Index q_start, Index k_start) const {
  if (q_len < 0 || k_len < 0)
    throw Error(fmt::format("t5: lengths must be 0 or more, got {} queries and {} keys", q_len, k_len));
  require_allocation(
      fmt::format("t5: a bias matrix of {} heads x {} queries x {} keys", params_.num_heads, q_len, k_len),
      MemoryEstimate().add("the biases", {params_.num_heads, q_len, k_len}, sizeof(float), "float32 values"));
  Tensor out({params_.num_heads, q_len, k_len});
  add_to_scores(out.view(), q_start, k_start);
  return out;
}

void T5RelativeBias::backward(TensorView<const float> grad_scores, TensorView<float> grad_table, Index q_start,
                              Index k_start) const {
  const kernels::ScoreBlock block = score_block_of(grad_scores, params_.num_heads, q_start, k_start, "t5");
  if (grad_table.shape() != table_.shape() || !grad_table.is_contiguous())
    throw Error(fmt::format("t5: grad_table must be a contiguous {}, got {}", shape_to_string(table_.shape()),
                            shape_to_string(grad_table.shape())));
  // First per distance (the kernel), then each distance's gradient goes to its bucket.
  const kernels::DistanceRange range = kernels::relative_distance_range(block);
  std::vector<float> grad_by_distance(static_cast<std::size_t>(params_.num_heads * range.count), 0.0f);
  kernels::relative_bias_backward_reference(grad_scores.data(), block, grad_by_distance.data(), range.count,
                                            range.min_distance);
  for (Index k = 0; k < range.count; ++k) {
    const Index bucket = t5_relative_position_bucket(range.min_distance + k, params_);
    for (Index h = 0; h < params_.num_heads; ++h)
      grad_table.data()[bucket * params_.num_heads + h] += grad_by_distance[static_cast<std::size_t>(h * range.count + k)];
  }
}

}  // namespace posemb::positional
