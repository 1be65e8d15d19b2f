#pragma once
// Causal multi-head attention, forward and backward, FlashAttention-style: queries are taken
// in blocks, keys in tiles, and the softmax is computed online (running maximum and sum), so
// memory is O(block × tile) per head instead of O(T²). The backward pass recomputes the
// probabilities tile by tile from the saved log-sum-exp (FlashAttention-2, Dao 2023).
//
// Where positional schemes act, and how this kernel sees them:
//   - added to the input (learned, sinusoidal): before the model's first block; not here.
//   - rotating queries and keys (RoPE): the caller rotates q and k before this kernel and
//     rotates dq and dk back after the backward pass.
//   - biasing scores (ALiBi, T5): `DistanceBias`, one vector per head over the distance
//     q_pos - k_pos, added inside each tile.
//   - relative keys and values (Shaw et al. 2018): `RelativeKeyValues`, added to the scores
//     and to the output inside each tile.
//
// Layout. For each of `batch` sequences:
//   q, out, dq, dout are [q_len, heads, head_dim]; k, v, dk, dv are [k_len, heads, head_dim],
//   with `*_stride` elements between consecutive tokens (so q, k, v can be views into a fused
//   [tokens, 3 · channels] projection) and sequences one after another (q_len · q_stride apart
//   for q, k_len · k_stride for k).
//   lse is [batch, heads, q_len]: the log-sum-exp of each query's scores, saved for backward.
// Positions: query i is at q_offset + i, key j at j; query i sees keys 0 ..= q_offset + i.
// With q_offset = k_len - q_len, q holds the newest tokens and k/v a KV cache of all of them.
//
// Scores: s[h, i, j] = scale · (q_i · k_j + q_i · K_rel[j - i]) + bias[h, q_pos - k_pos]
// Output: out_i = Σ_j softmax_j(s)[i, j] · (v_j + V_rel[j - i])
#include <cstdint>

#include "posemb/core/shape.hpp"

namespace posemb::kernels {

struct AttentionShape {
  Index batch = 1;
  Index heads = 1;
  Index head_dim = 0;
  Index q_len = 0;
  Index k_len = 0;       // ≥ q_offset + q_len
  Index q_offset = 0;    // absolute position of query 0
  Index q_stride = 0;    // elements between tokens of q (and dq)
  Index k_stride = 0;    // ... of k (and dk)
  Index v_stride = 0;    // ... of v (and dv)
  Index out_stride = 0;  // ... of out (and dout)
  float scale = 1.0f;    // usually 1 / sqrt(head_dim)
};

// A bias that depends only on the distance d = q_pos - k_pos ≥ 0 (ALiBi, T5 buckets):
// values is [heads, distances], distances ≥ q_offset + q_len. Its gradient has the same shape.
struct DistanceBias {
  const float* values = nullptr;
  Index distances = 0;
};

// Shaw et al. relative position representations, shared by all heads, in tensor2tensor's
// layout: keys and values are [2 · clip + 1, head_dim], row clip(k_pos - q_pos, -clip, clip) + clip.
// Under the causal mask only rows 0 ..= clip are read (keys at or before the query).
struct RelativeKeyValues {
  const float* keys = nullptr;
  const float* values = nullptr;
  Index clip = 0;
};

struct AttentionInputs {
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  DistanceBias bias;           // values == nullptr: none
  RelativeKeyValues relative;  // keys == nullptr: none
};

struct AttentionGradients {
  float* dq = nullptr;  // accumulated (+=), like every gradient here
  float* dk = nullptr;
  float* dv = nullptr;
  float* dbias = nullptr;             // [heads, distances], when inputs.bias is set (may be null)
  float* drelative_keys = nullptr;    // [2 · clip + 1, head_dim], when inputs.relative is set
  float* drelative_values = nullptr;  // (may be null)
};

// Throws posemb::Error naming the parameter when a shape, stride or table size is invalid.
// The kernels below assume a validated shape.
void validate_attention(const AttentionShape& shape, const AttentionInputs& inputs);

// Tiled, online-softmax forward on the kernel threads (one task per sequence × head).
// Writes out (all q_len rows of every head) and lse.
void attention_forward(const AttentionShape& shape, const AttentionInputs& inputs, float* out, float* lse);

// Tiled backward from out, lse and dout; accumulates into the gradients.
void attention_backward(const AttentionShape& shape, const AttentionInputs& inputs, const float* out, const float* lse,
                        const float* dout, const AttentionGradients& grads);

// The probabilities themselves, probs [batch, heads, q_len, k_len] (0 where the causal mask
// hides a key), computed as the reference does: O(T²) memory, for pictures and tests only.
void attention_probabilities(const AttentionShape& shape, const AttentionInputs& inputs, float* probs);

// Plain versions that build the full [q_len, k_len] score matrix of each head in double:
// the references the tiled kernels are tested against.
void attention_forward_reference(const AttentionShape& shape, const AttentionInputs& inputs, float* out, float* lse);
void attention_backward_reference(const AttentionShape& shape, const AttentionInputs& inputs, const float* dout,
                                  const AttentionGradients& grads);

}  // namespace posemb::kernels
