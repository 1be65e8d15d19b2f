// `posemb embed`: options, JSON output, errors (stderr, exit codes), output files.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_run.hpp"
#include "posemb/core/random.hpp"
#include "posemb/embedding/learned_position_embedding.hpp"
#include "posemb/embedding/token_embedding.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/io/safetensors.hpp"

namespace posemb {
namespace {

using testing::run_posemb;
using testing::TempDir;

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

// Exit 1: a failure with a file or the text; 2: a command-line value posemb cannot use.
void expect_errors(std::initializer_list<ErrorCase> cases, const std::vector<std::string>& prefix = {"embed"},
                   int exit_code = 1) {
  for (const auto& c : cases) {
    std::vector<std::string> args = prefix;
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto run = run_posemb(args);
    EXPECT_EQ(run.exit_code, exit_code) << c.message;
    EXPECT_EQ(run.out, "") << c.message;
    EXPECT_EQ(run.err.rfind("posemb: error: ", 0), 0u) << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << "stderr: " << run.err << "expected: " << c.message;
  }
}

TEST(EmbedCli, BadOptionsAreClearErrorsOnStderr) {
  expect_errors(
      {
          {{"--scheme", "fourier"}, "--scheme fourier: unknown scheme; use learned, sinusoidal or nope"},
          {{"--scheme", "rope"},
           "--scheme rope: rope acts inside attention, on the queries and keys, not on the input "
           "embeddings, so `posemb embed` has nothing to add; see its values with `posemb "
           "positions rope`"},
          {{"--scheme", "axial-rope"}, "on the queries and keys, not on the input embeddings"},
          {{"--scheme", "alibi"}, "alibi acts inside attention, on the attention scores"},
          {{"--scheme", "t5"}, "t5 acts inside attention, on the attention scores"},
          {{"--scheme", "shaw"}, "`posemb positions shaw`"},
          {{"--scheme", "sinusoidal", "--weights", "w.safetensors", "--position-table", "wpe"},
           "--position-table names a learned position table, but --scheme sinusoidal has none"},
          {{"--layout", "concat"},
           "--layout, --base, --start and --scale set sinusoidal positions, not --scheme learned"},
          {{"--scheme", "sinusoidal", "--layout", "spiral"}, "spiral"},
          {{"--scheme", "sinusoidal", "--dim", "3"}, "--dim 3: sinusoidal positions need an even --dim"},
          {{"--scheme", "sinusoidal", "--base", "1"}, "--base 1: must be a finite number greater than 1"},
          {{"--scheme", "sinusoidal", "--start", "-2"}, "--start -2: must be 0 or more"},
          {{"--dim", "0"}, "--dim 0: must be at least 1"},
          {{"--context", "-3"}, "--context -3: must be at least 1"},
          {{"--format", "xml"}, "--format xml: unknown format"},
          {{"--token-table", "x"}, "give the file with --weights"},
          {{"--weights", "/nonexistent/gpt2.safetensors", "--seed", "1"}, "give one or the other"},
      },
      {"embed"}, 2);
}

// The tables are checked against memory before they are drawn, and before -o is created; run
// under `ulimit -v` 2 GiB, a regression fails with "out of memory" instead of swapping.
TEST(EmbedCli, TablesTooLargeForMemoryAreUsageErrorsNamingTheOptions) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  const TempDir dir;
  const auto out = dir.path() / "out.txt";
  auto run = testing::run_posemb_limited({"embed", "--dim", "10000000", "-o", out.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err.rfind("posemb: error: --dim 10000000 --context 5: the token table nn.Embedding(50257, 10000000) "
                          "would take 1.83 TiB (50257 x 10000000 float32 values)",
                          0),
            0u)
      << run.err;
  EXPECT_NE(run.err.find("; ulimit -v leaves "), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  run = testing::run_posemb_limited({"embed", "--dim", "768", "--context", "100000000000"});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--dim 768 --context 100000000000:"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("the position table nn.Embedding(100000000000, 768) about 279 TiB more"), std::string::npos)
      << run.err;
}

TEST(EmbedCli, BadTextAndFilesAreClearErrorsOnStderr) {
  expect_errors({
      {{""}, "the text has no tokens"},
      {{"a <|endoftext|> b"}, "special token <|endoftext|>"},
      {{"--weights", "/nonexistent/gpt2.safetensors"}, "/nonexistent/gpt2.safetensors"},
  });
}

TEST(EmbedCli, UsageErrorsExitNonZero) {
  // CLI11 reports usage errors itself, with its own non-zero codes (104 for a bad number).
  const auto run = run_posemb({"embed", "--dim", "two"});
  EXPECT_NE(run.exit_code, 0);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("--dim"), std::string::npos) << run.err;
}

// A small GPT-2-like weights file: wte [50257, 4] (every id must fit), wpe [8, 4].
struct WeightsFile {
  testing::TempDir dir;
  std::string path = (dir.path() / "tiny.safetensors").string();
  Tensor wte{Shape{50257, 4}}, wpe{Shape{8, 4}};
  WeightsFile() {
    Generator gen(5);
    gen.fill_normal(wte.values());
    gen.fill_normal(wpe.values());
    io::SafetensorsWriter writer;
    writer.add("wte.weight", wte.view());
    writer.add("wpe.weight", wpe.view());
    writer.add("other.wte", wte.view().slice(1, 0, 3));
    writer.write(path);
  }
};

TEST(EmbedCli, WeightsFromASafetensorsFile) {
  const WeightsFile w;
  const auto run = run_posemb({"embed", "--weights", w.path, "--context", "5", "--format", "json"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_FALSE(j.contains("seed"));
  EXPECT_EQ(j.at("input_embeddings").at("shape"), (Shape{1, 5, 4}));
  const std::int64_t ids[] = {15496, 616, 1438, 318, 22028};
  for (int t = 0; t < 5; ++t)
    for (int d = 0; d < 4; ++d)
      EXPECT_EQ(j["input_embeddings"]["values"][0][t][d].get<double>(),
                static_cast<double>(w.wte.at(ids[t], d) + w.wpe.at(t, d)));

  // Without --context, the whole position table is the context: all 6 tokens fit in 8.
  const auto all = run_posemb({"embed", "--weights", w.path});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("input ids (all 6 tokens, fewer than the context of 8, as a batch of 1):"), std::string::npos)
      << all.out;
  EXPECT_NE(all.out.find("torch.Size([1, 6, 4])"), std::string::npos);
}

TEST(EmbedCli, WeightsThatDoNotFitAreClearErrors) {
  const WeightsFile w;
  expect_errors(
      {
          {{"--dim", "3"}, "tensor 'wte.weight' has shape [50257, 4], so its dim is 4, not --dim 3"},
          {{"--context", "9"},
           "--context 9 is more than its 8 positions, and learned positions cannot go past their table"},
          {{"--token-table", "other.wte"}, "but the token table 'other.wte' has dim 3"},
          {{"--position-table", "wpe"}, "no tensor named \"wpe\""},
      },
      {"embed", "--weights", w.path});
}

TEST(EmbedCli, NpyHoldsTheInputEmbeddings) {
  const testing::TempDir dir;
  const auto path = (dir.path() / "x.npy").string();
  const auto run = run_posemb({"embed", "--format", "npy", "-o", path, "--dim", "3"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "");
  const Tensor x = io::read_npy(path);
  ASSERT_EQ(x.shape(), (Shape{1, 5, 3}));
  const auto j = nlohmann::json::parse(run_posemb({"embed", "--format", "json", "--dim", "3"}).out);
  for (int t = 0; t < 5; ++t)
    for (int d = 0; d < 3; ++d)
      EXPECT_EQ(static_cast<double>(x.at(0, t, d)), j["input_embeddings"]["values"][0][t][d].get<double>());
}


}  // namespace
}  // namespace posemb
