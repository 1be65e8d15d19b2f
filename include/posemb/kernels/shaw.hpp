#pragma once
// Shaw et al. (2018) relative position representations, as tensor2tensor implements them
// (`dot_product_attention_relative`): one key table and one value table shared by all heads,
// indexed by the clipped relative distance.
//
//   q, grad_q            [q_len, heads, head_dim]
//   logits, probs,
//   grad_logits,
//   grad_probs           [heads, q_len, k_len]
//   out, grad_out        [q_len, heads, head_dim]
//   key_table,
//   value_table (+grads) [2 * max_relative + 1, head_dim]
//
//   r(i, j) = clip((k_start + j) - (q_start + i), -max_relative, max_relative) + max_relative
//   logits:  logits[h, i, j] += q[i, h, :] . key_table[r(i, j), :]
//   values:  out[i, h, :]    += sum_j probs[h, i, j] * value_table[r(i, j), :]
//
// Backward of the logit term:  grad_q[i, h, :] += sum_j grad_logits[h, i, j] key_table[r(i, j), :]
//                              grad_key_table[r(i, j), :] += grad_logits[h, i, j] q[i, h, :]
// Backward of the value term:  grad_probs[h, i, j] += grad_out[i, h, :] . value_table[r(i, j), :]
//                              grad_value_table[r(i, j), :] += probs[h, i, j] grad_out[i, h, :]
// Everything accumulates (+=), so a caller tiles over key blocks. No allocation.
#include "posemb/kernels/relative_bias.hpp"

namespace posemb::kernels {

struct ShawBlock {
  ScoreBlock scores;
  Index head_dim = 0;
  Index max_relative = 0;  // clip distance k
};

void shaw_add_key_logits_reference(const float* q, float* logits, const ShawBlock& block, const float* key_table);
void shaw_add_value_output_reference(const float* probs, float* out, const ShawBlock& block, const float* value_table);

void shaw_key_logits_backward_reference(const float* q, const float* grad_logits, const ShawBlock& block,
                                        const float* key_table, float* grad_q, float* grad_key_table);
void shaw_value_output_backward_reference(const float* probs, const float* grad_out, const ShawBlock& block,
                                          const float* value_table, float* grad_probs, float* grad_value_table);

}  // namespace posemb::kernels
