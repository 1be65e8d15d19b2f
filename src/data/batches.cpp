#include "posemb/data/batches.hpp"

#include <fmt/format.h>

#include <random>

#include "posemb/core/error.hpp"

namespace posemb::data {
namespace {

// SplitMix64 (Steele, Lea & Flood 2014): decorrelates (seed, step) before seeding mt19937_64.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

TokenSplit split_tokens(std::span<const std::uint32_t> tokens, double validation_fraction) {
  if (!(validation_fraction > 0.0 && validation_fraction < 1.0))
    throw Error(fmt::format("validation fraction must be in (0, 1) (is {})", validation_fraction));
  const auto held_out = static_cast<std::size_t>(double(tokens.size()) * validation_fraction);
  if (held_out == 0 || held_out >= tokens.size())
    throw Error(
        fmt::format("{} tokens are too few to hold out {} of them for evaluation", tokens.size(), validation_fraction));
  return {tokens.first(tokens.size() - held_out), tokens.last(held_out)};
}

BatchSampler::BatchSampler(std::span<const std::uint32_t> tokens, Index batch, Index seq, std::uint64_t seed)
    : tokens_(tokens), batch_(batch), seq_(seq), seed_(seed) {
  if (batch < 1 || seq < 1) throw Error(fmt::format("batch ({}) and sequence length ({}) must be ≥ 1", batch, seq));
  if (Index(tokens.size()) < seq + 1)
    throw Error(fmt::format("the training text has {} tokens, fewer than one window of {} + 1", tokens.size(), seq));
}

void BatchSampler::fill(std::int64_t step, std::vector<std::int32_t>& inputs,
                        std::vector<std::int32_t>& targets) const {
  std::mt19937_64 gen(splitmix64(seed_ ^ splitmix64(std::uint64_t(step))));
  const auto starts = std::uint64_t(Index(tokens_.size()) - seq_);  // start in [0, size - seq - 1]
  inputs.resize(std::size_t(batch_ * seq_));
  targets.resize(inputs.size());
  for (Index b = 0; b < batch_; ++b) {
    const std::uint64_t start = gen() % starts;
    for (Index t = 0; t < seq_; ++t) {
      inputs[std::size_t(b * seq_ + t)] = std::int32_t(tokens_[std::size_t(start) + std::size_t(t)]);
      targets[std::size_t(b * seq_ + t)] = std::int32_t(tokens_[std::size_t(start) + std::size_t(t) + 1]);
    }
  }
}

Index evaluation_window_count(std::span<const std::uint32_t> tokens, Index seq, Index max_windows) {
  if (Index(tokens.size()) < seq + 1) return 0;
  return std::min(max_windows, (Index(tokens.size()) - 1) / seq);
}

void fill_evaluation_window(std::span<const std::uint32_t> tokens, Index index, Index seq, std::int32_t* inputs,
                            std::int32_t* targets) {
  const std::size_t start = std::size_t(index * seq);
  if (start + std::size_t(seq) + 1 > tokens.size())
    throw Error(
        fmt::format("evaluation window {} of {} tokens runs past the {} held-out tokens", index, seq, tokens.size()));
  for (Index t = 0; t < seq; ++t) {
    inputs[t] = std::int32_t(tokens[start + std::size_t(t)]);
    targets[t] = std::int32_t(tokens[start + std::size_t(t) + 1]);
  }
}

}  // namespace posemb::data
