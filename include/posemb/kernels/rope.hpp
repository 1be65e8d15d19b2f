#pragma once
// RoPE: rotate pairs of channels of queries/keys by position-dependent angles.
//
//   x, out      [tokens, heads, head_dim]   contiguous (tokens = batch * seq, flattened)
//   positions   [tokens]                    position of each token, 0 <= p < cache_positions
//               or [positions_per_sequence] shared by every sequence of a batch (see RopeLayout);
//               or null: a token's position is its index in its sequence (callers at an offset
//               pass cos and sin from that offset's row)
//   cos, sin    [cache_positions, rotary_dim / 2]  precomputed by the scheme (attention factor folded in)
//
// Only channels [rotary_begin, rotary_begin + rotary_dim) of each head rotate; the others are
// copied (partial rotary, GPT-NeoX / Phi; axial RoPE calls this once per axis). Pair k uses
// angle column k of the cache. The two pairings (ggml calls them NORMAL and NEOX):
//
//   kHalves       (GPT-NeoX, Llama, Hugging Face `rotate_half`):
//                 pair k = (r[k], r[k + rotary_dim/2])      r = the rotary channels
//                 [ a0 a1 a2 a3 | b0 b1 b2 b3 ]  rotates (a0,b0) (a1,b1) (a2,b2) (a3,b3)
//   kInterleaved  (GPT-J, original RoFormer, `rotate_every_two`):
//                 pair k = (r[2k], r[2k + 1])
//                 [ a0 b0 a1 b1 a2 b2 a3 b3 ]  rotates (a0,b0) (a1,b1) ...
//
// For each pair (a, b) with c = cos[p, k], s = sin[p, k]:
//   forward:  a' = a c - b s,  b' = b c + a s
//   inverse:  a' = a c + b s,  b' = b c - a s   (the transpose: RoPE's backward, and un-rotation)
// Products are rounded before the sum, as PyTorch's `q * cos + rotate_half(q) * sin` does.
//
// out may alias x (in place). No allocation; the caller has validated sizes and positions.
//
// rope_apply is the fast version (Highway SIMD with runtime dispatch; large tensors are split
// over the kernel threads by token). It gives the same bits as rope_reference: the same
// products and sums in the same order, no fused multiply-add. An output larger than the
// last-level cache is written with streaming stores when it is aligned (as posemb's tensors
// are), so it is in memory, not in the cache, when the call returns.
#include <cstdint>

namespace posemb::kernels {

using Index = std::int64_t;

enum class RopePairing { kHalves, kInterleaved };
enum class RotationDirection { kForward, kInverse };

struct RopeLayout {
  Index tokens = 0;
  Index heads = 0;
  Index head_dim = 0;
  Index rotary_begin = 0;  // first rotated channel within a head
  Index rotary_dim = 0;    // even, rotary_begin + rotary_dim <= head_dim
  RopePairing pairing = RopePairing::kHalves;
  // 0: positions has an entry per token. n > 0: the tokens are a batch of sequences of n tokens
  // at the same positions, and positions has n entries (token t is at positions[t % n]).
  Index positions_per_sequence = 0;
};

// The position of token t under `layout`.
inline Index token_position(const RopeLayout& layout, const Index* positions, Index t) {
  const Index in_sequence = layout.positions_per_sequence > 0 ? t % layout.positions_per_sequence : t;
  return positions != nullptr ? positions[in_sequence] : in_sequence;
}

void rope_reference(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                    const float* sin, RotationDirection direction);
void rope_apply(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                const float* sin, RotationDirection direction);

}  // namespace posemb::kernels
