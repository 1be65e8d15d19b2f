// `posemb plot KIND`: each kind renders (defaults and options) a valid PNG/SVG of the asked
// size, its --data side output holds what the library computes, and bad options are errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_run.hpp"
#include "plot/image_check.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/safetensors.hpp"
#include "posemb/model/checkpoint.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb {
namespace {

using testing::run_posemb;
using testing::TempDir;
namespace pos = positional;

struct Plotted {
  nlohmann::json data;
  std::string picture;
};

// Runs `posemb plot KIND args... -o DIR/picture.EXT --data DIR/data.json` and checks the exit.
Plotted plot(const TempDir& dir, std::vector<std::string> args, const std::string& ext = "png") {
  const auto picture = (dir.path() / ("picture." + ext)).string(), data = (dir.path() / "data.json").string();
  args.insert(args.begin(), "plot");
  for (const auto& a : {std::string("-o"), picture, std::string("--data"), data}) args.push_back(a);
  const auto run = run_posemb(args);
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
  return {nlohmann::json::parse(io::read_file_bytes(data)), io::read_file_bytes(picture)};
}

void expect_png(const std::string& bytes, std::uint32_t width, std::uint32_t height) {
  const auto size = testing::png_size(bytes);
  ASSERT_TRUE(size.has_value()) << "not a PNG";
  EXPECT_EQ(size->width, width);
  EXPECT_EQ(size->height, height);
}

TEST(PlotCli, TableIsTheLibrarysSinusoidalTable) {
  const TempDir dir;
  const auto p = plot(dir, {"table", "--length", "10", "--dim", "8", "--layout", "concat"});
  expect_png(p.picture, 900, 600);
  const Tensor table = pos::SinusoidalPositions({.dim = 8, .layout = pos::SinusoidalLayout::kConcatenated}).table(10);
  ASSERT_EQ(p.data["values"].size(), 80u);
  for (std::size_t i = 0; i < 80; ++i) EXPECT_EQ(p.data["values"][i].get<double>(), double(table.values()[i]));
}

TEST(PlotCli, TableAndSimilarityOfALearnedTableFromSafetensors) {
  const TempDir dir;
  const auto weights = (dir.path() / "w.safetensors").string();
  Tensor wpe({3, 2}, {1, 0, 0, 2, 3, 3});
  io::SafetensorsWriter writer;
  writer.add("wpe.weight", wpe.view());
  writer.write(weights);
  auto p = plot(dir, {"table", "--weights", weights, "--width", "400", "--height", "300"});
  expect_png(p.picture, 400, 300);
  EXPECT_EQ(p.data["values"], nlohmann::json::parse("[1, 0, 0, 2, 3, 3]"));
  p = plot(dir, {"similarity", "--weights", weights}, "svg");
  const auto size = testing::svg_size(p.picture);
  ASSERT_TRUE(size.has_value()) << "not an SVG";
  EXPECT_EQ(size->width, 900u);
  // cosine of rows 0 and 2: 3 / (1 * sqrt(18))
  EXPECT_NEAR(p.data["values"][2].get<double>(), 3.0 / std::sqrt(18.0), 1e-12);
  EXPECT_NEAR(p.data["values"][4].get<double>(), 1.0, 1e-12);
  p = plot(dir, {"similarity", "--weights", weights, "--measure", "dot"});
  EXPECT_EQ(p.data["values"][5].get<double>(), 6.0);  // rows 1 and 2: 0*3 + 2*3
}

TEST(PlotCli, RopeFrequenciesAreTheLibrarysWavelengths) {
  const TempDir dir;
  const auto config = (dir.path() / "llama3.json").string();
  std::ofstream(config) << R"({"hidden_size": 256, "num_attention_heads": 4, "max_position_embeddings": 8192,
      "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
      "high_freq_factor": 4.0, "original_max_position_embeddings": 1024}})";
  const auto p = plot(dir, {"rope-frequencies", "--config", config, "--theta", "10000", "--head-dim", "64"});
  expect_png(p.picture, 900, 600);
  const auto& series = p.data["series"];
  ASSERT_EQ(series.size(), 3u);  // llama3, the same unscaled, theta 10000
  EXPECT_EQ(series[0]["label"], "llama3 (llama3)");
  EXPECT_EQ(series[1]["label"], "llama3 (unscaled)");
  const auto f = pos::compute_rope_frequencies(pos::rope_params_from_hf_config_file(config));
  ASSERT_EQ(series[0]["y"].size(), f.inv_freq.size());
  for (std::size_t i = 0; i < f.inv_freq.size(); ++i)
    EXPECT_DOUBLE_EQ(series[0]["y"][i].get<double>(), 2 * M_PI / f.inv_freq[i]);
  // llama3 leaves the high frequencies alone and divides the low ones by the factor.
  EXPECT_DOUBLE_EQ(series[0]["y"][0].get<double>(), series[1]["y"][0].get<double>());
  EXPECT_NEAR(series[0]["y"][31].get<double>() / series[1]["y"][31].get<double>(), 8.0, 1e-4);
}

TEST(PlotCli, RopeDecayStartsAtOneAndIsTheMeanCosine) {
  const TempDir dir;
  const auto p = plot(dir, {"rope-decay", "--theta", "10000", "--head-dim", "8", "--max-distance", "20"});
  const auto& y = p.data["series"][0]["y"];
  ASSERT_EQ(y.size(), 21u);
  EXPECT_DOUBLE_EQ(y[0].get<double>(), 1.0);
  // d = 3: (2 / 8) * sum_k cos(3 * 10000^(-2k/8))
  double expected = 0;
  pos::RopeParams params;
  params.head_dim = params.rotary_dim = 8;
  for (const float w : pos::compute_rope_frequencies(params).inv_freq) expected += 2 * std::cos(3.0 * w);
  EXPECT_NEAR(y[3].get<double>(), expected / 8, 1e-12);
}

TEST(PlotCli, AlibiPanelsAndT5Buckets) {
  const TempDir dir;
  auto p = plot(dir, {"bias", "--heads", "3", "--length", "4"});
  const pos::Alibi alibi({3, pos::AlibiDirection::kCausal});
  ASSERT_EQ(p.data["heads"].size(), 3u);
  EXPECT_EQ(p.data["heads"][2]["slope"].get<float>(), alibi.slopes()[2]);
  EXPECT_TRUE(p.data["heads"][0]["values"][1].is_null());  // query 0, key 1: a future key, masked
  EXPECT_EQ(p.data["heads"][0]["values"][4].get<float>(), -alibi.slopes()[0]);  // query 1, key 0
  p = plot(dir, {"bias", "--scheme", "t5", "--causal", "--length", "6", "--num-buckets", "8", "--max-distance", "16"},
           "svg");
  const IdTensor buckets = pos::t5_bucket_matrix({1, 8, 16, false}, 6, 6);
  auto f = plot(dir, {"bias", "--scheme", "t5-buckets", "--length", "40", "--num-buckets", "16", "--max-distance",
                      "32"});
  ASSERT_EQ(f.data["series"].size(), 2u);
  for (std::size_t k = 0; k < 2; ++k)
    for (std::size_t i = 0; i < 81; ++i)
      EXPECT_EQ(f.data["series"][k]["y"][i].get<double>(),
                double(pos::t5_relative_position_bucket(Index(i) - 40, {1, 16, 32, k == 0})));
  ASSERT_EQ(p.data["buckets"].size(), 36u);
  for (std::size_t i = 0; i < 36; ++i) EXPECT_EQ(p.data["buckets"][i].get<double>(), double(buckets.values()[i]));
}

TEST(PlotCli, StudyFromItsJson) {
  const TempDir dir;
  const auto p = plot(dir, {"study", "--input", std::string(POSEMB_SOURCE_DIR) + "/docs/study-default/study.json"});
  expect_png(p.picture, 900, 600);
  ASSERT_EQ(p.data["series"].size(), 7u);
  EXPECT_EQ(p.data["series"][1]["label"], "learned");
  EXPECT_TRUE(p.data["series"][1]["y"][1].is_null());  // cannot evaluate: not a number
  EXPECT_NE(p.data["note"].get<std::string>().find("learned at 256"), std::string::npos);
}

TEST(PlotCli, BadOptionsAreClearErrors) {
  const TempDir dir;
  const auto png = (dir.path() / "x.png").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"plot", "table", "-o", (dir.path() / "x.gif").string()}, "use .png or .svg"},
      {{"plot", "table", "-o", png, "--width", "20"}, "--width 20: must be between 100 and 10000 pixels"},
      {{"plot", "table", "-o", png, "--height", "20000"}, "--height 20000: must be between 100 and 10000 pixels"},
      {{"plot", "table", "-o", png, "--dim", "7"}, "--dim 7: must be even and at least 2"},
      {{"plot", "table", "-o", png, "--base", "1"}, "--base 1: must be a finite number greater than 1"},
      {{"plot", "table", "-o", png, "--layout", "spiral"}, "--layout spiral: unknown layout"},
      {{"plot", "table", "-o", png, "--length", "100000", "--dim", "512"}, "at most 4194304 values"},
      {{"plot", "similarity", "-o", png, "--length", "3000", "--dim", "4"},
       "--length 3000: a similarity plot shows at most 2048 positions"},
      {{"plot", "bias", "-o", png, "--heads", "40"}, "--heads 40: must be between 1 and 16"},
      {{"plot", "bias", "-o", png, "--scheme", "t5", "--length", "0"}, "--length 0: must be between 1 and 4096"},
      {{"plot", "bias", "-o", png, "--scheme", "t5", "--num-buckets", "0"}, "--num-buckets 0 --max-distance 128: t5:"},
      // Both functions are drawn: 2 buckets are too few for the bidirectional one (it divided by zero).
      {{"plot", "bias", "-o", png, "--scheme", "t5-buckets", "--causal", "--num-buckets", "2"},
       "--num-buckets 2 --max-distance 128: t5: num_buckets must be at least 4 for bidirectional attention"},
      {{"plot", "bias", "-o", png, "--scheme", "t5-buckets", "--num-buckets", "32", "--max-distance", "10"},
       "t5: max_distance must be more than 16"},
      {{"plot", "rope-decay", "-o", png, "--max-distance", "0"}, "--max-distance 0: must be between 1 and 1000000"},
      {{"plot", "rope-frequencies", "-o", png, "--head-dim", "7"}, "--head-dim 7: must be even"},
      {{"plot", "rope-frequencies", "-o", png, "--theta", "0.5"}, "--theta 0.5: must be a finite number"},
      {{"plot", "table", "-o", png, "--weights", (dir.path() / "none.safetensors").string()}, "none.safetensors"},
      {{"plot", "study", "-o", png, "--input", (dir.path() / "missing.json").string()}, "missing.json: cannot open"},
      {{"plot", "study", "-o", png, "--input", dir.path().string()}, ": is a folder, not a file"},
      {{"plot", "table"}, "--output is required"},
  };
  for (const auto& [args, message] : cases) {
    const auto run = run_posemb(args);
    // Exit 1 for a file that cannot be read, 2 for a command-line value that cannot be used.
    const bool file_error = message.find("none.safetensors") != std::string::npos ||
                            message.find("missing.json") != std::string::npos ||
                            message.find("folder") != std::string::npos;
    EXPECT_EQ(run.exit_code, file_error ? 1 : 2) << message << "\n" << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << "stderr: " << run.err << "\nexpected: " << message;
  }
  EXPECT_FALSE(std::filesystem::exists(png));
}

}  // namespace
}  // namespace posemb

namespace posemb {
namespace {

// A model trained for a few steps by `posemb train`, then `posemb plot attention` on a text:
// the plotted probabilities are the library's for the loaded checkpoint.
TEST(PlotCliAttention, MapsAreTheCheckpointModelsProbabilities) {
  const TempDir dir;
  std::string corpus;
  for (int i = 0; i < 200; ++i) corpus += "The quick brown fox jumps over the lazy dog " + std::to_string(i) + ". ";
  io::write_file_atomically(dir.path() / "text.txt", corpus);
  const auto run_dir = (dir.path() / "run").string();
  const auto trained = run_posemb({"train", "--corpus", (dir.path() / "text.txt").string(), "--cache-dir",
                                   (dir.path() / "cache").string(), "--out", run_dir, "--scheme", "rope", "--context",
                                   "16", "--layers", "2", "--heads", "2", "--channels", "16", "--batch", "2", "--steps",
                                   "4", "--warmup", "1", "--progress", "never"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  const auto p = plot(dir, {"attention", "--checkpoint", run_dir, "--text", "lazy dog", "--layer", "1"});
  expect_png(p.picture, 900, 600);
  model::Gpt gpt = model::load_checkpoint_model(run_dir);
  const std::vector<std::int32_t> tokens{'l', 'a', 'z', 'y', ' ', 'd', 'o', 'g'};  // byte tokens
  EXPECT_EQ(p.data["tokens"], nlohmann::json(tokens));
  const Tensor probs = gpt.attention_probabilities({tokens, {}, 1, 8}, 1);
  ASSERT_EQ(p.data["heads"].size(), 2u);
  for (Index h = 0; h < 2; ++h)
    for (Index i = 0; i < 8; ++i) {
      const auto& row = p.data["heads"][static_cast<std::size_t>(h)]["probabilities"][static_cast<std::size_t>(i)];
      ASSERT_EQ(row.size(), static_cast<std::size_t>(i + 1));
      double sum = 0;
      for (Index j = 0; j <= i; ++j) {
        EXPECT_EQ(row[static_cast<std::size_t>(j)].get<float>(), probs.at(0, h, i, j));
        sum += row[static_cast<std::size_t>(j)].get<double>();
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  const auto bad_layer = run_posemb({"plot", "attention", "--checkpoint", run_dir, "--text", "x", "--layer", "2", "-o",
                                     (dir.path() / "a.png").string()});
  EXPECT_NE(bad_layer.exit_code, 0);
  EXPECT_NE(bad_layer.err.find("layer 2 does not exist: the model has layers 0 to 1"), std::string::npos)
      << bad_layer.err;
  const auto no_run = run_posemb({"plot", "attention", "--checkpoint", (dir.path() / "nothing").string(), "--text", "x",
                                  "-o", (dir.path() / "a.png").string()});
  EXPECT_NE(no_run.exit_code, 0);
  EXPECT_NE(no_run.err.find("checkpoint.json"), std::string::npos) << no_run.err;
}

}  // namespace
}  // namespace posemb
