#include "posemb/kernels/rope.hpp"

namespace posemb::kernels {

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
