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
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rotary dim must be even"), std::string::npos) << r.err;

  r = run_cli("positions rope --head-dim 8 --positions 0,x");
  EXPECT_EQ(r.exit_code, 1);
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
  EXPECT_EQ(r.exit_code, 1);
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

}  // namespace
