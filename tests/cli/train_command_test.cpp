// `posemb train`: a short run on a small text writes its logs and checkpoint; a run stopped
// and resumed gives exactly the log and weights of the uninterrupted run; bad input fails
// with a message naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_run.hpp"
#include "train_cli.hpp"

namespace {

using posemb::testing::fresh_test_dir;
using posemb::testing::run_cli;

std::filesystem::path write_text(const std::filesystem::path& dir) {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "The quick brown fox jumps over the lazy dog " + std::to_string(i) + ". ";
  const auto path = dir / "text.txt";
  posemb::io::write_file_atomically(path, text);
  return path;
}

std::vector<std::string> train_args(const std::filesystem::path& dir, const std::filesystem::path& text,
                                    const std::filesystem::path& out) {
  return {"train",
          "--corpus",
          text.string(),
          "--cache-dir",
          (dir / "cache").string(),
          "--out",
          out.string(),
          "--context",
          "16",
          "--layers",
          "2",
          "--heads",
          "2",
          "--channels",
          "16",
          "--batch",
          "4",
          "--steps",
          "8",
          "--warmup",
          "2",
          "--checkpoint-every",
          "4",
          "--progress",
          "never",
          "--threads",
          "2",
          "--scheme",
          "rope"};
}

std::vector<nlohmann::json> log_lines(const std::filesystem::path& path) {
  std::istringstream in(posemb::io::read_file_bytes(path));
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

// Checkpoints are safetensors files (posemb/io/safetensors.hpp, from the io work); without
// it, train stops with an error at its first checkpoint.

TEST(TrainCommand, WritesLogsAndACheckpoint) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto r = run_cli(dir, train_args(dir, write_text(dir), dir / "run"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("step 8: train loss"), std::string::npos) << r.out;
  const auto lines = log_lines(dir / "run" / "log.jsonl");
  ASSERT_EQ(lines.size(), 8u);
  for (std::size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(lines[i]["step"], i + 1);
  EXPECT_TRUE(lines.back().contains("val_perplexity"));
  const std::string csv = posemb::io::read_file_bytes(dir / "run" / "log.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "step,loss,learning_rate,grad_norm,tokens_per_second,elapsed_seconds,val_loss,val_perplexity");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 9);
  const auto manifest = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "run" / "checkpoint.json"));
  EXPECT_EQ(manifest["step"], 8);
  EXPECT_EQ(manifest["model"]["scheme"], "rope");
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / manifest["weights"].get<std::string>()));
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "checkpoint-00000004.safetensors"));
}

TEST(TrainCommand, AResumedRunContinuesBitForBit) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto text = write_text(dir);
  ASSERT_EQ(run_cli(dir, train_args(dir, text, dir / "whole")).exit_code, 0);

  auto first = train_args(dir, text, dir / "split");
  first.insert(first.end(), {"--stop-after", "3"});
  const auto stopped = run_cli(dir, first);
  ASSERT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("stopped at step 3 of 8"), std::string::npos) << stopped.out;
  // Resume on 1 thread: the result may not depend on the thread count either.
  const auto resumed = run_cli(dir, {"train", "--resume", "--out", (dir / "split").string(), "--cache-dir",
                                     (dir / "cache").string(), "--progress", "never", "--threads", "1"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;

  const auto whole = log_lines(dir / "whole" / "log.jsonl"), split = log_lines(dir / "split" / "log.jsonl");
  ASSERT_EQ(split.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(split[i]["step"], whole[i]["step"]);
    EXPECT_EQ(split[i]["loss"].get<double>(), whole[i]["loss"].get<double>()) << "step " << i + 1;
    EXPECT_EQ(split[i]["grad_norm"].get<double>(), whole[i]["grad_norm"].get<double>()) << "step " << i + 1;
  }
  EXPECT_EQ(posemb::io::read_file_bytes(dir / "split" / "checkpoint-00000008.safetensors"),
            posemb::io::read_file_bytes(dir / "whole" / "checkpoint-00000008.safetensors"));
}

TEST(TrainCommand, BadInputFailsNamingIt) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto text = write_text(dir);
  auto args = train_args(dir, text, dir / "run");
  *(std::find(args.begin(), args.end(), "--heads") + 1) = "3";  // 16 channels are not a multiple of 3 heads
  auto r = run_cli(dir, args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("channels"), std::string::npos) << r.err;

  r = run_cli(dir, {"train", "--corpus", (dir / "missing.txt").string(), "--out", (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.txt: no such text file"), std::string::npos) << r.err;

  r = run_cli(dir, {"train", "--resume", "--out", (dir / "nothing").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no checkpoint.json"), std::string::npos) << r.err;
}

// The model, AdamW's moments and a batch's activations are checked against memory as soon as
// the command line is parsed: before the corpus is read or --out is made. Under `ulimit -v`
// 2 GiB, so that a regression fails instead of swapping.
TEST(TrainCommand, AModelTooLargeForMemoryIsAUsageErrorBeforeAnything) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto out = dir / "run";
  const auto r = posemb::testing::run_posemb_limited(
      {"train", "--channels", "10000000", "--corpus", (dir / "missing.txt").string(), "--out", out.string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("posemb: error: --channels 10000000 --layers 4 --context 128 --batch 8 (--tokenizer bytes: 256 "
                        "tokens): the model's 4.8e+15 parameters, their gradients and AdamW's two moments would take "
                        "68.2 PiB and the activations of a batch of 8 x 128 tokens about ",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
