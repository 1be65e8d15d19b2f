#pragma once
// T5 relative position buckets (Raffel et al. 2020; Hugging Face `T5Attention`): the score
// of query i and key j gets a learned bias table[bucket(j - i), h].
//
// bucket(d), as `_relative_position_bucket` computes it (num_buckets B, max_distance M):
//   bidirectional: B' = B / 2; keys after the query (d > 0) use buckets [B', B), keys before
//                  or at it use [0, B'), each by n = |d|
//   causal:        B' = B; n = max(-d, 0) (keys after the query all fall in bucket 0)
//   then with E = B' / 2:  n < E  -> bucket n                        (exact)
//                          n >= E -> E + int(ln(n / E) / ln(M / E) * (B' - E)), at most B' - 1
// The logarithm is taken in float32, as PyTorch does: the bucket edges match it exactly.
//
// table is [num_buckets, num_heads] (nn.Embedding(num_buckets, n_heads)).
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/kernels/relative_bias.hpp"

namespace posemb::positional {

struct T5BiasParams {
  Index num_heads = 0;
  Index num_buckets = 32;
  Index max_distance = 128;
  bool bidirectional = true;  // encoder self-attention; decoders use causal
};

// Throws posemb::Error naming num_buckets / max_distance / num_heads.
void validate(const T5BiasParams& params);

// relative_position = key position - query position.
Index t5_relative_position_bucket(Index relative_position, const T5BiasParams& params);

// Buckets of a block: [q_len, k_len].
IdTensor t5_bucket_matrix(const T5BiasParams& params, Index q_len, Index k_len, Index q_start = 0, Index k_start = 0);

class T5RelativeBias {
 public:
  // table is [num_buckets, num_heads].
  T5RelativeBias(const T5BiasParams& params, Tensor table);

  const T5BiasParams& params() const { return params_; }
  const Tensor& table() const { return table_; }

  // Bias per head and relative distance for the distances in `range`: [heads, range.count].
  std::vector<float> distance_bias(kernels::DistanceRange range) const;

  // scores is [heads, q_len, k_len]; query i at q_start + i, key j at k_start + j.
  void add_to_scores(TensorView<float> scores, Index q_start = 0, Index k_start = 0) const;

  // The bias itself, [heads, q_len, k_len] (HF's compute_bias without the batch dimension).
  Tensor bias_matrix(Index q_len, Index k_len, Index q_start = 0, Index k_start = 0) const;

  // grad_table [num_buckets, num_heads] += the score gradients summed per bucket and head.
  void backward(TensorView<const float> grad_scores, TensorView<float> grad_table, Index q_start = 0,
                Index k_start = 0) const;

 private:
  T5BiasParams params_;
  Tensor table_;
};

}  // namespace posemb::positional
