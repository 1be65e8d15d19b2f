#include "posemb/positional/alibi.hpp"

#include <fmt/format.h>

#include <cmath>

#include "posemb/core/memory_budget.hpp"
#include "posemb/positional/score_block.hpp"

namespace posemb::positional {

std::vector<float> alibi_slopes(Index num_heads) {
  if (num_heads < 1) throw Error(fmt::format("alibi: number of heads must be at least 1, got {}", num_heads));
  Index closest = 1;
  while (closest * 2 <= num_heads) closest *= 2;
  // 2^(-(2^-(log2(n') - 3))) = 2^(-8 / n'), rounded to float32 and raised to integer powers in
  // float32, as BLOOM does (torch.pow of a float32 base).
  const auto base = static_cast<float>(std::exp2(-8.0 / static_cast<double>(closest)));
  std::vector<float> slopes;
  for (Index k = 1; k <= closest; ++k) slopes.push_back(std::pow(base, static_cast<float>(k)));
  if (closest != num_heads) {
    const auto extra_base = static_cast<float>(std::exp2(-4.0 / static_cast<double>(closest)));
    const Index remaining = std::min(closest, num_heads - closest);
    for (Index k = 0; k < remaining; ++k) slopes.push_back(std::pow(extra_base, static_cast<float>(2 * k + 1)));
  }
  return slopes;
}

void validate(const AlibiParams& p) {
  if (p.num_heads < 1) throw Error(fmt::format("alibi: number of heads must be at least 1, got {}", p.num_heads));
}

Alibi::Alibi(const AlibiParams& params) : params_(params) {
  validate(params_);
  slopes_ = alibi_slopes(params_.num_heads);
}

std::vector<float> Alibi::distance_bias(kernels::DistanceRange range) const {
  require_allocation(fmt::format("alibi: {} heads x {} distances", params_.num_heads, range.count),
                     MemoryEstimate().add("the biases by distance", {params_.num_heads, range.count}, sizeof(float),
                                          "float32 values"));
  std::vector<float> bias(static_cast<std::size_t>(params_.num_heads * range.count));
  for (Index h = 0; h < params_.num_heads; ++h)
    for (Index k = 0; k < range.count; ++k) {
      const Index d = range.min_distance + k;
      const float m = slopes_[static_cast<std::size_t>(h)];
      bias[static_cast<std::size_t>(h * range.count + k)] = params_.direction == AlibiDirection::kCausal
                                                                 ? m * static_cast<float>(d)
                                                                 : -m * static_cast<float>(d < 0 ? -d : d);
    }
  return bias;
}

void Alibi::add_to_scores(TensorView<float> scores, Index q_start, Index k_start) const {
  const kernels::ScoreBlock block = score_block_of(scores, params_.num_heads, q_start, k_start, "alibi");
  const kernels::DistanceRange range = kernels::relative_distance_range(block);
  const std::vector<float> bias = distance_bias(range);
  kernels::add_relative_bias(scores.data(), block, bias.data(), range.count, range.min_distance);
}

Tensor Alibi::bias_matrix(Index q_len, Index k_len, Index q_start, Index k_start) const {
  if (q_len < 0 || k_len < 0)
    throw Error(fmt::format("alibi: lengths must be 0 or more, got {} queries and {} keys", q_len, k_len));
  require_allocation(
      fmt::format("alibi: a bias matrix of {} heads x {} queries x {} keys", params_.num_heads, q_len, k_len),
      MemoryEstimate().add("the biases", {params_.num_heads, q_len, k_len}, sizeof(float), "float32 values"));
  Tensor out({params_.num_heads, q_len, k_len});
  add_to_scores(out.view(), q_start, k_start);
  return out;
}

}  // namespace posemb::positional
