#include "posemb/kernels/layer_norm.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace posemb::kernels {
namespace {

using posemb::testing::all_close;
using posemb::testing::gradient_matches_finite_differences;
using posemb::testing::random_vector;
using posemb::testing::weighted_sum;

struct Case {
  Index rows, channels;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.rows << "x" << c.channels; }
class LayerNormTest : public ::testing::TestWithParam<Case> {};

TEST_P(LayerNormTest, FastMatchesReference) {
  const auto [rows, channels] = GetParam();
  const auto n = static_cast<std::size_t>(rows * channels);
  auto x = random_vector(n, 1, 2.0f);
  for (std::size_t i = 0; i < n; ++i) x[i] += 3.0f;  // a non-zero mean, as residual streams have
  const auto w = random_vector(static_cast<std::size_t>(channels), 2),
             b = random_vector(static_cast<std::size_t>(channels), 3);
  std::vector<float> y(n), y_ref(n), mean(static_cast<std::size_t>(rows)), rstd(mean.size()), mean_ref(mean.size()),
      rstd_ref(mean.size());
  layer_norm_forward(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), rows, channels);
  layer_norm_forward_reference(x.data(), w.data(), b.data(), y_ref.data(), mean_ref.data(), rstd_ref.data(), rows,
                               channels);
  EXPECT_TRUE(all_close(y, y_ref, 1e-5, 1e-5));
  EXPECT_TRUE(all_close(mean, mean_ref, 1e-6, 1e-6));
  EXPECT_TRUE(all_close(rstd, rstd_ref, 1e-5, 0));

  const auto dy = random_vector(n, 4);
  auto dx = random_vector(n, 5), dw = random_vector(w.size(), 6), db = random_vector(b.size(), 7);
  auto dx_ref = dx, dw_ref = dw, db_ref = db;
  layer_norm_backward(dy.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(), dw.data(), db.data(), rows,
                      channels);
  layer_norm_backward_reference(dy.data(), x.data(), w.data(), mean_ref.data(), rstd_ref.data(), dx_ref.data(),
                                dw_ref.data(), db_ref.data(), rows, channels);
  EXPECT_TRUE(all_close(dx, dx_ref, 1e-4, 1e-5));
  EXPECT_TRUE(all_close(dw, dw_ref, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(db, db_ref, 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormTest,
                         ::testing::Values(Case{1, 1}, Case{3, 5}, Case{7, 16}, Case{130, 256}, Case{65, 37}));

TEST(LayerNorm, NormalisesToZeroMeanUnitVariance) {
  const float x[] = {1, 2, 3, 4}, w[] = {1, 1, 1, 1}, b[] = {0, 0, 0, 0};
  float y[4], mean, rstd;
  layer_norm_forward(x, w, b, y, &mean, &rstd, 1, 4);
  EXPECT_FLOAT_EQ(mean, 2.5f);
  // biased variance 1.25: y = (x - 2.5) / sqrt(1.25 + 1e-5)
  EXPECT_NEAR(y[0], -1.5 / std::sqrt(1.25 + 1e-5), 1e-6);
  EXPECT_NEAR(y[3], 1.5 / std::sqrt(1.25 + 1e-5), 1e-6);
}

TEST(LayerNorm, BackwardMatchesFiniteDifferences) {
  const Index rows = 3, channels = 8;
  const auto n = static_cast<std::size_t>(rows * channels);
  auto x = random_vector(n, 11), w = random_vector(static_cast<std::size_t>(channels), 12),
       b = random_vector(static_cast<std::size_t>(channels), 13);
  const auto r = random_vector(n, 14);  // loss = Σ y ⊙ r, so dy = r
  std::vector<float> y(n), mean(static_cast<std::size_t>(rows)), rstd(mean.size());
  auto loss = [&] {
    layer_norm_forward(x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data(), rows, channels);
    return weighted_sum(y, r);
  };
  loss();
  std::vector<float> dx(n), dw(w.size()), db(b.size());
  layer_norm_backward(r.data(), x.data(), w.data(), mean.data(), rstd.data(), dx.data(), dw.data(), db.data(), rows,
                      channels);
  EXPECT_TRUE(gradient_matches_finite_differences(x, dx, loss, 1e-2, 5e-3));
  EXPECT_TRUE(gradient_matches_finite_differences(w, dw, loss, 1e-2, 5e-3));
  EXPECT_TRUE(gradient_matches_finite_differences(b, db, loss, 1e-2, 5e-3));
}

}  // namespace
}  // namespace posemb::kernels
