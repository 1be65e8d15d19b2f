#include "posemb/kernels/gelu.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace posemb::kernels {
namespace {

using posemb::testing::all_close;
using posemb::testing::gradient_matches_finite_differences;
using posemb::testing::random_vector;
using posemb::testing::weighted_sum;

TEST(Gelu, FastMatchesReferenceAcrossTheRange) {
  // From deep in the negative tail to large positives, and a length that leaves a SIMD tail.
  std::vector<float> x;
  for (float v = -12.0f; v <= 12.0f; v += 0.0137f) x.push_back(v);
  auto more = random_vector(40003, 1, 3.0f);
  x.insert(x.end(), more.begin(), more.end());
  const auto n = static_cast<Index>(x.size());
  std::vector<float> y(x.size()), y_ref(x.size());
  gelu_forward(x.data(), y.data(), n);
  gelu_forward_reference(x.data(), y_ref.data(), n);
  EXPECT_TRUE(all_close(y, y_ref, 2e-6, 2e-7));

  const auto dy = random_vector(x.size(), 2);
  std::vector<float> dx(x.size()), dx_ref(x.size());
  gelu_backward(dy.data(), x.data(), dx.data(), n);
  gelu_backward_reference(dy.data(), x.data(), dx_ref.data(), n);
  // 1 - tanh² cancels in float for |x| ≳ 3 (as in torch's float kernel): absolute slack there.
  EXPECT_TRUE(all_close(dx, dx_ref, 2e-6, 1e-5));
}

TEST(Gelu, KnownValues) {
  // gelu(0) = 0, gelu(x) → x for large x, → 0 for very negative x, gelu(1) = 0.8411920...
  const float x[] = {0.0f, 1.0f, 20.0f, -20.0f};
  float y[4];
  gelu_forward(x, y, 4);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_NEAR(y[1], 0.5 * (1 + std::tanh(0.7978845608028654 * (1 + 0.044715))), 1e-7);
  EXPECT_FLOAT_EQ(y[2], 20.0f);
  EXPECT_NEAR(y[3], 0.0f, 1e-7);
}

TEST(Gelu, BackwardMatchesFiniteDifferences) {
  auto x = random_vector(37, 3, 2.0f);
  const auto r = random_vector(x.size(), 4);
  std::vector<float> y(x.size()), dx(x.size());
  auto loss = [&] {
    gelu_forward(x.data(), y.data(), static_cast<Index>(x.size()));
    return weighted_sum(y, r);
  };
  gelu_backward(r.data(), x.data(), dx.data(), static_cast<Index>(x.size()));
  EXPECT_TRUE(gradient_matches_finite_differences(x, dx, loss, 1e-2, 2e-3));
}

TEST(Gelu, BackwardMayWriteOverItsGradientInput) {
  auto x = random_vector(100, 5);
  auto g = random_vector(100, 6);
  std::vector<float> expected(100);
  gelu_backward(g.data(), x.data(), expected.data(), 100);
  gelu_backward(g.data(), x.data(), g.data(), 100);
  EXPECT_EQ(g, expected);
}

}  // namespace
}  // namespace posemb::kernels
