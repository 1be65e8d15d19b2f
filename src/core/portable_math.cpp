#include "posemb/core/portable_math.hpp"

// Every operation below is a single IEEE-754 operation, written out; this file is compiled
// with -ffp-contract=off (src/core/CMakeLists.txt) so that the compiler does not fuse a
// multiply and an add where we did not ask for it, and the fused multiply-adds we do want
// are spelled std::fma, which is correctly rounded on every platform.
#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

// Excess precision (x87) would round intermediates differently.
static_assert(FLT_EVAL_METHOD == 0, "posemb's portable math needs float and double evaluated in their own precision");

namespace posemb::portable_math {

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

float cephes_log(float x) {
  const bool invalid = !(x > 0.0f);  // also NaN
  // Denormals are read as the smallest normal float.
  x = std::max(x, std::numeric_limits<float>::min());
  const auto bits = std::bit_cast<std::uint32_t>(x);

  // x = m * 2^e with m in [0.5, 1).
  float e = static_cast<float>(static_cast<std::int32_t>(bits >> 23) - 0x7f) + 1.0f;
  float m = std::bit_cast<float>((bits & ~0x7f800000u) | std::bit_cast<std::uint32_t>(0.5f));

  // Move m to [sqrt(1/2), sqrt(2)) and take f = m - 1, so that the polynomial sees |f| < 0.42.
  float f;
  if (m < 0.707106781186547524f) {
    e -= 1.0f;
    f = (m - 1.0f) + m;
  } else {
    f = m - 1.0f;
  }

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

SinCos<float> cephes_sincos(float x) {
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

// ---------------------------------------------------------------------------------------
// double: our own log and sin/cos, Taylor-series based, each step a rounded IEEE operation.
// ---------------------------------------------------------------------------------------
namespace {

// ln 2 split so that e * kLn2High is exact for every double exponent e.
constexpr double kLn2High = 0x1.62e42feep-1;
constexpr double kLn2Low = 0x1.a39ef35793c76p-33;

// pi/2 = kHalfPi1 + kHalfPi2 + kHalfPi3 (33 + 33 + 53 bits): k * kHalfPi1 and k * kHalfPi2
// are exact for k < 2^20, so the reduction keeps ~100 bits of pi/2.
constexpr double kHalfPi1 = 0x1.921fb54400000p+0;
constexpr double kHalfPi2 = 0x1.0b4611a600000p-34;
constexpr double kHalfPi3 = 0x1.3198a2e037073p-69;
constexpr double kTwoOverPi = 0x1.45f306dc9c883p-1;

constexpr double factorial(int n) {
  double f = 1.0;
  for (int i = 2; i <= n; ++i) f *= i;  // exact up to 22!
  return f;
}

// Taylor coefficients, computed (and correctly rounded) by the compiler:
//   sin r = r + r z (kSin[0] + z kSin[1] + ...),   kSin[i] = (-1)^(i+1) / (2i+3)!
//   cos r = 1 - z/2 + z^2 (kCos[0] + z kCos[1] + ...),   kCos[i] = (-1)^i / (2i+4)!
// with z = r^2; ten terms each reach r^21 and r^22, whose size at pi/4 is below 1e-21.
constexpr int kTerms = 10;
constexpr auto kSin = [] {
  std::array<double, kTerms> c{};
  for (int i = 0; i < kTerms; ++i) c[i] = (i % 2 == 0 ? -1.0 : 1.0) / factorial(2 * i + 3);
  return c;
}();
constexpr auto kCos = [] {
  std::array<double, kTerms> c{};
  for (int i = 0; i < kTerms; ++i) c[i] = (i % 2 == 0 ? 1.0 : -1.0) / factorial(2 * i + 4);
  return c;
}();
// log(1 + f) = f - s (f - R), R = z (kAtanh[0] + z kAtanh[1] + ...), kAtanh[i] = 2 / (2i + 3),
// with s = f / (2 + f) and z = s^2 <= 0.0295: twelve terms reach 2^-60.
constexpr int kAtanhTerms = 12;
constexpr auto kAtanh = [] {
  std::array<double, kAtanhTerms> c{};
  for (int i = 0; i < kAtanhTerms; ++i) c[i] = 2.0 / (2 * i + 3);
  return c;
}();

template <std::size_t N>
double horner(const std::array<double, N>& c, double z) {
  double p = c[N - 1];
  for (std::size_t i = N - 1; i-- > 0;) p = p * z + c[i];
  return p;
}

// sin(r) and cos(r) for |r| <= pi/4 (a little more is fine).
SinCos<double> sincos_reduced(double r) {
  const double z = r * r;
  const double sin_r = r + r * z * horner(kSin, z);
  // 1 - z/2 loses the low bits of z/2; recover them: (1 - w) - half_z is exact.
  const double half_z = 0.5 * z;
  const double w = 1.0 - half_z;
  const double cos_r = w + (((1.0 - w) - half_z) + z * z * horner(kCos, z));
  return {sin_r, cos_r};
}

}  // namespace

double log(double x) {
  if (std::isnan(x) || x < 0.0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0.0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;

  int exponent_bias = 0;
  if (x < std::numeric_limits<double>::min()) {  // denormal: scale into the normal range
    x *= 0x1p54;
    exponent_bias = -54;
  }
  const auto bits = std::bit_cast<std::uint64_t>(x);
  int e = static_cast<int>(bits >> 52) - 1023 + exponent_bias;
  // m in [1, 2), then in [sqrt(1/2), sqrt(2)) so that |f| <= 0.42.
  double m = std::bit_cast<double>((bits & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const double f = m - 1.0;  // exact

  // log(1 + f) = 2 atanh(s) with s = f / (2 + f), as a series in z = s^2 (see kAtanh).
  const double s = f / (2.0 + f);
  const double z = s * s;
  const double r = z * horner(kAtanh, z);
  const double log_m = f - s * (f - r);

  const double de = static_cast<double>(e);
  return de * kLn2High + (log_m + de * kLn2Low);
}

SinCos<double> sincos(double x) {
  if (!(std::fabs(x) <= 1e6)) return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  const bool negative = x < 0.0;
  x = std::fabs(x);

  // Nearest k with x ~ k pi/2; x - k pi/2 in three exact-ish steps (x - k*kHalfPi1 is exact).
  const auto k = static_cast<std::int64_t>(x * kTwoOverPi + 0.5);
  const double dk = static_cast<double>(k);
  const double r = ((x - dk * kHalfPi1) - dk * kHalfPi2) - dk * kHalfPi3;
  const SinCos<double> sc = sincos_reduced(r);

  SinCos<double> out;
  switch (k & 3) {
    case 0: out = {sc.sin, sc.cos}; break;
    case 1: out = {sc.cos, -sc.sin}; break;
    case 2: out = {-sc.sin, -sc.cos}; break;
    default: out = {-sc.cos, sc.sin}; break;
  }
  if (negative) out.sin = -out.sin;
  return out;
}

}  // namespace posemb::portable_math
