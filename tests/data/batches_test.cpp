#include "posemb/data/batches.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "posemb/core/error.hpp"

namespace posemb::data {
namespace {

std::vector<std::uint32_t> counting(std::size_t n) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), 0u);
  return v;
}

TEST(SplitTokens, HoldsOutTheLastFraction) {
  const auto tokens = counting(100);
  const TokenSplit s = split_tokens(tokens, 0.1);
  EXPECT_EQ(s.train.size(), 90u);
  EXPECT_EQ(s.validation.size(), 10u);
  EXPECT_EQ(s.validation.front(), 90u);
  EXPECT_THROW(split_tokens(tokens, 0.0), Error);
  EXPECT_THROW(split_tokens(counting(5), 0.1), Error);  // nothing left to hold out
}

TEST(BatchSampler, BatchesAreAPureFunctionOfSeedAndStep) {
  const auto tokens = counting(1000);
  const BatchSampler a(tokens, 4, 16, 7), b(tokens, 4, 16, 7), other(tokens, 4, 16, 8);
  std::vector<std::int32_t> in1, t1, in2, t2, in3, t3;
  a.fill(5, in1, t1);
  a.fill(6, in2, t2);  // drawing another step first must not matter
  b.fill(5, in2, t2);
  EXPECT_EQ(in1, in2);
  EXPECT_EQ(t1, t2);
  other.fill(5, in3, t3);
  EXPECT_NE(in1, in3);
  ASSERT_EQ(in1.size(), 64u);
  for (std::size_t i = 0; i < in1.size(); ++i) {
    EXPECT_EQ(t1[i], in1[i] + 1) << "targets are the next tokens";
    EXPECT_LT(t1[i], 1000);
  }
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t t = 1; t < 16; ++t)
      EXPECT_EQ(in1[r * 16 + t], in1[r * 16 + t - 1] + 1) << "a window is contiguous";
}

TEST(BatchSampler, TooShortATextIsAnError) {
  const auto tokens = counting(16);
  EXPECT_THROW(BatchSampler(tokens, 1, 16, 1), Error);
  EXPECT_NO_THROW(BatchSampler(counting(17), 1, 16, 1));
}

TEST(EvaluationWindows, CoverTheTextOnceWithoutOverlap) {
  const auto tokens = counting(101);
  EXPECT_EQ(evaluation_window_count(tokens, 10, 100), 10);
  EXPECT_EQ(evaluation_window_count(tokens, 10, 3), 3);
  EXPECT_EQ(evaluation_window_count(tokens, 200, 100), 0);
  std::vector<std::int32_t> in(10), tg(10);
  fill_evaluation_window(tokens, 9, 10, in.data(), tg.data());
  EXPECT_EQ(in.front(), 90);
  EXPECT_EQ(tg.back(), 100);
  EXPECT_THROW(fill_evaluation_window(tokens, 10, 10, in.data(), tg.data()), Error);
}

}  // namespace
}  // namespace posemb::data
