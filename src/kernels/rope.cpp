// RoPE: the scalar reference and the Highway SIMD version (this file is compiled once per SIMD
// target by hwy/foreach_target.h). Layouts and formulas: include/posemb/kernels/rope.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/rope.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/highway.h>

#include <cstring>

#include "kernels/parallel_tokens.hpp"
#include "posemb/kernels/rope.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// One pair (a, b) with c and signed s, as the reference writes it: a c - b s, b c + a s.
template <class D, class V>
HWY_INLINE void Rotate(D, V a, V b, V c, V s, V& a_out, V& b_out) {
  a_out = hn::Sub(hn::Mul(a, c), hn::Mul(b, s));
  b_out = hn::Add(hn::Mul(b, c), hn::Mul(a, s));
}

// One head's rotary channels r (read) -> o (written); may alias.
//   halves:       a = r[0, half), b = r[half, 2 half): plain contiguous vectors
//   interleaved:  a = r[0], r[2], ...; b = r[1], r[3], ...: de-interleaved on load
template <bool kInterleaved, bool kInverse>
HWY_INLINE void RotateHead(const float* r, float* o, const float* cos_row, const float* sin_row, Index half) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index k = 0;
  for (; k + lanes <= half; k += lanes) {
    const auto c = hn::LoadU(d, cos_row + k);
    const auto s_raw = hn::LoadU(d, sin_row + k);
    const auto s = kInverse ? hn::Neg(s_raw) : s_raw;
    hn::Vec<decltype(d)> a, b, a2, b2;
    if constexpr (kInterleaved) {
      hn::LoadInterleaved2(d, r + 2 * k, a, b);
    } else {
      a = hn::LoadU(d, r + k);
      b = hn::LoadU(d, r + half + k);
    }
    Rotate(d, a, b, c, s, a2, b2);
    if constexpr (kInterleaved) {
      hn::StoreInterleaved2(a2, b2, d, o + 2 * k);
    } else {
      hn::StoreU(a2, d, o + k);
      hn::StoreU(b2, d, o + half + k);
    }
  }
  for (; k < half; ++k) {  // the tail, exactly as the reference
    const Index i = kInterleaved ? 2 * k : k;
    const Index j = kInterleaved ? i + 1 : i + half;
    const float a = r[i], b = r[j], c = cos_row[k];
    const float s = kInverse ? -sin_row[k] : sin_row[k];
    o[i] = a * c - b * s;
    o[j] = b * c + a * s;
  }
}

template <bool kInterleaved, bool kInverse>
void RopeTokens(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
                const float* sin, Index first, Index last) {
  const Index half = layout.rotary_dim / 2;
  const Index rest = layout.head_dim - layout.rotary_begin - layout.rotary_dim;
  for (Index t = first; t < last; ++t) {
    const float* cos_row = cos + positions[t] * half;
    const float* sin_row = sin + positions[t] * half;
    for (Index h = 0; h < layout.heads; ++h) {
      const Index base = (t * layout.heads + h) * layout.head_dim;
      const float* xh = x + base;
      float* oh = out + base;
      if (oh != xh) {  // channels that do not rotate are copied
        std::memcpy(oh, xh, static_cast<std::size_t>(layout.rotary_begin) * sizeof(float));
        const Index end = layout.rotary_begin + layout.rotary_dim;
        std::memcpy(oh + end, xh + end, static_cast<std::size_t>(rest) * sizeof(float));
      }
      RotateHead<kInterleaved, kInverse>(xh + layout.rotary_begin, oh + layout.rotary_begin, cos_row, sin_row, half);
    }
  }
}

void RopeSimd(const float* x, float* out, const RopeLayout& layout, const Index* positions, const float* cos,
              const float* sin, RotationDirection direction) {
  const bool interleaved = layout.pairing == RopePairing::kInterleaved;
  const bool inverse = direction == RotationDirection::kInverse;
  auto run = interleaved ? (inverse ? RopeTokens<true, true> : RopeTokens<true, false>)
                         : (inverse ? RopeTokens<false, true> : RopeTokens<false, false>);
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
    const float* cos_row = cos + positions[t] * half;
    const float* sin_row = sin + positions[t] * half;
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
