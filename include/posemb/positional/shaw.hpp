#pragma once
// Shaw et al. (2018) relative position representations, as tensor2tensor implements them
// (`_generate_relative_positions_matrix`, `dot_product_attention_relative`): learned key and
// value vectors for each clipped distance, shared by all heads.
//
//   index(i, j) = clip(key_pos - query_pos, -k, k) + k          in [0, 2k]
//   logits[h, i, j] += q[i, h, :] . key_table[index(i, j), :]
//   out[i, h, :]    += sum_j probs[h, i, j] value_table[index(i, j), :]
//
// key_table and value_table are [2k + 1, head_dim]. Tensors are per batch element:
// q and out [q_len, heads, head_dim], logits and probs [heads, q_len, k_len].
#include "posemb/core/tensor.hpp"
#include "posemb/kernels/shaw.hpp"

namespace posemb::positional {

struct ShawParams {
  Index max_relative_position = 0;  // k >= 1
  Index head_dim = 0;
};

void validate(const ShawParams& params);

// clip(distance, -k, k) + k
Index shaw_relative_index(Index distance, Index max_relative_position);

// [q_len, k_len] of shaw_relative_index(key_pos - query_pos).
IdTensor shaw_index_matrix(Index max_relative_position, Index q_len, Index k_len, Index q_start = 0,
                           Index k_start = 0);

class ShawRelativePositions {
 public:
  ShawRelativePositions(const ShawParams& params, Tensor key_table, Tensor value_table);

  const ShawParams& params() const { return params_; }
  const Tensor& key_table() const { return key_table_; }
  const Tensor& value_table() const { return value_table_; }

  void add_key_logits(TensorView<const float> q, TensorView<float> logits, Index q_start = 0, Index k_start = 0) const;
  void add_value_output(TensorView<const float> probs, TensorView<float> out, Index q_start = 0,
                        Index k_start = 0) const;

  // Accumulate (+=) into grad_q / grad_key_table and grad_probs / grad_value_table.
  void key_logits_backward(TensorView<const float> q, TensorView<const float> grad_logits, TensorView<float> grad_q,
                           TensorView<float> grad_key_table, Index q_start = 0, Index k_start = 0) const;
  void value_output_backward(TensorView<const float> probs, TensorView<const float> grad_out,
                             TensorView<float> grad_probs, TensorView<float> grad_value_table, Index q_start = 0,
                             Index k_start = 0) const;

 private:
  kernels::ShawBlock block_of(TensorView<const float> per_query, TensorView<const float> scores, Index q_start,
                              Index k_start) const;
  void check_table_shaped(TensorView<const float> table, const char* name) const;

  ShawParams params_;
  Tensor key_table_;
  Tensor value_table_;
};

}  // namespace posemb::positional
