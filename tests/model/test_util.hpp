#pragma once
// Helpers shared by the model tests: seeded random data and element-wise comparisons that
// report the worst element.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace posemb::testing {

inline std::vector<float> random_vector(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(gen);
  return v;
}

// |actual - expected| <= atol + rtol * |expected| for every element; on failure names the
// first offending index and the largest error.
inline ::testing::AssertionResult all_close(const std::vector<float>& actual, const std::vector<float>& expected,
                                            double rtol, double atol) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure() << "sizes differ: " << actual.size() << " vs " << expected.size();
  double worst = 0;
  std::size_t worst_at = 0, bad = 0, first_bad = 0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double err = std::abs(double(actual[i]) - double(expected[i]));
    const double allowed = atol + rtol * std::abs(double(expected[i]));
    if (!(err <= allowed)) {
      if (bad++ == 0) first_bad = i;
    }
    if (err > worst || std::isnan(err)) {
      worst = err;
      worst_at = i;
    }
  }
  if (bad == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << bad << " of " << actual.size() << " elements differ; first at " << first_bad
                                       << " (" << actual[first_bad] << " vs " << expected[first_bad]
                                       << "), largest error " << worst << " at " << worst_at;
}

inline ::testing::AssertionResult bit_identical(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
      return ::testing::AssertionFailure() << "element " << i << " differs: " << a[i] << " vs " << b[i];
  return ::testing::AssertionSuccess();
}

}  // namespace posemb::testing

namespace posemb::testing {

// Central finite differences of a scalar loss with respect to `values`, checked against the
// analytic gradient at every element (or every stride-th). loss() re-runs the forward pass
// with the current contents of `values`.
template <class Loss>
::testing::AssertionResult gradient_matches_finite_differences(std::vector<float>& values,
                                                               const std::vector<float>& analytic, Loss&& loss,
                                                               double step = 1e-2, double tolerance = 2e-3,
                                                               std::size_t stride = 1) {
  if (values.size() != analytic.size()) return ::testing::AssertionFailure() << "sizes differ";
  for (std::size_t i = 0; i < values.size(); i += stride) {
    const float saved = values[i];
    values[i] = float(saved + step);
    const double plus = loss();
    values[i] = float(saved - step);
    const double minus = loss();
    values[i] = saved;
    const double numeric = (plus - minus) / (2 * step);
    const double err = std::abs(numeric - double(analytic[i]));
    if (!(err <= tolerance * std::max(1.0, std::abs(numeric))))
      return ::testing::AssertionFailure() << "element " << i << ": analytic " << analytic[i] << ", finite difference "
                                           << numeric << " (error " << err << ")";
  }
  return ::testing::AssertionSuccess();
}

inline double weighted_sum(const std::vector<float>& y, const std::vector<float>& weights) {
  double sum = 0;
  for (std::size_t i = 0; i < y.size(); ++i) sum += double(y[i]) * weights[i];
  return sum;
}

}  // namespace posemb::testing
