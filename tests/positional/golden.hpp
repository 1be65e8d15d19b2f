#pragma once
// Helpers for the positional tests: golden JSON files (tests/goldens/positional, written by
// tools/goldens/positional/make_goldens.py) and the two tolerances the tests use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "posemb/io/file.hpp"

namespace posemb::testing {

inline nlohmann::json load_positional_golden(const std::string& name) {
  return nlohmann::json::parse(io::read_file_bytes(std::string(POSEMB_GOLDENS_DIR) + "/positional/" + name));
}

inline std::vector<float> floats(const nlohmann::json& values) {
  std::vector<float> out;
  for (const auto& v : values) out.push_back(static_cast<float>(v.get<double>()));
  return out;
}

// Each element within `rel` of its own magnitude (frequencies, slopes: values span decades).
inline void expect_elementwise_close(std::span<const float> actual, std::span<const float> expected, double rel,
                                     const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double e = expected[i];
    EXPECT_LE(std::abs(static_cast<double>(actual[i]) - e), rel * std::abs(e) + 1e-30)
        << what << " [" << i << "]: " << actual[i] << " vs " << e;
  }
}

// Within `rel` of the tensor's largest magnitude (trigonometric tables, rotated vectors: one
// ulp of an angle near a zero of sin is a large relative but a tiny absolute error).
inline void expect_scaled_close(std::span<const float> actual, std::span<const float> expected, double rel,
                                const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  double scale = 0.0;
  for (const float e : expected) scale = std::max(scale, std::abs(static_cast<double>(e)));
  for (std::size_t i = 0; i < actual.size(); ++i)
    EXPECT_LE(std::abs(static_cast<double>(actual[i]) - expected[i]), rel * scale)
        << what << " [" << i << "]: " << actual[i] << " vs " << expected[i];
}

// Central finite differences of a scalar loss over every element of `x`, compared with an
// analytic gradient. The losses tested are linear or bilinear in x, so float32 differences
// with a large step are accurate.
inline void expect_gradient_matches_finite_differences(std::vector<float>& x, const std::function<double()>& loss,
                                                       std::span<const float> analytic, const std::string& what,
                                                       float step = 1e-2f, double tol = 2e-3) {
  ASSERT_EQ(x.size(), analytic.size()) << what;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float saved = x[i];
    x[i] = saved + step;
    const double up = loss();
    x[i] = saved - step;
    const double down = loss();
    x[i] = saved;
    const double numeric = (up - down) / (2.0 * step);
    EXPECT_NEAR(analytic[i], numeric, tol * std::max(1.0, std::abs(numeric))) << what << " [" << i << "]";
  }
}

}  // namespace posemb::testing
