#include "posemb/kernels/softmax_cross_entropy.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "test_util.hpp"

namespace posemb::kernels {
namespace {

using posemb::testing::all_close;
using posemb::testing::gradient_matches_finite_differences;
using posemb::testing::random_vector;

std::vector<std::int32_t> targets_for(Index rows, Index vocab) {
  std::vector<std::int32_t> t(static_cast<std::size_t>(rows));
  for (Index r = 0; r < rows; ++r) t[static_cast<std::size_t>(r)] = std::int32_t((r * 7919 + 3) % vocab);
  return t;
}

struct Case {
  Index rows, vocab;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.rows << "x" << c.vocab; }
class CrossEntropyTest : public ::testing::TestWithParam<Case> {};

TEST_P(CrossEntropyTest, FastMatchesReference) {
  const auto [rows, vocab] = GetParam();
  auto logits = random_vector(static_cast<std::size_t>(rows * vocab), 1, 4.0f);
  logits[0] = 80.0f;  // large logits must not overflow exp
  const auto targets = targets_for(rows, vocab);
  std::vector<float> losses(static_cast<std::size_t>(rows)), losses_ref(losses.size());
  softmax_cross_entropy(logits.data(), targets.data(), losses.data(), rows, vocab);
  softmax_cross_entropy_reference(logits.data(), targets.data(), losses_ref.data(), rows, vocab);
  EXPECT_TRUE(all_close(losses, losses_ref, 1e-5, 1e-5));

  auto grad = logits, grad_ref = logits;
  std::vector<float> l2(losses.size()), l2_ref(losses.size());
  const float scale = 1.0f / float(rows);
  softmax_cross_entropy_backward_in_place(grad.data(), targets.data(), l2.data(), rows, vocab, scale);
  softmax_cross_entropy_backward_in_place_reference(grad_ref.data(), targets.data(), l2_ref.data(), rows, vocab, scale);
  EXPECT_TRUE(all_close(l2, losses_ref, 1e-5, 1e-5));
  // The float sum of 50257 exponentials is good to a few 1e-6 relative.
  EXPECT_TRUE(all_close(grad, grad_ref, 1e-5, 1e-7));
}

INSTANTIATE_TEST_SUITE_P(Shapes, CrossEntropyTest,
                         ::testing::Values(Case{1, 1}, Case{3, 5}, Case{17, 256}, Case{4, 50257}, Case{600, 31}));

TEST(CrossEntropy, UniformLogitsGiveLogVocab) {
  std::vector<float> logits(10 * 256, 0.5f);
  const auto targets = targets_for(10, 256);
  std::vector<float> losses(10);
  softmax_cross_entropy(logits.data(), targets.data(), losses.data(), 10, 256);
  for (float l : losses) EXPECT_NEAR(l, std::log(256.0f), 1e-5);
}

TEST(CrossEntropy, GradientMatchesFiniteDifferences) {
  const Index rows = 4, vocab = 11;
  auto logits = random_vector(static_cast<std::size_t>(rows * vocab), 3, 2.0f);
  const auto targets = targets_for(rows, vocab);
  std::vector<float> losses(static_cast<std::size_t>(rows));
  auto mean_loss = [&] {
    softmax_cross_entropy(logits.data(), targets.data(), losses.data(), rows, vocab);
    return std::accumulate(losses.begin(), losses.end(), 0.0) / double(rows);
  };
  auto grad = logits;
  softmax_cross_entropy_backward_in_place(grad.data(), targets.data(), losses.data(), rows, vocab, 1.0f / float(rows));
  EXPECT_TRUE(gradient_matches_finite_differences(logits, grad, mean_loss, 1e-2, 2e-3));
}

}  // namespace
}  // namespace posemb::kernels
