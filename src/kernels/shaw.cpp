#include "posemb/kernels/shaw.hpp"

#include <algorithm>

namespace posemb::kernels {
namespace {

Index clipped_index(const ShawBlock& b, Index i, Index j) {
  const Index distance = (b.scores.k_start + j) - (b.scores.q_start + i);
  return std::clamp(distance, -b.max_relative, b.max_relative) + b.max_relative;
}

}  // namespace

void shaw_add_key_logits_reference(const float* q, float* logits, const ShawBlock& block, const float* key_table) {
  const ScoreBlock& s = block.scores;
  for (Index h = 0; h < s.heads; ++h)
    for (Index i = 0; i < s.q_len; ++i) {
      const float* qv = q + (i * s.heads + h) * block.head_dim;
      float* row = logits + (h * s.q_len + i) * s.k_len;
      for (Index j = 0; j < s.k_len; ++j) {
        const float* kv = key_table + clipped_index(block, i, j) * block.head_dim;
        float dot = 0.0f;
        for (Index c = 0; c < block.head_dim; ++c) dot += qv[c] * kv[c];
        row[j] += dot;
      }
    }
}

void shaw_add_value_output_reference(const float* probs, float* out, const ShawBlock& block,
                                     const float* value_table) {
  const ScoreBlock& s = block.scores;
  for (Index h = 0; h < s.heads; ++h)
    for (Index i = 0; i < s.q_len; ++i) {
      const float* row = probs + (h * s.q_len + i) * s.k_len;
      float* ov = out + (i * s.heads + h) * block.head_dim;
      for (Index j = 0; j < s.k_len; ++j) {
        const float* vv = value_table + clipped_index(block, i, j) * block.head_dim;
        for (Index c = 0; c < block.head_dim; ++c) ov[c] += row[j] * vv[c];
      }
    }
}

void shaw_key_logits_backward_reference(const float* q, const float* grad_logits, const ShawBlock& block,
                                        const float* key_table, float* grad_q, float* grad_key_table) {
  const ScoreBlock& s = block.scores;
  for (Index h = 0; h < s.heads; ++h)
    for (Index i = 0; i < s.q_len; ++i) {
      const float* qv = q + (i * s.heads + h) * block.head_dim;
      float* gq = grad_q + (i * s.heads + h) * block.head_dim;
      const float* grow = grad_logits + (h * s.q_len + i) * s.k_len;
      for (Index j = 0; j < s.k_len; ++j) {
        const Index r = clipped_index(block, i, j);
        const float* kv = key_table + r * block.head_dim;
        float* gk = grad_key_table + r * block.head_dim;
        for (Index c = 0; c < block.head_dim; ++c) {
          gq[c] += grow[j] * kv[c];
          gk[c] += grow[j] * qv[c];
        }
      }
    }
}

void shaw_value_output_backward_reference(const float* probs, const float* grad_out, const ShawBlock& block,
                                          const float* value_table, float* grad_probs, float* grad_value_table) {
  const ScoreBlock& s = block.scores;
  for (Index h = 0; h < s.heads; ++h)
    for (Index i = 0; i < s.q_len; ++i) {
      const float* prow = probs + (h * s.q_len + i) * s.k_len;
      float* gprow = grad_probs + (h * s.q_len + i) * s.k_len;
      const float* go = grad_out + (i * s.heads + h) * block.head_dim;
      for (Index j = 0; j < s.k_len; ++j) {
        const Index r = clipped_index(block, i, j);
        const float* vv = value_table + r * block.head_dim;
        float* gv = grad_value_table + r * block.head_dim;
        float dot = 0.0f;
        for (Index c = 0; c < block.head_dim; ++c) {
          dot += go[c] * vv[c];
          gv[c] += prow[j] * go[c];
        }
        gprow[j] += dot;
      }
    }
}

}  // namespace posemb::kernels
