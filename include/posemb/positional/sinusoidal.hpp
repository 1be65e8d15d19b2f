#pragma once
// Fixed sinusoidal positions, added to the input embeddings. Two layouts are in use:
//
//   kInterleaved  (Vaswani et al. 2017; the PyTorch tutorial / Annotated Transformer code)
//                 PE[p, 2i] = sin(p w_i), PE[p, 2i+1] = cos(p w_i),  w_i = base^(-2i/d)
//                 computed as exp(2i * -(ln base / d)) in float32, as that code does.
//   kConcatenated (tensor2tensor `get_timing_signal_1d`, fairseq `SinusoidalPositionalEmbedding`)
//                 PE[p, i] = sin(p w_i), PE[p, d/2 + i] = cos(p w_i),
//                 w_i = exp(-i ln(base) / (d/2 - 1))   (note: d/2 - 1, not d/2)
//
// Each token's position is first_position + its index: 0 for the tutorial and tensor2tensor,
// padding_idx + 1 (= 2 with fairseq's default padding_idx 1) for fairseq. The table is
// multiplied by `scale` (1 unless a model says otherwise).
#include <span>

#include "posemb/core/tensor.hpp"
#include "posemb/positional/scheme.hpp"

namespace posemb::positional {

enum class SinusoidalLayout { kInterleaved, kConcatenated };

struct SinusoidalParams {
  Index dim = 0;  // even, >= 2
  SinusoidalLayout layout = SinusoidalLayout::kInterleaved;
  double base = 10000.0;     // > 1
  Index first_position = 0;  // >= 0
  float scale = 1.0f;
  AnglePrecision precision = AnglePrecision::kFloat32;
};

// Throws posemb::Error naming the offending parameter.
void validate(const SinusoidalParams& params);

// "interleaved" / "concat" (also "concatenated"); throws on anything else.
SinusoidalLayout parse_sinusoidal_layout(std::string_view name);
std::string_view sinusoidal_layout_name(SinusoidalLayout layout);

// Rows are computed on demand, or read from a table of the first `cache_positions` token
// indices computed once (as Rope caches cos/sin): add_to over cached indices allocates nothing and
// costs one float add per element; indices past the cache are computed per call.
class SinusoidalPositions {
 public:
  explicit SinusoidalPositions(const SinusoidalParams& params, Index cache_positions = 0);  // validates

  const SinusoidalParams& params() const { return params_; }
  Index dim() const { return params_.dim; }
  Index cache_positions() const { return cache_rows_; }

  // The frequencies w_i, [dim / 2].
  std::span<const float> frequencies() const { return frequencies_; }

  // Row for the token at index `token_index` (its position is first_position + token_index).
  void row(Index token_index, std::span<float> out) const;

  // Rows to add for these token indices: [positions.size(), dim]. The "positions -> rows to add"
  // interface shared with learned absolute positions.
  Tensor rows(std::span<const Index> token_indices) const;

  // The table for token indices 0 .. count-1: [count, dim].
  Tensor table(Index count) const;

  // x is [tokens, dim]: x[t, :] += row(token_indices[t]). Uses the cached table when every index
  // is below cache_positions(); otherwise computes the rows first (one allocation).
  void add_to(TensorView<float> x, std::span<const Index> token_indices) const;

  // x is [batch, seq, dim]: x[b, s, :] += row(token_offset + s) for every sequence b (a batch, or
  // a KV cache where token_offset tokens came before). Cached rows are read once per block of
  // positions for the whole batch (kernels::add_position_rows_to_batch).
  void add_to(TensorView<float> x, Index token_offset) const;

 private:
  void compute_row(Index token_index, std::span<float> out) const;

  SinusoidalParams params_;
  std::vector<float> frequencies_;
  std::vector<double> frequencies_f64_;
  Index cache_rows_ = 0;
  std::vector<float> cache_;  // [cache_rows_, dim]: the rows of token indices 0 .. cache_rows_ - 1
};

}  // namespace posemb::positional
