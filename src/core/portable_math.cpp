#include "posemb/core/portable_math.hpp"

#include "cephes_float.hpp"

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

// float32: see cephes_float.hpp.
float cephes_log(float x) { return detail::cephes_log(x); }

SinCos<float> cephes_sincos(float x) { return detail::cephes_sincos(x); }

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
  if (!(std::fabs(x) <= 1e6))
    return {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN()};
  const bool negative = x < 0.0;
  x = std::fabs(x);

  // Nearest k with x ~ k pi/2; x - k pi/2 in three exact-ish steps (x - k*kHalfPi1 is exact).
  const auto k = static_cast<std::int64_t>(x * kTwoOverPi + 0.5);
  const double dk = static_cast<double>(k);
  const double r = ((x - dk * kHalfPi1) - dk * kHalfPi2) - dk * kHalfPi3;
  const SinCos<double> sc = sincos_reduced(r);

  SinCos<double> out;
  switch (k & 3) {
    case 0:
      out = {sc.sin, sc.cos};
      break;
    case 1:
      out = {sc.cos, -sc.sin};
      break;
    case 2:
      out = {-sc.sin, -sc.cos};
      break;
    default:
      out = {-sc.cos, sc.sin};
      break;
  }
  if (negative) out.sin = -out.sin;
  return out;
}

}  // namespace posemb::portable_math
