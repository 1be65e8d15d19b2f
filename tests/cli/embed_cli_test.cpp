// `posemb embed`: options, JSON output, errors (stderr, exit codes), output files.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/embed_run.hpp"
#include "posemb/core/random.hpp"
#include "posemb/embedding/learned_position_embedding.hpp"
#include "posemb/embedding/token_embedding.hpp"

namespace posemb {
namespace {

using testing::run_posemb;

TEST(EmbedCli, HelpListsEveryOption) {
  const auto run = run_posemb({"embed", "--help"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* option : {"--dim", "--context", "--seed", "--scheme", "--weights", "--token-table",
                             "--position-table", "--format", "--output", "'-' reads standard input"})
    EXPECT_NE(run.out.find(option), std::string::npos) << option;
}

TEST(EmbedCli, JsonHoldsTheSameStepsAsTheLibrary) {
  const auto run = run_posemb({"embed", "--format", "json", "--seed", "9", "--dim", "3", "--context", "4"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j.at("text"), "Hello my name is Ajay");
  EXPECT_EQ(j.at("token_ids"), (std::vector<std::int64_t>{15496, 616, 1438, 318, 22028, 323}));
  EXPECT_EQ(j.at("context"), 4);
  EXPECT_EQ(j.at("seed"), 9);
  EXPECT_EQ(j.at("inputs").at("shape"), (Shape{1, 4}));
  EXPECT_EQ(j.at("position_embeddings").at("positions"), (std::vector<Index>{0, 1, 2, 3}));

  // The same tables, drawn here: every number must be the exact float32 value.
  Generator gen(9);
  const embedding::TokenEmbedding tokens(50257, 3, gen);
  const embedding::LearnedPositionEmbedding positions(4, 3, gen);
  const std::int64_t ids[] = {15496, 616, 1438, 318};
  for (int t = 0; t < 4; ++t) {
    for (int d = 0; d < 3; ++d) {
      const float tok = tokens.weight().at(ids[t], d), pos = positions.weight().at(t, d);
      EXPECT_EQ(j["token_embeddings"]["values"][0][t][d].get<double>(), static_cast<double>(tok));
      EXPECT_EQ(j["position_embeddings"]["values"][t][d].get<double>(), static_cast<double>(pos));
      EXPECT_EQ(j["input_embeddings"]["values"][0][t][d].get<double>(), static_cast<double>(tok + pos));
    }
  }
}

TEST(EmbedCli, OutputFileGetsTheTextOutput) {
  const testing::TempDir dir;
  const auto path = (dir.path() / "steps.txt").string();
  const auto to_file = run_posemb({"embed", "-o", path});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(to_file.out, "");
  EXPECT_EQ(testing::slurp(path), run_posemb({"embed"}).out);
}

struct ErrorCase {
  std::vector<std::string> args;
  std::string message;  // a part of stderr
};

TEST(EmbedCli, BadInputIsAClearErrorOnStderr) {
  const ErrorCase cases[] = {
      {{"--scheme", "sinusoidal"}, "--scheme sinusoidal: not available in `posemb embed` yet"},
      {{"--scheme", "fourier"}, "--scheme fourier: unknown scheme"},
      {{"--dim", "0"}, "--dim must be at least 1, got 0"},
      {{"--context", "-3"}, "--context must be at least 1, got -3"},
      {{"--format", "xml"}, "--format xml: unknown format"},
      {{"--format", "npy"}, "name it with -o FILE"},
      {{""}, "the text has no tokens"},
      {{"--token-table", "x"}, "give the file with --weights"},
      {{"--weights", "/nonexistent/gpt2.safetensors", "--seed", "1"}, "give one or the other"},
      {{"--weights", "/nonexistent/gpt2.safetensors"}, "/nonexistent/gpt2.safetensors"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"embed"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto run = run_posemb(args);
    EXPECT_EQ(run.exit_code, 1) << c.message;
    EXPECT_EQ(run.out, "") << c.message;
    EXPECT_EQ(run.err.rfind("posemb: error: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << "stderr: " << run.err << "expected: " << c.message;
  }
}

TEST(EmbedCli, UsageErrorsExitNonZero) {
  // CLI11 reports usage errors itself, with its own non-zero codes (104 for a bad number).
  const auto run = run_posemb({"embed", "--dim", "two"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("--dim"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace posemb
