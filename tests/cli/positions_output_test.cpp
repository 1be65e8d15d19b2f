// `posemb positions ...`: PyTorch's text format, -o, RoPE applied to a .npy tensor (against
// PyTorch goldens), axial RoPE, and the errors of bad parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_run.hpp"
#include "posemb/core/tensor_print.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/axial_rope.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb {
namespace {

using testing::CliRun;
using testing::run_posemb;
using testing::TempDir;
namespace pos = positional;

const std::filesystem::path kApplyGoldens = std::filesystem::path(POSEMB_GOLDENS_DIR) / "positional/cli_rope_apply";

void expect_contains(const CliRun& r, const std::string& needle) {
  EXPECT_NE(r.out.find(needle), std::string::npos) << "stdout lacks:\n" << needle << "\nstdout:\n" << r.out;
}

void expect_error(const std::vector<std::string>& args, const std::string& message) {
  const CliRun r = run_posemb(args);
  EXPECT_NE(r.exit_code, 0) << "expected an error for: " << args.back();
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(message), std::string::npos) << "stderr lacks '" << message << "':\n" << r.err;
}

TEST(PositionsTorchFormat, SinusoidalTableIsPrintedAsPyTorchPrintsIt) {
  const CliRun r = run_posemb({"positions", "sinusoidal", "--length", "6", "--dim", "4", "--format", "torch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor table = pos::SinusoidalPositions({.dim = 4}).table(6);
  expect_contains(r, "values:\n" + format_torch(table) + "\ntorch.Size([6, 4])\n");
  expect_contains(r, "scheme: sinusoidal\nacts_on: input embeddings\n");
}

TEST(PositionsTorchFormat, AlibiSlopesAndBiasT5BucketsAndShawIndices) {
  CliRun r = run_posemb({"positions", "alibi", "--heads", "3", "--length", "4", "--format", "torch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const pos::Alibi alibi({3, pos::AlibiDirection::kCausal});
  expect_contains(r, "slopes:\n" + format_torch(Tensor({3}, alibi.slopes())) + "\ntorch.Size([3])\n");
  expect_contains(r, "bias:\n" + format_torch(alibi.bias_matrix(4, 4, 0, 0)) + "\ntorch.Size([3, 4, 4])\n");

  r = run_posemb({"positions", "t5", "--length", "5", "--causal", "--format", "torch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const IdTensor buckets = pos::t5_bucket_matrix({1, 32, 128, false}, 5, 5);
  expect_contains(r, "buckets:\n" + format_torch(buckets) + "\ntorch.Size([5, 5])\n");

  r = run_posemb({"positions", "shaw", "--clip", "2", "--length", "4", "--format", "torch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_contains(r, "index:\ntensor([[2, 3, 4, 4],\n        [1, 2, 3, 4],\n        [0, 1, 2, 3],\n"
                     "        [0, 0, 1, 2]])\ntorch.Size([4, 4])\n");
}

TEST(PositionsTorchFormat, RopeFrequenciesAndCosSin) {
  const CliRun r = run_posemb({"positions", "rope", "--head-dim", "8", "--positions", "0,1,7", "--format", "torch"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  pos::RopeParams params;
  params.head_dim = params.rotary_dim = 8;
  const auto f = pos::compute_rope_frequencies(params);
  expect_contains(r, "inv_freq:\n" + format_torch(Tensor({4}, f.inv_freq)) + "\ntorch.Size([4])\n");
  const std::vector<Index> at{0, 1, 7};
  const pos::RopeCache cache = pos::rope_cos_sin_at(f, at);
  expect_contains(r, "cos:\n" + format_torch(Tensor({3, 4}, cache.cos)) + "\ntorch.Size([3, 4])\n");
}

TEST(PositionsOutput, DashOWritesTheSameBytesToAFile) {
  const TempDir dir;
  const auto path = (dir.path() / "alibi.json").string();
  const CliRun to_file = run_posemb({"positions", "alibi", "--heads", "4", "--length", "3", "-o", path});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_TRUE(to_file.out.empty());
  const CliRun to_stdout = run_posemb({"positions", "alibi", "--heads", "4", "--length", "3"});
  EXPECT_EQ(testing::slurp(path), to_stdout.out);
  EXPECT_EQ(nlohmann::json::parse(to_stdout.out)["shape"], nlohmann::json::parse("[4, 3, 3]"));
}

// The rotated tensor against PyTorch running Hugging Face's formula on the same q
// (tools/goldens/positional/make_cli_goldens.py).
class RopeApplyGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(RopeApplyGolden, NpyOutputMatchesPyTorch) {
  const TempDir dir;
  const auto out = (dir.path() / "rotated.npy").string();
  const auto config = (kApplyGoldens / (GetParam() + ".config.json")).string();
  const CliRun r = run_posemb({"positions", "rope", "--config", config, "--apply", (kApplyGoldens / "q.npy").string(),
                               "--offset", "100", "--format", "npy", "-o", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Tensor got = io::read_npy(out);
  const Tensor expected = io::read_npy(kApplyGoldens / (GetParam() + ".expected.npy"));
  ASSERT_EQ(got.shape(), expected.shape());
  for (Index i = 0; i < got.numel(); ++i)
    EXPECT_NEAR(got.data()[i], expected.data()[i], 1e-5f * (1.0f + std::fabs(expected.data()[i]))) << "element " << i;
}

TEST_P(RopeApplyGolden, JsonOutputHoldsTheSameNumbers) {
  const auto config = (kApplyGoldens / (GetParam() + ".config.json")).string();
  const CliRun r = run_posemb({"positions", "rope", "--config", config, "--apply", (kApplyGoldens / "q.npy").string(),
                               "--positions", "100,101,102,103,104"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  const Tensor expected = io::read_npy(kApplyGoldens / (GetParam() + ".expected.npy"));
  ASSERT_EQ(doc["shape"], nlohmann::json(expected.shape()));
  EXPECT_EQ(doc["positions"].size(), 10u);  // 5 positions shared by both rows
  for (Index b = 0; b < 2; ++b)
    for (Index s = 0; s < 5; ++s)
      for (Index d = 0; d < 16; ++d)
        EXPECT_NEAR(doc["rotated"][b][s][1][d].get<float>(), expected.at(b, s, 1, d),
                    1e-5f * (1.0f + std::fabs(expected.at(b, s, 1, d))));
}

INSTANTIATE_TEST_SUITE_P(Configs, RopeApplyGolden, ::testing::Values("default", "linear", "yarn", "llama3", "gptj"));

TEST(PositionsRopeApply, BadInputsAreClearErrors) {
  const TempDir dir;
  const auto q = (kApplyGoldens / "q.npy").string();
  const auto config = (kApplyGoldens / "default.config.json").string();
  const auto flat = (dir.path() / "flat.npy").string();
  io::write_npy(flat, Tensor({2, 16}).view());
  expect_error({"positions", "rope", "--config", config, "--apply", flat},
               "shape [2, 16] is neither [batch, seq, heads, head_dim] nor [seq, heads, head_dim]");
  const auto wide = (dir.path() / "wide.npy").string();
  io::write_npy(wide, Tensor({1, 2, 1, 32}).view());
  expect_error({"positions", "rope", "--config", config, "--apply", wide},
               "the last dimension is 32, but the RoPE's head_dim is 16");
  // 32 GB of positions for rows no data backs: 8 GB resident after a minute, before.
  const auto no_heads = (dir.path() / "no_heads.npy").string();
  io::write_npy(no_heads, Tensor({Index{1} << 32, 0, 16}).view());
  expect_error({"positions", "rope", "--config", config, "--apply", no_heads},
               "shape [4294967296, 0, 16] has 0 heads; there is nothing to rotate");
  expect_error({"positions", "rope", "--config", config, "--apply", q, "--positions", "1,2,3"},
               "--positions has 3 entries; the tensor needs seq = 5");
  // Without -o, a binary format goes to standard output (here a file, not a terminal).
  const CliRun npy = run_posemb({"positions", "rope", "--config", config, "--apply", q, "--format", "npy"});
  EXPECT_EQ(npy.exit_code, 0) << npy.err;
  EXPECT_EQ(npy.out.substr(0, 6), "\x93NUMPY");
  expect_error({"positions", "rope", "--config", config, "--format", "npy"}, "give --apply");
  expect_error({"positions", "rope", "--config", config, "--apply", q, "--offset", "16777216"}, "past 16777216 (2^24)");
}

TEST(PositionsAxialRope, RowAndColumnAnglesOfEachGridToken) {
  const CliRun r = run_posemb({"positions", "axial-rope", "--head-dim", "8", "--rows", "2", "--cols", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["acts_on"], "queries and keys");
  EXPECT_EQ(doc["token_rows"], nlohmann::json::parse("[0,0,0,1,1,1]"));
  EXPECT_EQ(doc["token_cols"], nlohmann::json::parse("[0,1,2,0,1,2]"));
  const pos::AxialRope axial({8, 10000.0, pos::RopePairing::kHalves}, 3);
  const auto& inv_freq = axial.frequencies().inv_freq;
  ASSERT_EQ(doc["inv_freq"].size(), inv_freq.size());
  for (std::size_t i = 0; i < inv_freq.size(); ++i) {
    EXPECT_EQ(doc["inv_freq"][i].get<float>(), inv_freq[i]);
    // token 5 is at row 1, column 2
    EXPECT_EQ(doc["sin_row"][5][i].get<float>(), std::sin(1.0f * inv_freq[i]));
    EXPECT_FLOAT_EQ(doc["cos_col"][5][i].get<float>(), std::cos(2.0f * inv_freq[i]));
  }
  expect_error({"positions", "axial-rope", "--head-dim", "6", "--rows", "2", "--cols", "2"}, "--head-dim 6");
  expect_error({"positions", "axial-rope", "--head-dim", "8", "--rows", "0", "--cols", "2"}, "--rows 0");
}

// The parameter errors the positional-encodings issue lists: each names the parameter.
TEST(PositionsErrors, BadParametersNameTheParameter) {
  const TempDir dir;
  const auto config = [&](const std::string& name, const std::string& text) {
    const auto path = (dir.path() / name).string();
    std::ofstream(path) << text;
    return path;
  };
  const std::string head = R"({"hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 128, )";
  expect_error({"positions", "rope", "--config", config("f0.json", head + R"("rope_scaling": {"rope_type": "linear",
      "factor": 0}})")}, "factor");
  expect_error({"positions", "rope", "--config", config("missing.json", head + R"("rope_scaling": {"rope_type":
      "linear"}})")}, "factor");
  expect_error({"positions", "rope", "--config", config("llama3.json", head + R"("rope_scaling": {"rope_type":
      "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 1, "original_max_position_embeddings": 64}})")},
               "low_freq_factor");
  expect_error({"positions", "rope", "--config", config("type.json", head + R"("rope_scaling": {"rope_type":
      "quadratic", "factor": 2}})")}, "rope_type");
  expect_error({"positions", "rope", "--config", config("odd.json", head + R"("partial_rotary_factor": 0.2})")},
               "even");
  expect_error({"positions", "rope", "--config", config("bad.json", "{\"rope_theta\": }")}, "not valid JSON at byte");
  expect_error({"positions", "t5", "--length", "4", "--causal", "--num-buckets", "32", "--max-distance", "10"},
               "max_distance must be more than 16");
  expect_error({"positions", "sinusoidal", "--length", "4", "--dim", "5"}, "dim");
  expect_error({"positions", "sinusoidal", "--length", "4", "--dim", "4", "--layout", "zigzag"}, "zigzag");
}

}  // namespace
}  // namespace posemb
