// Our deterministic log/sin/cos against glibc's (both within about one ulp of the truth, so
// they may differ by one or two ulp, never more). The float Cephes functions are checked
// bit for bit against torch through the random-number goldens (random_test.cpp) and
// exhaustively by tools/goldens/core/check_torch_avx2_math.sh.
#include "posemb/core/portable_math.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

namespace posemb {
namespace {

// Distance in units in the last place between two finite doubles of the same sign.
std::int64_t ulps_apart(double a, double b) {
  const auto ia = std::bit_cast<std::int64_t>(a), ib = std::bit_cast<std::int64_t>(b);
  return ia > ib ? ia - ib : ib - ia;
}

TEST(PortableMath, LogWithinTwoUlpOfLibm) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::int64_t worst = 0;
  for (int i = 0; i < 200000; ++i) {
    // the Box–Muller range (0, 1], then anything positive
    const double x = i % 2 == 0 ? 1.0 - unit(rng) : std::ldexp(0.5 + unit(rng), static_cast<int>(rng() % 2000) - 1000);
    const double ours = portable_math::log(x), libm = std::log(x);
    if (libm == 0.0) {
      EXPECT_EQ(ours, 0.0);
      continue;
    }
    worst = std::max(worst, ulps_apart(ours, libm));
  }
  EXPECT_LE(worst, 2);
}

TEST(PortableMath, LogSpecialValues) {
  EXPECT_EQ(portable_math::log(1.0), 0.0);
  EXPECT_TRUE(std::isinf(portable_math::log(0.0)) && portable_math::log(0.0) < 0);
  EXPECT_TRUE(std::isnan(portable_math::log(-1.0)));
  EXPECT_TRUE(std::isinf(portable_math::log(INFINITY)));
  EXPECT_LE(ulps_apart(portable_math::log(0x1p-1074), std::log(0x1p-1074)), 1);  // smallest denormal
  EXPECT_LE(ulps_apart(portable_math::log(0x1p-53), std::log(0x1p-53)), 1);      // Box–Muller's smallest 1 - u
}

TEST(PortableMath, SinCosWithinTwoUlpOfLibm) {
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> angle(-20.0, 20.0);
  std::int64_t worst = 0;
  for (int i = 0; i < 200000; ++i) {
    // Box–Muller's angles 2 pi u, u on the 2^-53 grid, and then a wider range.
    const double x =
        i % 2 == 0 ? 2.0 * 3.14159265358979323846 * (static_cast<double>(rng() >> 11) * 0x1p-53) : angle(rng);
    const auto sc = portable_math::sincos(x);
    const double s = std::sin(x), c = std::cos(x);
    // Near a zero the result is tiny; compare relative to the ulp of the argument instead.
    if (std::fabs(s) > 1e-3)
      worst = std::max(worst, ulps_apart(sc.sin, s));
    else
      EXPECT_NEAR(sc.sin, s, 1e-19 + std::fabs(s) * 1e-15) << x;
    if (std::fabs(c) > 1e-3)
      worst = std::max(worst, ulps_apart(sc.cos, c));
    else
      EXPECT_NEAR(sc.cos, c, 1e-19 + std::fabs(c) * 1e-15) << x;
  }
  EXPECT_LE(worst, 2);
}

TEST(PortableMath, SinCosOutsideDomainIsNan) {
  EXPECT_TRUE(std::isnan(portable_math::sincos(2e6).sin));
  EXPECT_TRUE(std::isnan(portable_math::sincos(NAN).cos));
  EXPECT_EQ(portable_math::sincos(0.0).sin, 0.0);
  EXPECT_EQ(portable_math::sincos(0.0).cos, 1.0);
}

TEST(PortableMath, CephesFloatFunctionsAreCloseToTheTruth) {
  // Sanity only (bit-exactness against torch is checked elsewhere): a few float ulp.
  for (int i = 1; i <= 1 << 24; i += 997) {
    const float u = static_cast<float>(i) * 0x1p-24f;
    EXPECT_NEAR(portable_math::cephes_log(u), std::log(static_cast<double>(u)), 4e-7 * std::fabs(std::log(u)) + 1e-7);
    const float theta = 6.2831855f * u;
    const auto sc = portable_math::cephes_sincos(theta);
    EXPECT_NEAR(sc.sin, std::sin(static_cast<double>(theta)), 3e-7);
    EXPECT_NEAR(sc.cos, std::cos(static_cast<double>(theta)), 3e-7);
  }
  EXPECT_TRUE(std::isnan(portable_math::cephes_log(0.0f)));
  EXPECT_TRUE(std::isnan(portable_math::cephes_log(-1.0f)));
}

}  // namespace
}  // namespace posemb
