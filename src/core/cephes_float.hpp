#pragma once
// The float32 Cephes log and sincos of torch's AVX2 Box–Muller kernel, as inline functions:
// portable_math.cpp exports them (portable_math.hpp documents them), and random.cpp inlines
// them into its Box–Muller loop so that the compiler can keep that loop free of calls.
// Written without branches (selects instead) for the same reason; a select computes both
// sides, which changes no result.
//
// Include only from files built with -ffp-contract=off (src/core/CMakeLists.txt).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "posemb/core/portable_math.hpp"

namespace posemb::portable_math::detail {

// ---------------------------------------------------------------------------------------
// float32: torch's AVX2 Box–Muller arithmetic.
//
// Source of the formulas: Cephes logf/sinf/cosf (S. Moshier) as vectorised in
// avx_mathfun.h (G. Garberoglio, after J. Pommier's sse_mathfun), which torch 1.13 ships in
// aten/src/ATen/native/cpu/. Which multiply-adds are fused is not in that source: GCC fused
// them when it compiled torch (-mavx2 -mfma, -ffp-contract=fast). We found the pattern by
// disassembling the same code built with GCC 12 and checked it exhaustively against it;
// with any other pattern torch's numbers differ in the last bit for about 1% of draws.
// ---------------------------------------------------------------------------------------

inline float cephes_log(float x) {
  const bool invalid = !(x > 0.0f);  // also NaN
  // Denormals are read as the smallest normal float.
  x = std::max(x, std::numeric_limits<float>::min());
  const auto bits = std::bit_cast<std::uint32_t>(x);

  // x = m * 2^e with m in [0.5, 1).
  float e = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 0x7f) + 1.0f;
  const float m = std::bit_cast<float>((bits & ~0x7f800000u) | std::bit_cast<std::uint32_t>(0.5f));

  // Move m to [sqrt(1/2), sqrt(2)) and take f = m - 1, so that the polynomial sees |f| < 0.42.
  const bool below = m < 0.707106781186547524f;
  e = below ? e - 1.0f : e;
  const float f = below ? (m - 1.0f) + m : m - 1.0f;

  // log(1 + f) = f - f^2/2 + f^3 P(f), P of degree 8 (Cephes logf coefficients).
  const float f2 = f * f;
  float p = 7.0376836292e-2f;
  p = std::fma(p, f, -1.1514610310e-1f);
  p = std::fma(p, f, 1.1676998740e-1f);
  p = std::fma(p, f, -1.2420140846e-1f);
  p = std::fma(p, f, 1.4249322787e-1f);
  p = std::fma(p, f, -1.6668057665e-1f);
  p = std::fma(p, f, 2.0000714765e-1f);
  p = std::fma(p, f, -2.4999993993e-1f);
  p = std::fma(p, f, 3.3333331174e-1f);
  p = p * f;

  // ln 2 = 0.693359375 - 2.12194440e-4, the first part exact in float: e * ln 2 is added in
  // two pieces so that its rounding error stays below the polynomial's.
  float y = std::fma(p, f2, e * -2.12194440e-4f);
  y = std::fma(-f2, 0.5f, y);
  const float result = std::fma(e, 0.693359375f, f + y);
  return invalid ? std::numeric_limits<float>::quiet_NaN() : result;
}

inline SinCos<float> cephes_sincos(float x) {
  std::uint32_t sin_sign = std::bit_cast<std::uint32_t>(x) & 0x80000000u;
  x = std::fabs(x);

  // j = the octant of x, rounded up to even: x is reduced to [-pi/4, pi/4] around j*pi/4.
  std::int32_t j = static_cast<std::int32_t>(x * 1.27323954473516f);  // 4/pi; truncates as cvttps does
  j = (j + 1) & ~1;
  const float octant = static_cast<float>(j);

  // x - j*pi/4 with pi/4 split in three (Cody–Waite), exact enough for x < 8192.
  x = std::fma(octant, -0.78515625f, x);
  x = std::fma(octant, -2.4187564849853515625e-4f, x);
  x = std::fma(octant, -3.77489497744594108e-8f, x);

  sin_sign ^= static_cast<std::uint32_t>(j & 4) << 29;
  const std::uint32_t cos_sign = static_cast<std::uint32_t>(~(j - 2) & 4) << 29;
  const bool sin_uses_sin_polynomial = (j & 2) == 0;

  const float z = x * x;
  // cos on [-pi/4, pi/4]: 1 - z/2 + z^2 Q(z)
  float c = 2.443315711809948e-5f;
  c = std::fma(c, z, -1.388731625493765e-3f);
  c = std::fma(c, z, 4.166664568298827e-2f);
  c = c * z;
  c = std::fma(c, z, -(z * 0.5f));
  c = c + 1.0f;
  // sin on [-pi/4, pi/4]: x + x z S(z)
  float s = -1.9515295891e-4f;
  s = std::fma(s, z, 8.3321608736e-3f);
  s = std::fma(s, z, -1.6666654611e-1f);
  s = s * z;
  s = std::fma(s, x, x);

  const float sin_value = sin_uses_sin_polynomial ? s : c;
  const float cos_value = sin_uses_sin_polynomial ? c : s;
  return {std::bit_cast<float>(std::bit_cast<std::uint32_t>(sin_value) ^ sin_sign),
          std::bit_cast<float>(std::bit_cast<std::uint32_t>(cos_value) ^ cos_sign)};
}

}  // namespace posemb::portable_math::detail
