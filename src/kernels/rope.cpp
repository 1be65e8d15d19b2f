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

#include "kernels/memory_bound_tag-inl.hpp"
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
  const MemoryBoundTag d;
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

// All heads of a token whose half rotary span is exactly kGroups vectors (rotary_dim 128 or 64
// with 8 lanes), the token's cos/sin in registers and each head unrolled, as
// RotateInterleavedHeads does for the other pairing. Against RotateHalves's loop per head (T =
// 512 in the cache, Intel Xeon guest, AVX-512 target, 3 alternating runs): out of place on 2
// threads 0.91-0.93 -> 0.95x memcpy, in place 1.85-2.01 -> 1.97-2.04x; at T = 4096 out of place
// within noise. before_head(h) runs before head h. Not for scalable vectors (no arrays of them).
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
template <int kGroups, bool kInverse, bool kStream, class BeforeHead>
HWY_INLINE void RotateHalvesHeads(const float* x, float* out, Index head_floats, Index heads, const float* cos_row,
                                  const float* sin_row, const BeforeHead& before_head) {
  const MemoryBoundTag d;
  constexpr Index kHalf = kGroups * static_cast<Index>(hn::MaxLanes(d));
  using V = decltype(hn::Zero(d));
  V c[kGroups], s[kGroups];
#pragma GCC unroll 16
  for (int k = 0; k < kGroups; ++k) {
    c[k] = hn::LoadU(d, cos_row + k * hn::Lanes(d));
    s[k] = kInverse ? hn::Neg(hn::LoadU(d, sin_row + k * hn::Lanes(d))) : hn::LoadU(d, sin_row + k * hn::Lanes(d));
  }
  for (Index h = 0; h < heads; ++h) {
    before_head(h);
    const float* r = x + h * head_floats;
    float* o = out + h * head_floats;
#pragma GCC unroll 16
    for (int k = 0; k < kGroups; ++k) {
      const Index i = k * static_cast<Index>(hn::Lanes(d));
      const auto a = hn::LoadU(d, r + i), b = hn::LoadU(d, r + kHalf + i);
      Store<kStream>(hn::Sub(hn::Mul(a, c[k]), hn::Mul(b, s[k])), d, o + i);
      Store<kStream>(hn::Add(hn::Mul(b, c[k]), hn::Mul(a, s[k])), d, o + kHalf + i);
    }
  }
}
#endif

// The interleaved pairing, de-interleaved two vectors at a time. Two vectors of channels
// [a0 b0 a1 b1 ...] are split into a's and b's by taking lanes 0 and 2 (or 1 and 3) of each
// 128-bit block of both (x86 SHUFPS), and put back by InterleaveLower / Upper (UNPCKL/HPS), which
// also work block by block. The a's come out in block order, not pair order (8 lanes: pairs
// 0 1 4 5 | 2 3 6 7), so each token's cos and sin are permuted the same way once
// (BuildLaneTables) and shared by all its heads. Then each pair rotates as in the halves
// pairing, a' = a c - b s, b' = b c + a s, rounding as the reference does. Against the previous
// form, v * [c0 c0 c1 c1 ...] + swap(v * [s0 -s0 ...]) (3 loads a vector, 2 here), at T = 512 in
// the cache: out of place 0.86 -> 0.90x memcpy on 1 thread, 0.83 -> 0.93x on 2; in place and at
// T = 4096 within noise (medians of 6 alternating runs).
#if HWY_TARGET != HWY_SCALAR
#if HWY_ARCH_X86 && HWY_TARGET <= HWY_AVX2  // AVX2 and AVX-512: 256-bit vectors (MemoryBoundTag)
using InterleavedTag = MemoryBoundTag;

// Per 128-bit block: lanes kFirst and kFirst + 2 of a, then the same lanes of b. Highway 1.0
// has no such op for vectors of several blocks (its ConcatEven spans the whole vector).
template <int kFirst, class V>
HWY_INLINE V EveryOtherLane(V a, V b) {
  constexpr int kSelect = kFirst == 0 ? _MM_SHUFFLE(2, 0, 2, 0) : _MM_SHUFFLE(3, 1, 3, 1);
  return V{_mm256_shuffle_ps(a.raw, b.raw, kSelect)};
}
#else
// Vectors of one block, where ConcatEven / ConcatOdd are exactly that selection (SSE4 and SSSE3
// here; NEON; scalable vectors capped to a block).
using InterleavedTag = hn::CappedTag<float, 4>;

template <int kFirst, class V>
HWY_INLINE V EveryOtherLane(V a, V b) {
  const InterleavedTag d;
  return kFirst == 0 ? hn::ConcatEven(d, b, a) : hn::ConcatOdd(d, b, a);
}
#endif
#endif  // HWY_TARGET != HWY_SCALAR

// cos and sin of `pairs` pairs in the order RotateInterleaved finds the pairs in its lanes
// (sin negated for the inverse), padded with zeros to a whole group.
template <bool kInverse>
HWY_INLINE void BuildLaneTables(const float* cos_half, const float* sin_half, Index pairs, float* cos_lanes,
                                float* sin_lanes) {
  Index p = 0;
#if HWY_TARGET != HWY_SCALAR
  const InterleavedTag d;
  const hn::RebindToSigned<decltype(d)> di;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  // The pair in each lane: the de-interleaving shuffle applied to the channel numbers, halved.
  const auto first_channels = hn::BitCast(d, hn::Iota(di, 0));
  const auto next_channels = hn::BitCast(d, hn::Iota(di, static_cast<std::int32_t>(lanes)));
  const auto even_channels = hn::BitCast(di, EveryOtherLane<0>(first_channels, next_channels));
  const auto pair_of_lane = hn::IndicesFromVec(d, hn::ShiftRight<1>(even_channels));
  const auto build = [&](const float* c_at, const float* s_at) {
    const auto s = hn::TableLookupLanes(hn::LoadU(d, s_at), pair_of_lane);
    hn::Store(hn::TableLookupLanes(hn::LoadU(d, c_at), pair_of_lane), d, cos_lanes + p);
    hn::Store(kInverse ? hn::Neg(s) : s, d, sin_lanes + p);
  };
  for (; p + lanes <= pairs; p += lanes) build(cos_half + p, sin_half + p);
  if (p < pairs) {
    const PaddedTail c(cos_half + p, pairs - p), s(sin_half + p, pairs - p);
    build(c.values, s.values);
  }
#else
  for (; p < pairs; ++p) {
    cos_lanes[p] = cos_half[p];
    sin_lanes[p] = kInverse ? -sin_half[p] : sin_half[p];
  }
#endif
}

#if HWY_TARGET != HWY_SCALAR
// One group of the interleaved pairing: channels v0, v1 (lanes pairs) and their cos, sin in
// lane order; store(lower, upper) receives the rotated channels in their own order.
template <class D, class V, class Store2>
HWY_INLINE void RotateGroup(D d, V v0, V v1, V c, V s, const Store2& store) {
  const auto a = EveryOtherLane<0>(v0, v1), b = EveryOtherLane<1>(v0, v1);
  const auto a2 = hn::Sub(hn::Mul(a, c), hn::Mul(b, s));
  const auto b2 = hn::Add(hn::Mul(b, c), hn::Mul(a, s));
  store(hn::InterleaveLower(d, a2, b2), hn::InterleaveUpper(d, a2, b2));
}

// All heads of a token whose rotary span is exactly kGroups groups (rotary_dim 128 or 64 with
// 8 lanes): the token's permuted cos/sin stay in registers, and each head's groups are unrolled,
// so a head is straight-line code. Against RotateInterleaved's loop of 8 groups per head (T =
// 512 in the cache, Zen 4, AVX-512 target, 3 alternating runs): in place 1.55-1.68 ->
// 1.86-1.96x memcpy on 1 thread, 0.99-1.14 -> 1.22-1.43x on 2; out of place and at T = 4096
// within noise or better. (AVX2 has 16 vector registers, so there the tables spill to the
// stack; in place still gained, 1.53-1.56 -> 1.93-1.95x on 1 thread.)
// before_head(h) runs before head h (prefetches). Not for scalable vectors (SVE, RVV): arrays of
// them are not allowed.
#if !HWY_HAVE_SCALABLE
template <int kGroups, bool kStream, class BeforeHead>
HWY_INLINE void RotateInterleavedHeads(const float* x, float* out, Index head_floats, Index heads,
                                       const float* cos_lanes, const float* sin_lanes,
                                       const BeforeHead& before_head) {
  const InterleavedTag d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  using V = decltype(hn::Zero(d));
  V c[kGroups], s[kGroups];
#pragma GCC unroll 16
  for (int k = 0; k < kGroups; ++k) {
    c[k] = hn::Load(d, cos_lanes + k * lanes);
    s[k] = hn::Load(d, sin_lanes + k * lanes);
  }
  for (Index h = 0; h < heads; ++h) {
    before_head(h);
    const float* r = x + h * head_floats;
    float* o = out + h * head_floats;
#pragma GCC unroll 16
    for (int k = 0; k < kGroups; ++k) {
      const Index i = 2 * k * lanes;
      RotateGroup(d, hn::LoadU(d, r + i), hn::LoadU(d, r + i + lanes), c[k], s[k], [&](auto lower, auto upper) {
        Store<kStream>(lower, d, o + i);
        Store<kStream>(upper, d, o + i + lanes);
      });
    }
  }
}
#endif  // !HWY_HAVE_SCALABLE
#endif  // HWY_TARGET != HWY_SCALAR

// One head's rotary channels in the interleaved pairing, r (read) -> o (written); may alias.
// Tables from BuildLaneTables.
template <bool kStream>
HWY_INLINE void RotateInterleaved(const float* r, float* o, const float* cos_lanes, const float* sin_lanes,
                                  Index channels) {
#if HWY_TARGET != HWY_SCALAR
  const InterleavedTag d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  // A group: 2 vectors of channels, lanes pairs.
  const auto rotate = [&](const float* v_at, const float* c_at, const float* s_at, auto store) {
    RotateGroup(d, hn::LoadU(d, v_at), hn::LoadU(d, v_at + lanes), hn::Load(d, c_at), hn::Load(d, s_at), store);
  };
  Index i = 0;
  for (; i + 2 * lanes <= channels; i += 2 * lanes) {
    rotate(r + i, cos_lanes + i / 2, sin_lanes + i / 2, [&](auto lower, auto upper) {
      Store<kStream>(lower, d, o + i);
      Store<kStream>(upper, d, o + i + lanes);
    });
  }
  if (i < channels) {  // the last group through a zero-padded copy, as its tables are padded
    const auto rest = static_cast<std::size_t>(channels - i);
    HWY_ALIGN float in[2 * kMaxLanes] = {};
    std::memcpy(in, r + i, rest * sizeof(float));
    rotate(in, cos_lanes + i / 2, sin_lanes + i / 2, [&](auto lower, auto upper) {
      HWY_ALIGN float out[2 * kMaxLanes];
      hn::Store(lower, d, out);
      hn::Store(upper, d, out + lanes);
      std::memcpy(o + i, out, rest * sizeof(float));
    });
  }
#else  // one lane holds no pair
  for (Index i = 0; i < channels; i += 2) {
    const float a = r[i], b = r[i + 1], c = cos_lanes[i / 2], s = sin_lanes[i / 2];
    o[i] = a * c - b * s;
    o[i + 1] = b * c + a * s;
  }
#endif
}

// Channels that do not rotate (partial rotary) are copied when out is not x.
HWY_INLINE void CopyNonRotary(const float* xh, float* oh, const RopeLayout& layout) {
  const Index end = layout.rotary_begin + layout.rotary_dim;
  if (layout.rotary_begin > 0) std::memcpy(oh, xh, static_cast<std::size_t>(layout.rotary_begin) * sizeof(float));
  if (end < layout.head_dim)
    std::memcpy(oh + end, xh + end, static_cast<std::size_t>(layout.head_dim - end) * sizeof(float));
}

// Channels per piece of the interleaved lane tables: tables live on the stack; a wider rotary
// span (rare) is done in pieces of this many channels.
constexpr Index kLaneTableChannels = 512;

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
  HWY_ALIGN float cos_lanes[kLaneTableChannels / 2];
  HWY_ALIGN float sin_lanes[kLaneTableChannels / 2];
  for (Index t = first; t < last; ++t) {
    const Index position = token_position(layout, positions, t);
    const float* cos_row = cos + position * half;
    const float* sin_row = sin + position * half;
    const float* xt = x + t * layout.heads * head_floats;
    float* ot = out + t * layout.heads * head_floats;
    if (copy_non_rotary)
      for (Index h = 0; h < layout.heads; ++h) CopyNonRotary(xt + h * head_floats, ot + h * head_floats, layout);
    const Index begin = layout.rotary_begin;
    const auto before_head = [&](Index h) { prefetch_head((t * layout.heads + h) * head_floats); };
    if constexpr (kInterleaved) {
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
      // The common rotary widths take the unrolled path (RotateInterleavedHeads).
      const Index group_channels = 2 * static_cast<Index>(hn::Lanes(InterleavedTag()));
      const auto unrolled = [&]<int kGroups>() {
        if (layout.rotary_dim != kGroups * group_channels) return false;
        BuildLaneTables<kInverse>(cos_row, sin_row, half, cos_lanes, sin_lanes);
        RotateInterleavedHeads<kGroups, kStream>(xt + begin, ot + begin, head_floats, layout.heads, cos_lanes,
                                                 sin_lanes, before_head);
        return true;
      };
      if (unrolled.template operator()<8>() || unrolled.template operator()<4>()) continue;
#endif
      for (Index piece = 0; piece < layout.rotary_dim; piece += kLaneTableChannels) {
        const Index channels = std::min(kLaneTableChannels, layout.rotary_dim - piece);
        BuildLaneTables<kInverse>(cos_row + piece / 2, sin_row + piece / 2, channels / 2, cos_lanes, sin_lanes);
        for (Index h = 0; h < layout.heads; ++h) {
          before_head(h);
          const Index at = h * head_floats + begin + piece;
          RotateInterleaved<kStream>(xt + at, ot + at, cos_lanes, sin_lanes, channels);
        }
      }
    } else {
#if HWY_TARGET != HWY_SCALAR && !HWY_HAVE_SCALABLE
      // Half spans of 8 or 4 vectors take the unrolled path (RotateHalvesHeads).
      const Index lanes = static_cast<Index>(hn::Lanes(MemoryBoundTag()));
      const auto unrolled = [&]<int kGroups>() {
        if (half != kGroups * lanes) return false;
        RotateHalvesHeads<kGroups, kInverse, kStream>(xt + begin, ot + begin, head_floats, layout.heads, cos_row,
                                                      sin_row, before_head);
        return true;
      };
      if (unrolled.template operator()<8>() || unrolled.template operator()<4>()) continue;
#endif
      for (Index h = 0; h < layout.heads; ++h) {
        before_head(h);
        const Index at = h * head_floats + begin;
        RotateHalves<kInverse, kStream>(xt + at, ot + at, cos_row, sin_row, half);
      }
    }
  }
  if constexpr (kStream) hwy::FlushStream();
}

// Streaming stores need every vector they write aligned: the output, and each head's rotary
// span and halves within it.
bool CanStream(const float* x, const float* out, const RopeLayout& layout) {
  const MemoryBoundTag d;
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
