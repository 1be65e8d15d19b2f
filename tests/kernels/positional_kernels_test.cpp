// The positional reference kernels against direct, index-by-index statements of what they
// compute (the fast kernels, when they land, are tested against these references).
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "posemb/kernels/position_rows.hpp"
#include "posemb/kernels/relative_bias.hpp"
#include "posemb/kernels/rope.hpp"

namespace posemb::kernels {
namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(rng);
  return v;
}

TEST(RelativeBiasKernel, EachScoreGetsTheBiasOfItsDistance) {
  ScoreBlock block{2, 3, 5, 7, 4};  // queries at 7..9, keys at 4..8
  const DistanceRange range = relative_distance_range(block);
  EXPECT_EQ(range.min_distance, 4 - 9);
  EXPECT_EQ(range.count, (8 - 7) - (4 - 9) + 1);
  const auto bias = random_values(static_cast<std::size_t>(2 * range.count), 1);
  std::vector<float> scores(2 * 3 * 5, 1.0f);
  add_relative_bias_reference(scores.data(), block, bias.data(), range.count, range.min_distance);
  for (Index h = 0; h < 2; ++h)
    for (Index i = 0; i < 3; ++i)
      for (Index j = 0; j < 5; ++j) {
        const Index d = (4 + j) - (7 + i);
        EXPECT_EQ(scores[static_cast<std::size_t>((h * 3 + i) * 5 + j)],
                  1.0f + bias[static_cast<std::size_t>(h * range.count + d - range.min_distance)]);
      }
  // Backward: the gradient of each distance is the sum over the scores at that distance.
  std::vector<float> grad(bias.size(), 0.0f);
  const std::vector<float> ones(scores.size(), 1.0f);
  relative_bias_backward_reference(ones.data(), block, grad.data(), range.count, range.min_distance);
  for (Index h = 0; h < 2; ++h)
    for (Index k = 0; k < range.count; ++k) {
      const Index d = range.min_distance + k;
      Index count = 0;
      for (Index i = 0; i < 3; ++i)
        for (Index j = 0; j < 5; ++j) count += ((4 + j) - (7 + i)) == d;
      EXPECT_EQ(grad[static_cast<std::size_t>(h * range.count + k)], static_cast<float>(count)) << "distance " << d;
    }
}

TEST(RopeKernel, RotatesThePairsOfEachPairingAndCopiesTheRest) {
  const Index heads = 2, head_dim = 10;
  const auto x = random_values(static_cast<std::size_t>(heads * head_dim), 2);
  const std::vector<float> cos{0.6f, 0.0f, 1.0f}, sin{0.8f, 1.0f, 0.0f};  // one position, 3 pairs
  const Index position = 0;
  for (const RopePairing pairing : {RopePairing::kHalves, RopePairing::kInterleaved}) {
    RopeLayout layout{1, heads, head_dim, 2, 6, pairing};
    std::vector<float> out(x.size(), -99.0f);
    rope_reference(x.data(), out.data(), layout, &position, cos.data(), sin.data(), RotationDirection::kForward);
    for (Index h = 0; h < heads; ++h) {
      const float* xh = x.data() + h * head_dim;
      const float* oh = out.data() + h * head_dim;
      for (const Index c : {0, 1, 8, 9}) EXPECT_EQ(oh[c], xh[c]);
      for (Index k = 0; k < 3; ++k) {
        const Index i = 2 + (pairing == RopePairing::kHalves ? k : 2 * k);
        const Index j = pairing == RopePairing::kHalves ? i + 3 : i + 1;
        const auto ks = static_cast<std::size_t>(k);
        EXPECT_FLOAT_EQ(oh[i], xh[i] * cos[ks] - xh[j] * sin[ks]);
        EXPECT_FLOAT_EQ(oh[j], xh[j] * cos[ks] + xh[i] * sin[ks]);
      }
    }
    // In place gives the same, and the inverse rotation restores x.
    std::vector<float> in_place = x;
    rope_reference(in_place.data(), in_place.data(), layout, &position, cos.data(), sin.data(),
                   RotationDirection::kForward);
    EXPECT_EQ(in_place, out);
    rope_reference(in_place.data(), in_place.data(), layout, &position, cos.data(), sin.data(),
                   RotationDirection::kInverse);
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(in_place[i], x[i], 1e-6);
  }
}

TEST(PositionRowsKernel, AddsTheRowOfEachPositionAndAccumulatesItsGradient) {
  const Index dim = 3;
  const auto table = random_values(4 * 3, 3);
  const auto x = random_values(3 * 3, 4);
  const std::vector<Index> positions{2, 0, 2};
  std::vector<float> out(x.size());
  add_position_rows_reference(x.data(), out.data(), 3, dim, table.data(), positions.data());
  for (Index t = 0; t < 3; ++t)
    for (Index c = 0; c < dim; ++c)
      EXPECT_EQ(out[static_cast<std::size_t>(t * dim + c)],
                x[static_cast<std::size_t>(t * dim + c)] + table[static_cast<std::size_t>(positions[static_cast<std::size_t>(t)] * dim + c)]);
  std::vector<float> grad(table.size(), 0.0f);
  add_position_rows_backward_table_reference(x.data(), grad.data(), 3, dim, positions.data());
  for (Index c = 0; c < dim; ++c) {
    EXPECT_EQ(grad[static_cast<std::size_t>(2 * dim + c)], x[static_cast<std::size_t>(c)] + x[static_cast<std::size_t>(2 * dim + c)]);
    EXPECT_EQ(grad[static_cast<std::size_t>(0 * dim + c)], x[static_cast<std::size_t>(dim + c)]);
    EXPECT_EQ(grad[static_cast<std::size_t>(1 * dim + c)], 0.0f);
  }
}

}  // namespace
}  // namespace posemb::kernels
