#pragma once
// Training and evaluation windows over a token sequence.
//
// A window is seq + 1 consecutive tokens: the model reads the first seq and predicts the
// last seq (each token's successor). Training batches are B windows at random starts, a pure
// function of (seed, step): a resumed run draws exactly the batches an uninterrupted one
// would, with no sampler state to save. Evaluation uses consecutive, non-overlapping windows.
#include <cstdint>
#include <span>
#include <vector>

#include "posemb/core/shape.hpp"

namespace posemb::data {

struct TokenSplit {
  std::span<const std::uint32_t> train;
  std::span<const std::uint32_t> validation;  // the last part of the tokens
};

// Holds out the last `validation_fraction` of the tokens (0 < fraction < 1). Throws
// posemb::Error if either part would be empty.
TokenSplit split_tokens(std::span<const std::uint32_t> tokens, double validation_fraction);

class BatchSampler {
 public:
  // Throws posemb::Error if the tokens hold fewer than seq + 1 tokens.
  BatchSampler(std::span<const std::uint32_t> tokens, Index batch, Index seq, std::uint64_t seed);

  Index batch() const { return batch_; }
  Index seq() const { return seq_; }

  // inputs and targets are resized to [batch, seq].
  void fill(std::int64_t step, std::vector<std::int32_t>& inputs, std::vector<std::int32_t>& targets) const;

 private:
  std::span<const std::uint32_t> tokens_;
  Index batch_, seq_;
  std::uint64_t seed_;
};

// The number of non-overlapping windows of seq + 1 tokens (consecutive windows share their
// boundary token, so the targets cover the text once), at most max_windows.
Index evaluation_window_count(std::span<const std::uint32_t> tokens, Index seq, Index max_windows);

// Window `index` into inputs/targets (seq each).
void fill_evaluation_window(std::span<const std::uint32_t> tokens, Index index, Index seq, std::int32_t* inputs,
                            std::int32_t* targets);

}  // namespace posemb::data
