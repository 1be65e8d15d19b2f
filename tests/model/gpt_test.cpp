#include "posemb/model/gpt.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "posemb/core/error.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/trainer.hpp"
#include "test_util.hpp"

namespace posemb::model {
namespace {

using posemb::testing::bit_identical;
using posemb::testing::gradient_matches_finite_differences;

GptConfig small_config(PositionScheme scheme) {
  GptConfig c;
  c.vocab_size = 11;
  c.context_length = 6;
  c.layers = 2;
  c.heads = 2;
  c.channels = 8;
  c.scheme = scheme;
  c.t5_num_buckets = 6;
  c.t5_max_distance = 8;
  c.shaw_max_relative_position = 2;
  return c;
}

std::vector<std::int32_t> random_ids(std::size_t n, std::int32_t vocab, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<std::int32_t> ids(n);
  for (auto& id : ids) id = std::int32_t(gen() % std::uint32_t(vocab));
  return ids;
}

// GPT-2 init plus noise on every parameter, so that no gradient term is trivially zero.
void init_perturbed(Gpt& model, std::uint64_t seed) {
  model.initialize(seed);
  const auto noise = posemb::testing::random_vector(model.parameters().size(), std::uint32_t(seed + 1), 0.1f);
  for (std::size_t i = 0; i < noise.size(); ++i) model.parameters()[i] += noise[i];
}

class GptGradientTest : public ::testing::TestWithParam<PositionScheme> {};

TEST_P(GptGradientTest, EveryParameterMatchesFiniteDifferences) {
  Gpt model(small_config(GetParam()));
  init_perturbed(model, 5);
  const Index b = 2, t = 6;
  const auto tokens = random_ids(std::size_t(b * t), 11, 1), targets = random_ids(std::size_t(b * t), 11, 2);
  const TokenBatch batch{tokens, targets, b, t};
  model.zero_gradients();
  model.loss_and_gradients(batch);
  for (const auto& e : model.layout().entries()) {
    std::vector<float> values(model.parameters().begin() + e.offset, model.parameters().begin() + e.offset + e.size);
    const std::vector<float> analytic(model.gradients().begin() + e.offset,
                                      model.gradients().begin() + e.offset + e.size);
    auto loss = [&] {
      std::copy(values.begin(), values.end(), model.parameters().begin() + e.offset);
      return double(model.loss(batch));
    };
    // Every element of small tensors, a spread of elements of the large ones.
    const std::size_t stride = e.size > 64 ? 7 : 1;
    EXPECT_TRUE(gradient_matches_finite_differences(values, analytic, loss, 3e-3, 2e-3, stride)) << e.name;
    std::copy(values.begin(), values.end(), model.parameters().begin() + e.offset);
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, GptGradientTest, ::testing::ValuesIn(all_position_schemes()),
                         [](const auto& test_info) { return std::string(scheme_name(test_info.param)); });

class GptCacheTest : public ::testing::TestWithParam<PositionScheme> {};

TEST_P(GptCacheTest, PiecesThroughTheKvCacheGiveTheFullSequencesLogits) {
  GptConfig c = small_config(GetParam());
  c.context_length = 16;
  Gpt model(c);
  init_perturbed(model, 9);
  const Index b = 2, t = 13;
  const auto tokens = random_ids(std::size_t(b * t), 11, 21);
  const Tensor full = model.logits({tokens, {}, b, t});

  KvCache cache(c, b, 16);
  std::vector<float> pieced(std::size_t(b * t * c.vocab_size));
  Index done = 0;
  for (Index piece : {5, 1, 7}) {
    std::vector<std::int32_t> part;
    for (Index s = 0; s < b; ++s)
      part.insert(part.end(), tokens.begin() + s * t + done, tokens.begin() + s * t + done + piece);
    const Tensor logits = model.logits_cached({part, {}, b, piece}, cache);
    for (Index s = 0; s < b; ++s)
      std::copy(logits.data() + s * piece * c.vocab_size, logits.data() + (s + 1) * piece * c.vocab_size,
                pieced.begin() + (s * t + done) * c.vocab_size);
    done += piece;
    EXPECT_EQ(cache.length(), done);
  }
  EXPECT_TRUE(posemb::testing::all_close(pieced, {full.values().begin(), full.values().end()}, 1e-5, 1e-6));

  // Full caches and mismatched batches are errors, not overruns.
  const auto more = random_ids(std::size_t(b * 4), 11, 22);
  EXPECT_THROW(model.logits_cached({more, {}, b, 4}, cache), Error);
  KvCache other(c, 1, 16);
  EXPECT_THROW(model.logits_cached({more, {}, b, 4}, other), Error);
}

// The position tables (sinusoidal rows, RoPE cos/sin, ALiBi biases) are built once and kept;
// T5's bias reads parameters and is gathered again on every call. A model that ran other lengths
// before, or whose parameters changed since, gives the same bits as a fresh one.
TEST_P(GptCacheTest, TablesKeptFromEarlierCallsGiveAFreshModelsBits) {
  const GptConfig c = small_config(GetParam());  // context 6
  const auto values = [](const Tensor& t) { return std::vector<float>(t.values().begin(), t.values().end()); };
  const auto fresh_logits = [&](std::uint64_t seed, const std::vector<std::int32_t>& tokens, Index t) {
    Gpt fresh(c);
    init_perturbed(fresh, seed);
    return values(fresh.logits({tokens, {}, 1, t}));
  };
  // Past the context length where the scheme allows it: the kept tables must grow.
  const Index longest = GetParam() == PositionScheme::kLearned ? c.context_length : c.context_length + 5;
  const auto long_tokens = random_ids(std::size_t(longest), 11, 24);
  const auto short_tokens = random_ids(3, 11, 25);
  Gpt model(c);
  init_perturbed(model, 9);
  (void)model.logits({short_tokens, {}, 1, 3});
  EXPECT_TRUE(bit_identical(values(model.logits({long_tokens, {}, 1, longest})), fresh_logits(9, long_tokens, longest)));
  EXPECT_TRUE(bit_identical(values(model.logits({short_tokens, {}, 1, 3})), fresh_logits(9, short_tokens, 3)));
  init_perturbed(model, 31);  // new parameters, as after a training step
  EXPECT_TRUE(bit_identical(values(model.logits({short_tokens, {}, 1, 3})), fresh_logits(31, short_tokens, 3)));
}

INSTANTIATE_TEST_SUITE_P(Schemes, GptCacheTest, ::testing::ValuesIn(all_position_schemes()),
                         [](const auto& test_info) { return std::string(scheme_name(test_info.param)); });

TEST(Gpt, LearnedPositionsRefuseCachePositionsPastTheirTable) {
  const GptConfig c = small_config(PositionScheme::kLearned);  // context 6
  Gpt model(c);
  model.initialize(1);
  KvCache cache(c, 1, 10);
  const auto tokens = random_ids(4, 11, 23);
  (void)model.logits_cached({tokens, {}, 1, 4}, cache);
  try {
    (void)model.logits_cached({tokens, {}, 1, 4}, cache);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("positions up to 7 are past the 6 positions"), std::string::npos) << e.what();
  }
}

TEST(Gpt, SameBitsWithOneOrTwoThreads) {
  auto run = [](int threads) {
    kernels::set_kernel_threads(threads);
    GptConfig c = small_config(PositionScheme::kLearned);
    c.channels = 64;
    c.heads = 4;
    c.context_length = 140;  // more than one attention tile and several row pieces
    c.vocab_size = 300;
    Gpt model(c);
    model.initialize(3);
    const auto tokens = random_ids(2 * 140, 300, 7), targets = random_ids(2 * 140, 300, 8);
    model.zero_gradients();
    std::vector<float> out{model.loss_and_gradients({tokens, targets, 2, 140})};
    out.insert(out.end(), model.gradients().begin(), model.gradients().end());
    return out;
  };
  const auto one = run(1), two = run(2);
  kernels::set_kernel_threads(1);
  EXPECT_TRUE(bit_identical(one, two));
}

TEST(Gpt, SameSeedSameParameters) {
  Gpt a(small_config(PositionScheme::kLearned)), b(small_config(PositionScheme::kLearned));
  a.initialize(42);
  b.initialize(42);
  EXPECT_TRUE(
      bit_identical({a.parameters().begin(), a.parameters().end()}, {b.parameters().begin(), b.parameters().end()}));
  b.initialize(43);
  EXPECT_FALSE(
      bit_identical({a.parameters().begin(), a.parameters().end()}, {b.parameters().begin(), b.parameters().end()}));
}

TEST(Gpt, LossOfAnUntrainedModelIsNearLogVocab) {
  Gpt model(small_config(PositionScheme::kNone));
  model.initialize(1);
  const auto tokens = random_ids(12, 11, 3), targets = random_ids(12, 11, 4);
  EXPECT_NEAR(model.loss({tokens, targets, 2, 6}), std::log(11.0), 0.05);
}

TEST(Gpt, BadInputIsAnErrorNamingWhere) {
  Gpt model(small_config(PositionScheme::kLearned));
  auto tokens = random_ids(12, 11, 3);
  const auto targets = random_ids(12, 11, 4);
  tokens[7] = 11;
  try {
    model.loss({tokens, targets, 2, 6});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token 11 at batch row 1, position 1"), std::string::npos) << e.what();
  }
  const auto long_tokens = random_ids(7, 11, 5);
  try {
    model.loss({long_tokens, long_tokens, 1, 7});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("learned positions cannot go past their table"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("positions up to 6 are past the 6 positions"), std::string::npos) << e.what();
  }
  EXPECT_THROW(model.loss({tokens, targets, 3, 6}), Error);  // 12 tokens are not 3 × 6
}

TEST(Gpt, TenThousandLayersLayOutInLinearTime) {
  // A 1 MB checkpoint can describe this model; names were looked up linearly for each new
  // parameter, and laying it out took 16 s (optimised build).
  GptConfig c = small_config(PositionScheme::kNone);
  c.vocab_size = 1;
  c.channels = c.heads = 1;
  c.layers = 10000;
  const Gpt model(c);
  EXPECT_EQ(static_cast<double>(model.layout().parameter_count()), parameter_count(c));
  const ParameterEntry& last = model.layout().find("blocks.9999.mlp.proj.bias");
  EXPECT_EQ(&last, &model.layout().entries()[model.layout().entries().size() - 3]);
  EXPECT_FALSE(model.layout().contains("blocks.10000.ln1.weight"));
  ParameterLayout layout = model.layout();
  EXPECT_THROW(layout.add("ln_f.bias", {1}), Error);
}

TEST(GptConfig, ValidationNamesTheParameter) {
  GptConfig c = small_config(PositionScheme::kRope);
  c.channels = 6;
  c.heads = 2;  // head_dim 3: odd
  EXPECT_THROW(validate(c), Error);
  try {
    GptConfig bad = small_config(PositionScheme::kNone);
    bad.channels = 10;
    bad.heads = 4;
    validate(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("channels"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_position_scheme("absolute"), Error);
  EXPECT_EQ(parse_position_scheme("nope"), PositionScheme::kNone);
}

TEST(GptConfig, ParameterCountIsTheLayouts) {
  for (const PositionScheme scheme : all_position_schemes()) {
    const GptConfig c = small_config(scheme);
    EXPECT_EQ(parameter_count(c), static_cast<double>(Gpt(c).layout().parameter_count())) << scheme_name(scheme);
  }
}

// Sizes that cannot fit in memory are refused before anything is allocated (terabytes here:
// a regression fails with bad_alloc rather than swapping).
TEST(GptConfig, AModelTooLargeForMemoryIsAnErrorNamingItsSizes) {
  GptConfig c = small_config(PositionScheme::kLearned);
  c.channels = 10'000'000;
  try {
    validate(c);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model config: vocab_size 11, context_length 6, layers 2, channels 10000000: "
                                         "its 2.4e+15 parameters and their gradients would take 17.1 PiB"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(Gpt{c}, Error);
  EXPECT_THROW(KvCache(small_config(PositionScheme::kRope), 1'000'000, 1'000'000), Error);
}

TEST(GptConfig, TrainingMemoryCountsParametersMomentsAndActivations) {
  const GptConfig c = small_config(PositionScheme::kAlibi);
  const MemoryEstimate workspace = workspace_memory(c, 1'000'000, 1'000'000, /*training=*/true);
  EXPECT_GT(workspace.bytes(), 1e15);
  EXPECT_EQ(workspace.describe().find("the activations of a batch of 1000000 x 1000000 tokens would take"), 0u);
  TrainingConfig training;
  training.batch = 4;
  const MemoryEstimate need = training_memory(c, training);
  const double parameters = 4 * parameter_count(c) * sizeof(float);
  EXPECT_GT(need.bytes(), parameters);
  EXPECT_EQ(need.bytes(), parameters + workspace_memory(c, 4, c.context_length, true).bytes());
}

TEST(GptConfig, JsonRoundTrip) {
  GptConfig c = small_config(PositionScheme::kT5);
  const GptConfig back = config_from_json(config_to_json(c), "test");
  EXPECT_EQ(config_to_json(back), config_to_json(c));
  EXPECT_THROW(config_from_json("{\"vocab_size\": 3", "cfg.json"), Error);
  try {
    config_from_json(R"({"vocab_size": 5, "context_length": 4, "layers": 1, "heads": 1})", "cfg.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json: missing key 'channels'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace posemb::model
