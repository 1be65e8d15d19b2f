// The library's entry points refuse sizes that cannot fit in memory with posemb::Error naming
// the size, before allocating (the sizes here are terabytes: a regression would fail with
// bad_alloc, never swap). Also the ALiBi / T5 bias of an empty block, which divided by zero.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "posemb/core/error.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/axial_rope.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/shaw.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb::positional {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr Index kMillion = 1'000'000;

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

RopeParams rope_params(Index head_dim) {
  RopeParams p;
  p.head_dim = p.rotary_dim = head_dim;
  return p;
}

TEST(SizeLimits, RopeFrequenciesAndCache) {
  EXPECT_THAT(error_of([] { (void)compute_rope_frequencies(rope_params(Index{1} << 42)); }),
              AllOf(StartsWith("rope: head_dim 4398046511104, rotary dim 4398046511104: the inverse frequencies would "
                               "take 8.00 TiB"),
                    HasSubstr("(2199023255552 float32 values)")));
  EXPECT_THAT(error_of([] { const Rope rope(rope_params(1024), 1000 * kMillion); }),
              AllOf(StartsWith("rope: a cos/sin cache of 1000000000 positions: the cos and sin tables would take "
                               "3.73 TiB (2 x 1000000000 x 512 float32 values)"),
                    HasSubstr("the list of positions about 7.45 GiB more")));
}

TEST(SizeLimits, ScoreBiasTables) {
  EXPECT_THAT(error_of([] {
                (void)t5_bucket_matrix({1, 32, 128, true}, kMillion, kMillion);
              }),
              StartsWith("t5: a bucket matrix of 1000000 queries x 1000000 keys: the buckets would take 7.28 TiB "
                         "(1000000 x 1000000 int64 values)"));
  EXPECT_THAT(error_of([] { (void)shaw_index_matrix(4, kMillion, kMillion); }),
              StartsWith("shaw: an index matrix of 1000000 queries x 1000000 keys: the indices would take 7.28 TiB"));
  const Alibi alibi({16, AlibiDirection::kCausal});
  EXPECT_THAT(error_of([&] { (void)alibi.bias_matrix(kMillion, kMillion); }),
              StartsWith("alibi: a bias matrix of 16 heads x 1000000 queries x 1000000 keys: the biases would take "
                         "58.2 TiB"));
  EXPECT_THAT(error_of([&] { (void)alibi.bias_matrix(-1, 4); }), HasSubstr("lengths must be 0 or more, got -1"));
  EXPECT_THAT(error_of([] { (void)alibi_slopes(0); }), HasSubstr("at least 1"));
}

TEST(SizeLimits, SinusoidalAndAxialTables) {
  const SinusoidalParams params{.dim = 1024};
  EXPECT_THAT(error_of([&] { const SinusoidalPositions s(params, 10 * kMillion * kMillion); }),
              StartsWith("sinusoidal: a cache of 10000000000000 positions x dim 1024: the cached rows would take"));
  const SinusoidalPositions s(params);
  EXPECT_THAT(error_of([&] { (void)s.table(10 * kMillion * kMillion); }),
              StartsWith("sinusoidal: a table of 10000000000000 positions x dim 1024: the table would take"));
  EXPECT_THAT(error_of([] { (void)grid_positions(1, kMillion, kMillion); }),
              StartsWith("axial rope: a grid of 1 x 1000000 x 1000000 tokens: the row and column of each token would "
                         "take 14.6 TiB"));
}

// Queries from position 5 of a 3-key block: no query at all. The SIMD kernel divided its first
// row by the number of queries (SIGFPE).
TEST(SizeLimits, AnEmptyBlockIsAnEmptyBias) {
  const Alibi alibi({2, AlibiDirection::kCausal});
  const Tensor bias = alibi.bias_matrix(0, 3, 5, 0);
  EXPECT_EQ(bias.shape(), (Shape{2, 0, 3}));
  const T5RelativeBias t5({2, 32, 128, true}, Tensor({32, 2}));
  EXPECT_EQ(t5.bias_matrix(4, 0).shape(), (Shape{2, 4, 0}));
}

}  // namespace
}  // namespace posemb::positional
