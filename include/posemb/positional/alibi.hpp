#pragma once
// ALiBi (Press et al. 2022): a per-head linear bias on the attention scores,
//
//   kCausal     bias[h, i, j] = m_h (j - i)      (<= 0 for the keys a causal query sees)
//   kSymmetric  bias[h, i, j] = -m_h |j - i|     (for bidirectional attention)
//
// with slopes m_h = 2^(-8 (h+1) / n) for n a power of two; otherwise the n' = 2^floor(log2 n)
// slopes for n', followed by every other slope of 2n' (the odd powers of 2^(-4/n')), as
// `get_slopes` in ofirpress/attention_with_linear_biases and BLOOM's `build_alibi_tensor`
// compute them. BLOOM adds m_h * j instead of m_h (j - i): the two differ by a constant per
// row, which softmax removes.
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/kernels/relative_bias.hpp"

namespace posemb::positional {

// Slopes for num_heads >= 1 heads, in float32 as BLOOM computes them (base^k, k = 1..n').
std::vector<float> alibi_slopes(Index num_heads);

enum class AlibiDirection { kCausal, kSymmetric };

struct AlibiParams {
  Index num_heads = 0;
  AlibiDirection direction = AlibiDirection::kCausal;
};

void validate(const AlibiParams& params);

class Alibi {
 public:
  explicit Alibi(const AlibiParams& params);

  const AlibiParams& params() const { return params_; }
  const std::vector<float>& slopes() const { return slopes_; }

  // Bias per head and relative distance for the distances in `range`: [heads, range.count].
  std::vector<float> distance_bias(kernels::DistanceRange range) const;

  // scores is [heads, q_len, k_len]; query i is at position q_start + i, key j at k_start + j.
  void add_to_scores(TensorView<float> scores, Index q_start = 0, Index k_start = 0) const;

  // The bias itself: [heads, q_len, k_len].
  Tensor bias_matrix(Index q_len, Index k_len, Index q_start = 0, Index k_start = 0) const;

 private:
  AlibiParams params_;
  std::vector<float> slopes_;
};

}  // namespace posemb::positional
