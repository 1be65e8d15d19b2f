// `posemb embed --scheme sinusoidal|nope`: the position rows against the sinusoidal goldens
// (PyTorch running the tutorial's and fairseq's formulas), and the token table unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_run.hpp"

namespace posemb {
namespace {

using testing::run_posemb;

// Fourteen GPT-2 tokens: enough for the goldens' twelve positions.
constexpr const char* kText = "The quick brown fox jumps over the lazy dog, again and again.";

nlohmann::json embed_json(std::vector<std::string> extra) {
  std::vector<std::string> args{"embed", kText, "--format", "json", "--seed", "7"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto run = run_posemb(args);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  return nlohmann::json::parse(run.out);
}

nlohmann::json golden_case(const std::string& layout, int dim, int first_position) {
  std::ifstream in(std::string(POSEMB_GOLDENS_DIR) + "/positional/sinusoidal.json");
  const auto goldens = nlohmann::json::parse(in);
  for (const auto& c : goldens["cases"])
    if (c["layout"] == layout && c["dim"] == dim && c["first_position"] == first_position) return c;
  ADD_FAILURE() << "no golden case " << layout << " " << dim << " " << first_position;
  return {};
}

struct SinusoidalCase {
  std::string layout;
  int dim;
  int start;
  std::string base;
};

class EmbedSinusoidal : public ::testing::TestWithParam<SinusoidalCase> {};

TEST_P(EmbedSinusoidal, RowsAreTheReferenceTableAndTheSumAddsThem) {
  const auto& p = GetParam();
  const auto doc = embed_json({"--scheme", "sinusoidal", "--layout", p.layout, "--dim", std::to_string(p.dim),
                               "--start", std::to_string(p.start), "--base", p.base, "--context", "12"});
  const auto golden = golden_case(p.layout, p.dim, p.start);
  ASSERT_EQ(doc["scheme"], "sinusoidal");
  ASSERT_EQ(doc["position_embeddings"]["shape"], nlohmann::json::array({12, p.dim}));
  const auto& rows = doc["position_embeddings"]["values"];
  const auto& tokens = doc["token_embeddings"]["values"][0];
  const auto& sum = doc["input_embeddings"]["values"][0];
  for (int t = 0; t < 12; ++t)
    for (int d = 0; d < p.dim; ++d) {
      const float expected = golden["values"][t * p.dim + d].get<float>();
      EXPECT_NEAR(rows[t][d].get<float>(), expected, 1e-6f) << "position " << t << ", channel " << d;
      EXPECT_EQ(sum[t][d].get<float>(), tokens[t][d].get<float>() + rows[t][d].get<float>());
    }
}

INSTANTIATE_TEST_SUITE_P(Layouts, EmbedSinusoidal,
                         ::testing::Values(SinusoidalCase{"interleaved", 16, 0, "10000"},
                                           SinusoidalCase{"concat", 16, 2, "10000"},
                                           SinusoidalCase{"interleaved", 10, 1, "500"},
                                           SinusoidalCase{"concat", 10, 1, "500"}));

TEST(EmbedScheme, TheTokenTableDoesNotDependOnTheScheme) {
  // nn.Embedding(50257, dim) is drawn first from the seed whatever positions follow.
  const auto learned = embed_json({"--dim", "4", "--context", "6"});
  const auto sinusoidal = embed_json({"--scheme", "sinusoidal", "--dim", "4", "--context", "6"});
  EXPECT_EQ(learned["token_embeddings"], sinusoidal["token_embeddings"]);
  EXPECT_NE(learned["input_embeddings"], sinusoidal["input_embeddings"]);
}

TEST(EmbedScheme, NopeAddsNothing) {
  for (const char* name : {"nope", "none"}) {
    const auto doc = embed_json({"--scheme", name, "--dim", "3", "--context", "4"});
    EXPECT_EQ(doc["input_embeddings"]["values"], doc["token_embeddings"]["values"]) << name;
    for (const auto& row : doc["position_embeddings"]["values"])
      for (const auto& v : row) EXPECT_EQ(v.get<float>(), 0.0f);
  }
}

TEST(EmbedScheme, TextOutputNamesTheScheme) {
  const auto run = run_posemb({"embed", "--scheme", "sinusoidal", "--layout", "concat", "--start", "2"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("position encodings (sinusoidal, concat, base 10000, positions 2 to 6):\ntensor([["),
            std::string::npos)
      << run.out;
  // A fixed table is not a parameter: PyTorch prints it without a grad_fn.
  const auto at = run.out.find("position encodings");
  EXPECT_EQ(run.out.substr(at, run.out.find("torch.Size", at) - at).find("grad_fn"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace posemb
