// Gpt::attention_probabilities: the probabilities a block's heads give each key, with the
// model's positional scheme. Checked by what a softmax must be (rows sum to 1, nothing past the
// diagonal) for every scheme, and exactly where the answer is known: with the query/key
// projection zeroed, every score is 0 plus the scheme's bias, so NoPE attends uniformly and
// ALiBi gives softmax(-m (i - j)).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "posemb/core/error.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/positional/alibi.hpp"

namespace posemb::model {
namespace {

GptConfig config_for(PositionScheme scheme) {
  GptConfig c;
  c.vocab_size = 13;
  c.context_length = 7;
  c.layers = 2;
  c.heads = 3;
  c.channels = 12;
  c.scheme = scheme;
  c.t5_num_buckets = 6;
  c.t5_max_distance = 8;
  c.shaw_max_relative_position = 2;
  return c;
}

const std::vector<std::int32_t> kTokens{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7};  // 2 sequences of 7

class AttentionMap : public ::testing::TestWithParam<PositionScheme> {};

TEST_P(AttentionMap, RowsAreDistributionsOverPastKeys) {
  Gpt model(config_for(GetParam()));
  model.initialize(4);
  for (Index layer = 0; layer < 2; ++layer) {
    const Tensor p = model.attention_probabilities({kTokens, {}, 2, 7}, layer);
    ASSERT_EQ(p.shape(), (Shape{2, 3, 7, 7}));
    for (Index b = 0; b < 2; ++b)
      for (Index h = 0; h < 3; ++h)
        for (Index i = 0; i < 7; ++i) {
          double sum = 0;
          for (Index j = 0; j < 7; ++j) {
            if (j > i) {
              EXPECT_EQ(p.at(b, h, i, j), 0.0f) << "a future key";
            }
            sum += p.at(b, h, i, j);
          }
          EXPECT_NEAR(sum, 1.0, 1e-5) << "layer " << layer << " head " << h << " row " << i;
        }
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, AttentionMap,
                         ::testing::ValuesIn(all_position_schemes()));

// Zeroes the query and key thirds of a block's qkv projection (weights and biases).
void zero_queries_and_keys(Gpt& model, Index layer) {
  const Index c = model.config().channels;
  const auto& w = model.layout().find("blocks." + std::to_string(layer) + ".attn.qkv.weight");
  const auto& bias = model.layout().find("blocks." + std::to_string(layer) + ".attn.qkv.bias");
  float* P = model.parameters().data();
  // The weight is [3C, C] (nn.Linear's layout) or [C, 3C]: either way q and k are the entries
  // that feed the first 2C outputs.
  if (w.shape[0] == 3 * c) {
    for (Index r = 0; r < 2 * c; ++r)
      for (Index k = 0; k < c; ++k) P[w.offset + r * c + k] = 0.0f;
  } else {
    for (Index r = 0; r < c; ++r)
      for (Index k = 0; k < 2 * c; ++k) P[w.offset + r * 3 * c + k] = 0.0f;
  }
  for (Index k = 0; k < 2 * c; ++k) P[bias.offset + k] = 0.0f;
}

TEST(AttentionMapExact, NopeWithoutQueriesAttendsUniformly) {
  Gpt model(config_for(PositionScheme::kNone));
  model.initialize(5);
  zero_queries_and_keys(model, 1);
  const Tensor p = model.attention_probabilities({kTokens, {}, 2, 7}, 1);
  for (Index h = 0; h < 3; ++h)
    for (Index i = 0; i < 7; ++i)
      for (Index j = 0; j <= i; ++j) EXPECT_NEAR(p.at(1, h, i, j), 1.0 / double(i + 1), 1e-6);
}

TEST(AttentionMapExact, AlibiWithoutQueriesIsTheSoftmaxOfItsBias) {
  Gpt model(config_for(PositionScheme::kAlibi));
  model.initialize(6);
  zero_queries_and_keys(model, 0);
  const Tensor p = model.attention_probabilities({kTokens, {}, 2, 7}, 0);
  const auto slopes = positional::alibi_slopes(3);
  for (Index h = 0; h < 3; ++h)
    for (Index i = 0; i < 7; ++i) {
      double total = 0;
      for (Index j = 0; j <= i; ++j) total += std::exp(-double(slopes[std::size_t(h)]) * double(i - j));
      for (Index j = 0; j <= i; ++j)
        EXPECT_NEAR(p.at(0, h, i, j), std::exp(-double(slopes[std::size_t(h)]) * double(i - j)) / total, 1e-6)
            << "head " << h << " query " << i << " key " << j;
    }
}

TEST(AttentionMapExact, ALayerThatDoesNotExistIsAnError) {
  Gpt model(config_for(PositionScheme::kRope));
  model.initialize(7);
  EXPECT_THROW(model.attention_probabilities({kTokens, {}, 2, 7}, 2), Error);
}

}  // namespace
}  // namespace posemb::model
