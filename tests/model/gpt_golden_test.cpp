// The tiny GPT against PyTorch: the same weights, the same batch, for every positional scheme
// (tests/goldens/model/, written by tools/goldens/model/make_goldens.py with Debian's torch
// 1.13). Forward logits and loss, every gradient, longer sequences than the training length,
// and four training steps (AdamW, clipping, warmup + cosine schedule).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "posemb/io/safetensors.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/model/optimizer.hpp"
#include "test_util.hpp"

namespace posemb::model {
namespace {

using posemb::testing::all_close;

struct Golden {
  io::SafetensorsFile file;
  GptConfig config;
  nlohmann::json training;
  Index batch = 0;

  explicit Golden(const std::string& scheme)
      : file(std::filesystem::path(POSEMB_GOLDENS_DIR) / "model" / (scheme + ".safetensors")) {
    const auto& meta = file.metadata();
    config = config_from_json(meta.at("config"), file.source());
    training = nlohmann::json::parse(meta.at("training"));
    batch = std::stoll(meta.at("batch"));
  }
  std::vector<float> floats(const std::string& name) const {
    const Tensor t = file.load_tensor(name);
    return {t.values().begin(), t.values().end()};
  }
  std::vector<std::int32_t> ids(const std::string& name) const {
    const IdTensor t = file.load_ids(name);
    return {t.values().begin(), t.values().end()};
  }
  // A model with the golden's weights (prefix "param." or "trained.").
  Gpt model(const std::string& prefix = "param.") const {
    Gpt m(config);
    for (const auto& e : m.layout().entries()) {
      const Tensor t = file.load_tensor(prefix + e.name, e.shape);
      std::copy(t.values().begin(), t.values().end(), m.parameters().begin() + e.offset);
    }
    return m;
  }
};

std::vector<float> slice(const FloatBuffer& b, const ParameterEntry& e) {
  return {b.begin() + e.offset, b.begin() + e.offset + e.size};
}

// |a - b| ≤ rtol · max|b| over the tensor: gradients are float32 sums in another order, so
// their error scales with the tensor's largest entries, not with each (possibly tiny) entry.
::testing::AssertionResult close_to_scale(const std::vector<float>& a, const std::vector<float>& b, double rtol) {
  double scale = 0;
  for (float x : b) scale = std::max(scale, double(std::abs(x)));
  return all_close(a, b, 0.0, rtol * scale + 1e-9);
}

class GptGoldenTest : public ::testing::TestWithParam<PositionScheme> {
 protected:
  void SetUp() override { kernels::set_kernel_threads(2); }
  void TearDown() override { kernels::set_kernel_threads(1); }
};

TEST_P(GptGoldenTest, LogitsLossAndGradientsMatchPyTorch) {
  const Golden g(std::string(scheme_name(GetParam())));
  Gpt model = g.model();
  const auto tokens = g.ids("tokens"), targets = g.ids("targets");
  const Index t = g.config.context_length;
  const TokenBatch batch{tokens, targets, g.batch, t};

  const Tensor logits = model.logits(batch);
  EXPECT_TRUE(all_close({logits.values().begin(), logits.values().end()}, g.floats("logits"), 2e-5, 1e-6));
  model.zero_gradients();
  const float loss = model.loss_and_gradients(batch);
  EXPECT_NEAR(loss, g.floats("loss")[0], 2e-5 * std::abs(g.floats("loss")[0]));
  for (const auto& e : model.layout().entries())
    EXPECT_TRUE(close_to_scale(slice(model.gradients(), e), g.floats("grad." + e.name), 1e-3)) << e.name;
}

TEST_P(GptGoldenTest, SequencesLongerThanTheTrainingLengthMatchPyTorch) {
  const Golden g(std::string(scheme_name(GetParam())));
  Gpt model = g.model();
  if (GetParam() == PositionScheme::kLearned) {
    // No PyTorch number exists past the table (nn.Embedding raises IndexError): a clear error.
    const Index t = g.config.context_length + 1;
    const std::vector<std::int32_t> tokens(static_cast<std::size_t>(t), 1);
    EXPECT_THAT([&] { model.logits({tokens, {}, 1, t}); },
                ::testing::ThrowsMessage<Error>(::testing::HasSubstr("learned positions cannot go past their table")));
    return;
  }
  const auto tokens = g.ids("long_tokens");
  const Index t = Index(tokens.size()) / 2;
  ASSERT_GT(t, g.config.context_length);
  const Tensor logits = model.logits({tokens, {}, 2, t});
  EXPECT_TRUE(all_close({logits.values().begin(), logits.values().end()}, g.floats("long_logits"), 2e-5, 1e-6));
}

TEST_P(GptGoldenTest, TrainingStepsMatchPyTorch) {
  const Golden g(std::string(scheme_name(GetParam())));
  Gpt model = g.model();
  const auto& tr = g.training;
  AdamW optimizer(model.layout(), {tr["beta1"].get<float>(), tr["beta2"].get<float>(), tr["eps"].get<float>(),
                                   tr["weight_decay"].get<float>()});
  const LearningRateSchedule schedule{tr["max_lr"], tr["min_lr"], tr["warmup_steps"], tr["steps"]};
  const auto expected_losses = g.floats("train_losses");
  const Index t = g.config.context_length;
  for (std::int64_t step = 0; step < tr["steps"].get<std::int64_t>(); ++step) {
    const auto windows = g.ids("train_batch." + std::to_string(step));  // [batch, t + 1]
    std::vector<std::int32_t> inputs, targets;
    for (Index b = 0; b < g.batch; ++b) {
      inputs.insert(inputs.end(), windows.begin() + b * (t + 1), windows.begin() + b * (t + 1) + t);
      targets.insert(targets.end(), windows.begin() + b * (t + 1) + 1, windows.begin() + (b + 1) * (t + 1));
    }
    model.zero_gradients();
    const float loss = model.loss_and_gradients({inputs, targets, g.batch, t});
    EXPECT_NEAR(loss, expected_losses[std::size_t(step)], 2e-5 * expected_losses[std::size_t(step)]) << "step " << step;
    clip_gradient_norm(model.gradients(), model.layout(), tr["clip_norm"].get<double>());
    optimizer.step(model.parameters(), model.gradients(), cosine_learning_rate(schedule, step));
  }
  const Index c = g.config.channels;
  for (const auto& e : model.layout().entries()) {
    auto ours = slice(model.parameters(), e), theirs = g.floats("trained." + e.name);
    if (e.name.ends_with("attn.qkv.bias")) {
      // The key bias adds q·b_k to every score of a query, which softmax ignores: its exact
      // gradient is 0, and both implementations get float noise (~1e-10) that Adam scales
      // by 1/eps into steps of a few 1e-5. Those entries get that much room.
      const std::vector<float> k_ours(ours.begin() + c, ours.begin() + 2 * c),
          k_theirs(theirs.begin() + c, theirs.begin() + 2 * c);
      EXPECT_TRUE(all_close(k_ours, k_theirs, 0.0, 2e-4)) << e.name << " (key part)";
      std::copy(k_theirs.begin(), k_theirs.end(), ours.begin() + c);
    }
    EXPECT_TRUE(all_close(ours, theirs, 0.0, 2e-5)) << e.name;
  }
}

INSTANTIATE_TEST_SUITE_P(Schemes, GptGoldenTest, ::testing::ValuesIn(all_position_schemes()),
                         [](const auto& test_info) { return std::string(scheme_name(test_info.param)); });

}  // namespace
}  // namespace posemb::model
