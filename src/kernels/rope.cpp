// RoPE: the scalar reference and the Highway SIMD version (this file is compiled once per SIMD
// target by hwy/foreach_target.h). Layouts and formulas: include/posemb/kernels/rope.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rope.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/memory_traffic.hpp"
#include "kernels/parallel_tokens.hpp"
#include "posemb/kernels/rope.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A store, or a streaming store for an output bigger than the cache (kernels/memory_traffic.hpp).
template <bool kStream, class D, class V>
HWY_INLINE void Store(V v, D d, float* p) {
  if constexpr (kStream) {
    hn::Stream(v, d, p);
  } else {
    hn::StoreU(v, d, p);
  }
}

// The last partial vector of a span runs through the same vector operations as the full ones,
// on copies padded with zeros, so that it rounds exactly as they do. A scalar tail is not safe:
// GCC 12's SLP vectorizer turns "a c - b s, b c + a s" into a fused vfmaddsub even under
// -ffp-contract=off.
constexpr std::size_t kMaxLanes = HWY_MAX_BYTES / sizeof(float);

// Copies count (< lanes) floats to an aligned block padded with zeros.
struct PaddedTail {
  HWY_ALIGN float values[kMaxLanes] = {};
  PaddedTail(const float* source, Index count) {
    std::memcpy(values, source, static_cast<std::size_t>(count) * sizeof(float));
  }
};

// One head's rotary channels in the halves pairing, r (read) -> o (written); may alias.
// a = r[0, half), b = r[half, 2 half) are plain contiguous vectors:
//   a' = a c - b s,  b' = b c + a s   (s negated for the inverse)
template <bool kInverse, bool kStream>
HWY_INLINE void RotateHalves(const float* r, float* o, const float* cos_row, const float* sin_row, Index half) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto rotate = [&](const float* a_at, const float* b_at, const float* c_at, const float* s_at, auto store) {
    const auto c = hn::LoadU(d, c_at);
    const auto s = kInverse ? hn::Neg(hn::LoadU(d, s_at)) : hn::LoadU(d, s_at);
    const auto a = hn::LoadU(d, a_at);
    const auto b = hn::LoadU(d, b_at);
    store(hn::Sub(hn::Mul(a, c), hn::Mul(b, s)), hn::Add(hn::Mul(b, c), hn::Mul(a, s)));
  };
  Index k = 0;
  for (; k + lanes <= half; k += lanes) {
    rotate(r + k, r + half + k, cos_row + k, sin_row + k, [&](auto a2, auto b2) {
      Store<kStream>(a2, d, o + k);
      Store<kStream>(b2, d, o + half + k);
    });
  }
  if (k < half) {
    const Index rest = half - k;
    const PaddedTail a(r + k, rest), b(r + half + k, rest), c(cos_row + k, rest), s(sin_row + k, rest);
    rotate(a.values, b.values, c.values, s.values, [&](auto a2, auto b2) {
      HWY_ALIGN float a_out[kMaxLanes], b_out[kMaxLanes];
      hn::Store(a2, d, a_out);
      hn::Store(b2, d, b_out);
      std::memcpy(o + k, a_out, static_cast<std::size_t>(rest) * sizeof(float));
      std::memcpy(o + half + k, b_out, static_cast<std::size_t>(rest) * sizeof(float));
    });
  }
}

// The interleaved pairing without de-interleaving: with per-channel tables
//   cos_pairs = [c0 c0 c1 c1 ...],  sin_pairs = [s0 -s0 s1 -s1 ...]   (signs swapped for the inverse)
// every vector of channels v rotates as v * cos_pairs + swap_adjacent(v * sin_pairs):
// channel 2k gets a c + b (-s), which rounds exactly as the reference's a c - b s, and channel
// 2k + 1 gets b c + a s. The swap stays within 128-bit blocks, where a de-interleaving load
// would cross them. It swaps the product, not v: swapping v, GCC folds one load of v into the
// shuffle and loads v again for the other product, 4 loads a vector instead of 3.
template <bool kStream>
HWY_INLINE void RotateInterleaved(const float* r, float* o, const float* cos_pairs, const float* sin_pairs,
                                  Index channels) {
#if HWY_TARGET == HWY_SCALAR  // one lane holds no pair; no FMA on this target either
  for (Index i = 0; i < channels; i += 2) {
    const float a = r[i], b = r[i + 1], c = cos_pairs[i], s = sin_pairs[i];
    o[i] = a * c - b * s;
    o[i + 1] = b * c + a * s;
  }
#else
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto rotate = [&](const float* v_at, const float* c_at, const float* s_at) {
    const auto v = hn::LoadU(d, v_at);
    return hn::Add(hn::Mul(v, hn::LoadU(d, c_at)), hn::Shuffle2301(hn::Mul(v, hn::LoadU(d, s_at))));
  };
  Index i = 0;
  for (; i + lanes <= channels; i += lanes) Store<kStream>(rotate(r + i, cos_pairs + i, sin_pairs + i), d, o + i);
  if (i < channels) {  // whole pairs: lanes and channels are even
    const Index rest = channels - i;
    const PaddedTail v(r + i, rest), c(cos_pairs + i, rest), s(sin_pairs + i, rest);
    HWY_ALIGN float out[kMaxLanes];
    hn::Store(rotate(v.values, c.values, s.values), d, out);
    std::memcpy(o + i, out, static_cast<std::size_t>(rest) * sizeof(float));
  }
#endif
}

// The tables of RotateInterleaved for `channels` channels, from the cos and sin of their pairs:
//   cos_pairs = [c0 c0 c1 c1 ...],  sin_pairs = [s0 -s0 s1 -s1 ...]  ([-s0 s0 ...] for the inverse).
// They are built for every token: one by one, that is as many stores as the rotation of two
// heads makes; with lane permutations, a vector of pairs at a time, an eighth of them
// (interleaved RoPE at T = 512 about 10% faster, A/B over 7 rounds, noisy).
template <bool kInverse>
HWY_INLINE void BuildPairTables(const float* cos_half, const float* sin_half, Index channels, float* cos_pairs,
                                float* sin_pairs) {
  Index i = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  // Lane j of the lower vector of pairs holds value j / 2, of the upper one value (lanes + j) / 2.
  const auto lower = hn::IndicesFromVec(d, hn::ShiftRight<1>(hn::Iota(di, 0)));
  const auto upper = hn::IndicesFromVec(d, hn::ShiftRight<1>(hn::Iota(di, static_cast<std::int32_t>(lanes))));
  // OddEven(odd, even): the first argument's odd lanes and the second's even lanes.
  const auto sign_pairs = [&](auto s) { return kInverse ? hn::OddEven(s, hn::Neg(s)) : hn::OddEven(hn::Neg(s), s); };
  for (; i + 2 * lanes <= channels; i += 2 * lanes) {
    const auto c = hn::LoadU(d, cos_half + i / 2);
    const auto s = hn::LoadU(d, sin_half + i / 2);
    hn::Store(hn::TableLookupLanes(c, lower), d, cos_pairs + i);
    hn::Store(hn::TableLookupLanes(c, upper), d, cos_pairs + i + lanes);
    hn::Store(sign_pairs(hn::TableLookupLanes(s, lower)), d, sin_pairs + i);
    hn::Store(sign_pairs(hn::TableLookupLanes(s, upper)), d, sin_pairs + i + lanes);
  }
#endif
  for (; i < channels; i += 2) {
    const float s = kInverse ? -sin_half[i / 2] : sin_half[i / 2];
    cos_pairs[i] = cos_pairs[i + 1] = cos_half[i / 2];
    sin_pairs[i] = s;
    sin_pairs[i + 1] = -s;
  }
}

// Channels that do not rotate (partial rotary) are copied when out is not x.
HWY_INLINE void CopyNonRotary(const float* xh, float* oh, const RopeLayout& layout) {
  const Index end = layout.rotary_begin + layout.rotary_dim;
  if (layout.rotary_begin > 0) std::memcpy(oh, xh, static_cast<std::size_t>(layout.rotary_begin) * sizeof(float));
  if (end < layout.head_dim)
    std::memcpy(oh + end, xh + end, static_cast<std::size_t>(layout.head_dim - end) * sizeof(float));
}

// Channels per interleaved pair table: tables live on the stack; a wider rotary span (rare)
// is done in pieces of this many channels.
constexpr Index kPairTableChannels = 512;

template <bool kInterleaved, bool kInverse, bool kStream>
void RopeTokens(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                const float* sin, Index first, Index last) {
  const Index half = layout.rotary_dim / 2;
  const Index head_floats = layout.head_dim;
  const Index total_floats = layout.tokens * layout.heads * head_floats;
  const float* x_end = x + total_floats;
  const float* out_end = out + total_floats;
  const bool in_place = out == x;
  const bool prefetch = data_outlives_cache(total_floats * static_cast<Index>(sizeof(float)) * (in_place ? 1 : 2));
  const bool prefetch_output = prefetch && !in_place && !kStream;  // streaming stores do not read their lines
  const auto prefetch_head = [&](Index offset) {
    if (!prefetch) return;
    prefetch_ahead(x + offset, head_floats, x_end);
    if (prefetch_output) prefetch_ahead(out + offset, head_floats, out_end);
  };
  const bool copy_non_rotary = !in_place && layout.rotary_dim < layout.head_dim;
  HWY_ALIGN float cos_pairs[kPairTableChannels];
  HWY_ALIGN float sin_pairs[kPairTableChannels];
  for (Index t = first; t < last; ++t) {
    const Index position = token_position(layout, positions, t);
    const float* cos_row = cos + position * half;
    const float* sin_row = sin + position * half;
    const float* xt = x + t * layout.heads * head_floats;
    float* ot = out + t * layout.heads * head_floats;
    if (copy_non_rotary)
      for (Index h = 0; h < layout.heads; ++h) CopyNonRotary(xt + h * head_floats, ot + h * head_floats, layout);
    if constexpr (kInterleaved) {
      for (Index piece = 0; piece < layout.rotary_dim; piece += kPairTableChannels) {
        const Index channels = std::min(kPairTableChannels, layout.rotary_dim - piece);
        BuildPairTables<kInverse>(cos_row + piece / 2, sin_row + piece / 2, channels, cos_pairs, sin_pairs);
        for (Index h = 0; h < layout.heads; ++h) {
          prefetch_head((t * layout.heads + h) * head_floats);
          const Index begin = layout.rotary_begin + piece;
          RotateInterleaved<kStream>(xt + h * head_floats + begin, ot + h * head_floats + begin, cos_pairs, sin_pairs,
                                     channels);
        }
      }
    } else {
      for (Index h = 0; h < layout.heads; ++h) {
        prefetch_head((t * layout.heads + h) * head_floats);
        const Index begin = layout.rotary_begin;
        RotateHalves<kInverse, kStream>(xt + h * head_floats + begin, ot + h * head_floats + begin, cos_row, sin_row,
                                        half);
      }
    }
  }
  if constexpr (kStream) hwy::FlushStream();
}

// Streaming stores need every vector they write aligned: the output, and each head's rotary
// span and halves within it.
bool CanStream(const float* x, const float* out, const RopeLayout& layout) {
  const hn::ScalableTag<float> d;
  const auto vector_bytes = static_cast<Index>(hn::Lanes(d) * sizeof(float));
  const auto aligned = [&](Index floats) { return floats * static_cast<Index>(sizeof(float)) % vector_bytes == 0; };
  const Index bytes = layout.tokens * layout.heads * layout.head_dim * static_cast<Index>(sizeof(float));
  return out != x && output_outlives_cache(bytes) && reinterpret_cast<std::uintptr_t>(out) % vector_bytes == 0 &&
         aligned(layout.head_dim) && aligned(layout.rotary_begin) &&
         (layout.pairing == RopePairing::kInterleaved || aligned(layout.rotary_dim / 2));
}

template <bool kStream>
auto PickRope(bool interleaved, bool inverse) {
  return interleaved ? (inverse ? RopeTokens<true, true, kStream> : RopeTokens<true, false, kStream>)
                     : (inverse ? RopeTokens<false, true, kStream> : RopeTokens<false, false, kStream>);
}

void RopeSimd(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
              const float* sin, RotationDirection direction) {
  const bool interleaved = layout.pairing == RopePairing::kInterleaved;
  const bool inverse = direction == RotationDirection::kInverse;
  auto run = CanStream(x, out, layout) ? PickRope<true>(interleaved, inverse) : PickRope<false>(interleaved, inverse);
  for_token_ranges(layout.tokens, layout.heads * layout.head_dim,
                   [&](Index first, Index last) { run(x, out, layout, positions, cos, sin, first, last); });
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(RopeSimd);

void rope_apply(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                const float* sin, RotationDirection direction) {
  HWY_DYNAMIC_DISPATCH(RopeSimd)(x, out, layout, positions, cos, sin, direction);
}

void rope_reference(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                    const float* sin, RotationDirection direction) {
  const Index half = layout.rotary_dim / 2;
  const float sign = direction == RotationDirection::kForward ? 1.0f : -1.0f;
  // In the interleaved pairing the partner of a channel is the next one; in halves it is
  // half a rotary span away.
  const Index first_step = layout.pairing == RopePairing::kInterleaved ? 2 : 1;
  const Index partner_offset = layout.pairing == RopePairing::kInterleaved ? 1 : half;
  for (Index t = 0; t < layout.tokens; ++t) {
    const Index position = token_position(layout, positions, t);
    const float* cos_row = cos + position * half;
    const float* sin_row = sin + position * half;
    for (Index h = 0; h < layout.heads; ++h) {
      const Index base = (t * layout.heads + h) * layout.head_dim;
      const float* xh = x + base;
      float* oh = out + base;
      if (oh != xh) {
        for (Index c = 0; c < layout.rotary_begin; ++c) oh[c] = xh[c];
        for (Index c = layout.rotary_begin + layout.rotary_dim; c < layout.head_dim; ++c) oh[c] = xh[c];
      }
      const float* xr = xh + layout.rotary_begin;
      float* orr = oh + layout.rotary_begin;
      for (Index k = 0; k < half; ++k) {
        const Index i = k * first_step;
        const Index j = i + partner_offset;
        const float a = xr[i];
        const float b = xr[j];
        const float c = cos_row[k];
        const float s = sign * sin_row[k];
        orr[i] = a * c - b * s;
        orr[j] = b * c + a * s;
      }
    }
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
