// `posemb positions ...`: runs the built binary and checks stdout, stderr and exit codes.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_run.hpp"
#include "posemb/core/tensor.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/sinusoidal.hpp"

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CliRun run_cli(const std::string& args) {
  const auto err_path = std::filesystem::temp_directory_path() / ("posemb_positions_err_" + std::to_string(::getpid()));
  const std::string command = std::string(POSEMB_CLI_PATH) + " " + args + " 2>" + err_path.string();
  CliRun r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  r.err = ss.str();
  std::filesystem::remove(err_path);
  return r;
}

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "_" + name);
  std::ofstream(path) << text;
  return path;
}

TEST(PositionsCli, SinusoidalPrintsTheLibrarysTableAsJson) {
  const CliRun r = run_cli("positions sinusoidal --length 5 --dim 8 --layout concat --start 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty());
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["acts_on"], "input embeddings");
  EXPECT_EQ(doc["shape"], nlohmann::json::array({5, 8}));
  posemb::positional::SinusoidalParams p;
  p.dim = 8;
  p.layout = posemb::positional::SinusoidalLayout::kConcatenated;
  p.first_position = 2;
  const posemb::Tensor expected = posemb::positional::SinusoidalPositions(p).table(5);
  for (int r_ = 0; r_ < 5; ++r_)
    for (int c = 0; c < 8; ++c) EXPECT_EQ(doc["values"][r_][c].get<float>(), expected.at(r_, c));
}

TEST(PositionsCli, RopeFromConfigPrintsFrequenciesAndCosSin) {
  const auto config = write_temp("llama31.json", R"({"hidden_size": 4096, "num_attention_heads": 32,
      "max_position_embeddings": 131072, "rope_theta": 500000.0, "rope_scaling": {"factor": 8.0,
      "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192,
      "rope_type": "llama3"}})");
  const CliRun r = run_cli("positions rope --config " + config.string() + " --positions 0,1,100000");
  std::filesystem::remove(config);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rope_type"], "llama3");
  EXPECT_EQ(doc["inv_freq"].size(), 64u);
  EXPECT_EQ(doc["inv_freq"][0].get<float>(), 1.0f);
  EXPECT_EQ(doc["cos"].size(), 3u);
  EXPECT_EQ(doc["cos"][0][5].get<float>(), 1.0f);  // position 0
  EXPECT_EQ(doc["sin"][1][0].get<float>(), 0.84147096f);
}

TEST(PositionsCli, BadConfigsAreClearErrorsOnStderr) {
  const auto broken = write_temp("broken.json", "{\"rope_theta\": 10000,,}");
  CliRun r = run_cli("positions rope --config " + broken.string());
  std::filesystem::remove(broken);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("not valid JSON at byte 22"), std::string::npos) << r.err;

  const auto unknown = write_temp("unknown.json", R"({"head_dim": 64, "rope_scaling": {"rope_type": "su"}})");
  r = run_cli("positions rope --config " + unknown.string());
  std::filesystem::remove(unknown);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown rope_type 'su'"), std::string::npos) << r.err;

  r = run_cli("positions rope --head-dim 7");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--head-dim 7: must be even when every channel rotates"), std::string::npos) << r.err;

  r = run_cli("positions rope --head-dim 8 --positions 0,x");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--positions: 'x'"), std::string::npos) << r.err;
}

TEST(PositionsCli, AlibiT5AndShaw) {
  CliRun r = run_cli("positions alibi --heads 12 --length 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  const auto slopes = posemb::positional::alibi_slopes(12);
  ASSERT_EQ(doc["slopes"].size(), 12u);
  for (std::size_t h = 0; h < 12; ++h) EXPECT_EQ(doc["slopes"][h].get<float>(), slopes[h]);
  EXPECT_EQ(doc["bias"][0][3][0].get<float>(), -3.0f * slopes[0]);

  r = run_cli("positions t5 --length 20 --causal --num-buckets 32 --max-distance 128");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = nlohmann::json::parse(r.out);
  // distance -19: 16 + int(ln(19 / 16) / ln(128 / 16) * 16) = 17, a logarithmic bucket
  EXPECT_EQ(doc["buckets"][19][0], 17);
  EXPECT_EQ(doc["buckets"][15][0], 15);  // distance -15: still exact
  EXPECT_EQ(doc["buckets"][0][19], 0);

  r = run_cli("positions t5 --length 4 --max-distance 8");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("max_distance must be more than 8"), std::string::npos) << r.err;

  r = run_cli("positions shaw --clip 2 --length 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["index"], nlohmann::json::parse("[[2,3,4,4],[1,2,3,4],[0,1,2,3],[0,0,1,2]]"));
}

TEST(PositionsCli, HelpAndUsageErrors) {
  CliRun r = run_cli("positions rope --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--config"), std::string::npos);
  r = run_cli("positions sinusoidal --dim 8");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--length"), std::string::npos) << r.err;
  r = run_cli("positions schemes");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find(R"({"scheme":"rope","acts_on":"queries and keys"})"), std::string::npos) << r.out;
}

// --- sizes checked before they are allocated -------------------------------------------------
// Each runs under `ulimit -v` 2 GiB (posemb::testing::run_posemb_limited): a size check that
// regressed fails with "out of memory" instead of swapping the machine.

void expect_too_large(const std::vector<std::string>& args, const std::string& start) {
  posemb::testing::TempDir dir;
  std::vector<std::string> with_output = args;
  const auto out = dir.path() / "out.json";
  with_output.insert(with_output.end(), {"-o", out.string()});
  const posemb::testing::CliRun r = posemb::testing::run_posemb_limited(with_output);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("posemb: error: " + start, 0), 0u) << "stderr: " << r.err << "expected: " << start;
  EXPECT_NE(r.err.find("; ulimit -v leaves "), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "the output file was created";
}

TEST(PositionsCliMemory, RopeHeadDim) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "rope", "--head-dim", "1000000000"},
                   "--head-dim 1000000000: the inverse frequencies would take 1.86 GiB (500000000 float32 values) and "
                   "printing them as JSON about 44.7 GiB more, 46.6 GiB in all");
  expect_too_large({"positions", "rope", "--head-dim", "10000000", "--positions", "1,2,3,4,5,6,7,8,9,10"},
                   "--head-dim 10000000 --positions (10 of them): the inverse frequencies would take 19.1 MiB "
                   "(5000000 float32 values)");
}

TEST(PositionsCliMemory, RopeApplyAtAFarOffset) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  posemb::testing::TempDir dir;
  const auto q = dir.path() / "q.npy";
  posemb::io::write_npy(q, posemb::Tensor({1, 1, 4096}).view());
  expect_too_large({"positions", "rope", "--head-dim", "4096", "--apply", q.string(), "--offset", "16000000"},
                   "--apply " + q.string() +
                       " (4096 values) at positions up to 16000000: the cos/sin cache of "
                       "positions 0 to 16000000 would take 244 GiB (2 x 16000001 x 2048 float32 values)");
}

TEST(PositionsCliMemory, SinusoidalTable) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "sinusoidal", "--length", "100000000", "--dim", "1024"},
                   "--length 100000000 --dim 1024: the table would take 381 GiB (100000000 x 1024 float32 values)");
}

TEST(PositionsCliMemory, AxialRopeGrid) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "axial-rope", "--head-dim", "16", "--rows", "100000", "--cols", "100000"},
                   "--head-dim 16 --rows 100000 --cols 100000: cos and sin of every token's row and column would take "
                   "596 GiB (100000 x 100000 x 16 float32 values)");
}

TEST(PositionsCliMemory, AlibiBias) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "alibi", "--heads", "64", "--length", "100000"},
                   "--heads 64 --length 100000: the biases would take 2.33 TiB (64 x 100000 x 100000 float32 values)");
}

TEST(PositionsCliMemory, T5Buckets) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "t5", "--length", "100000"},
                   "--length 100000: the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values) and printing "
                   "them as JSON about 298 GiB more, 373 GiB in all");
  // PyTorch's printing summarises: the table itself is what does not fit.
  expect_too_large({"positions", "t5", "--length", "100000", "--format", "torch"},
                   "--length 100000: the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values); ");
}

TEST(PositionsCliMemory, ShawIndices) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
  expect_too_large({"positions", "shaw", "--clip", "4", "--length", "100000"},
                   "--length 100000: the relative-position indices would take 74.5 GiB (100000 x 100000 int64 values)");
}

// --- command-line values that make no sense: usage errors (exit 2) naming the option ------------

void expect_usage_error(const std::string& args, const std::string& message) {
  const CliRun r = run_cli(args);
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  EXPECT_TRUE(r.out.empty()) << args;
  EXPECT_NE(r.err.find("posemb: error: " + message), std::string::npos)
      << args << "\nstderr: " << r.err << "expected: " << message;
}

TEST(PositionsCli, RopeNeedsAConfigOrAHeadDim) {
  expect_usage_error("positions rope",
                     "positions rope: give --config FILE (a Hugging Face config.json) or "
                     "--head-dim N");
  expect_usage_error("positions rope --head-dim 0", "--head-dim 0: must be a positive number; give --config FILE");
  expect_usage_error("positions rope --head-dim -64", "--head-dim -64: must be a positive number; give --config FILE");
}

TEST(PositionsCli, RopeOffsetMustNotBeNegative) {
  posemb::testing::TempDir dir;
  const auto q = dir.path() / "q.npy";
  posemb::io::write_npy(q, posemb::Tensor({2, 3, 8}).view());
  expect_usage_error("positions rope --head-dim 8 --apply " + q.string() + " --offset -5",
                     "--offset -5: must be 0 or more (the position of every row's first token)");
  expect_usage_error("positions rope --head-dim 8 --apply " + q.string() + " --offset 99999999999",
                     "--offset 99999999999: is past 16777216 (2^24)");
}

TEST(PositionsCli, OutOfRangeOptionsAreUsageErrorsNamingTheOption) {
  expect_usage_error("positions sinusoidal --length 0 --dim 4", "--length 0: the table needs at least 1 position");
  expect_usage_error("positions sinusoidal --length -1 --dim 4", "--length -1:");
  expect_usage_error("positions sinusoidal --length 2 --dim 3", "--dim 3: must be even and at least 2");
  expect_usage_error("positions sinusoidal --length 2 --dim 4 --base 0.5", "--base 0.5: must be a finite number");
  expect_usage_error("positions sinusoidal --length 2 --dim 4 --start -1", "--start -1: must be 0 or more");
  expect_usage_error("positions sinusoidal --length 2 --dim 4 --layout zigzag", "--layout zigzag: unknown layout");
  expect_usage_error("positions rope --head-dim 8 --rotary-dim 3",
                     "--rotary-dim 3: must be even, positive and at "
                     "most --head-dim 8");
  expect_usage_error("positions rope --head-dim 8 --rotary-dim 16", "--rotary-dim 16:");
  expect_usage_error("positions rope --head-dim 8 --theta 1", "--theta 1: must be a finite number greater than 1");
  expect_usage_error("positions rope --head-dim 8 --p-rope 2", "--p-rope 2: must be in [0, 1]");
  expect_usage_error("positions rope --head-dim 8 --seq-len -1", "--seq-len -1: must be 0 or more");
  expect_usage_error("positions rope --head-dim 8 --format npy", "--format npy writes the rotated tensor");
  expect_usage_error("positions axial-rope --head-dim 6 --rows 2 --cols 2",
                     "--head-dim 6: must be a positive "
                     "multiple of 4");
  expect_usage_error("positions axial-rope --head-dim 8 --rows 0 --cols 2", "--rows 0: the grid needs at least 1 row");
  expect_usage_error("positions axial-rope --head-dim 8 --rows 2 --cols -2", "--cols -2:");
  expect_usage_error("positions alibi --heads 0 --length 3", "--heads 0: must be at least 1");
  expect_usage_error("positions alibi --heads 2 --length 0", "--length 0: must be at least 1");
  // Once a division by zero (SIGFPE) in the bias kernel: no query at all.
  expect_usage_error("positions alibi --heads 2 --length 3 --q-start 5", "--q-start 5: must be in [0, --length 3)");
  expect_usage_error("positions alibi --heads 2 --length 3 --q-start -1", "--q-start -1:");
  expect_usage_error("positions t5 --length 0", "--length 0: must be at least 1");
  expect_usage_error("positions t5 --length 4 --num-buckets 0",
                     "--num-buckets 0: must be at least 4 for bidirectional");
  expect_usage_error("positions t5 --length 4 --causal --num-buckets 1", "--num-buckets 1: must be at least 2");
  expect_usage_error("positions shaw --clip -1 --length 3", "--clip -1: must be at least 1");
  expect_usage_error("positions shaw --clip 0 --length 3", "--clip 0:");
  expect_usage_error("positions shaw --clip 9223372036854775807 --length 3",
                     "--clip 9223372036854775807: is too large");
  expect_usage_error("positions sinusoidal --length 2 --dim 4 --start 9223372036854775807",
                     "--start 9223372036854775807: is too large");
  expect_usage_error("positions shaw --clip 2 --length -3", "--length -3: must be at least 1");
}

TEST(PositionsCli, UnknownCommandsNameTheWordAndTheCommands) {
  expect_usage_error("frobnicate",
                     "unknown command 'frobnicate' for posemb; the commands are embed, tokenize, "
                     "decode, inspect, positions, train, study, plot, report (see posemb --help)");
  expect_usage_error("positions frobnicate",
                     "unknown command 'frobnicate' for posemb positions; the commands are "
                     "schemes, sinusoidal, rope, axial-rope, alibi, t5, shaw (see posemb "
                     "positions --help)");
  expect_usage_error("positions", "posemb positions needs a command: schemes, sinusoidal");
  expect_usage_error("--frobnicate", "unknown option '--frobnicate' for posemb, which needs a command: embed");
  const CliRun r = run_cli("positions rope --frobnicate 3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not expected: 3 --frobnicate (see posemb positions rope --help)"), std::string::npos) << r.err;
}

}  // namespace
