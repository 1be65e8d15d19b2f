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
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("channels"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "run")) << "a folder was created before the options were checked";

  r = run_cli(dir, {"train", "--corpus", (dir / "missing.txt").string(), "--out", (dir / "run").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.txt: no such text file"), std::string::npos) << r.err;

  r = run_cli(dir, {"train", "--resume", "--out", (dir / "nothing").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not exist; there is no run to continue"), std::string::npos) << r.err;
  std::filesystem::create_directories(dir / "empty");
  r = run_cli(dir, {"train", "--resume", "--out", (dir / "empty").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no checkpoint.json"), std::string::npos) << r.err;
}

// A value of `option` in train_args.
void set_option(std::vector<std::string>& args, const std::string& option, const std::string& value) {
  auto it = std::find(args.begin(), args.end(), option);
  if (it == args.end()) {
    args.insert(args.end(), {option, value});
  } else {
    *(it + 1) = value;
  }
}

TEST(TrainCommand, AFolderThatHoldsARunIsRefusedUntouched) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto text = write_text(dir);
  const auto args = train_args(dir, text, dir / "run");
  ASSERT_EQ(run_cli(dir, args).exit_code, 0);
  const std::string weights = posemb::io::read_file_bytes(dir / "run" / "checkpoint-00000008.safetensors");
  const std::string log = posemb::io::read_file_bytes(dir / "run" / "log.jsonl");

  auto again = args;
  set_option(again, "--seed", "2");
  const auto r = run_cli(dir, again);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds files"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("give --resume to continue the run in it, --force to replace it"), std::string::npos) << r.err;
  EXPECT_EQ(posemb::io::read_file_bytes(dir / "run" / "checkpoint-00000008.safetensors"), weights);
  EXPECT_EQ(posemb::io::read_file_bytes(dir / "run" / "log.jsonl"), log);
}

TEST(TrainCommand, ForceReplacesARunButNotOtherFiles) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto text = write_text(dir);
  auto args = train_args(dir, text, dir / "run");
  ASSERT_EQ(run_cli(dir, args).exit_code, 0);
  set_option(args, "--steps", "6");
  set_option(args, "--checkpoint-every", "3");
  args.push_back("--force");
  auto r = run_cli(dir, args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(log_lines(dir / "run" / "log.jsonl").size(), 6u);
  EXPECT_FALSE(std::filesystem::exists(dir / "run" / "checkpoint-00000008.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "checkpoint-00000006.safetensors"));

  posemb::io::write_file_atomically(dir / "run" / "notes.txt", "mine");
  r = run_cli(dir, args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("holds files that a `posemb train` run does not write (notes.txt)"), std::string::npos) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "run" / "checkpoint-00000006.safetensors"));
}

TEST(TrainCommand, RetentionRemovesOnlyOlderCheckpointsOfTheRun) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  auto args = train_args(dir, write_text(dir), dir / "run");
  set_option(args, "--checkpoint-every", "2");
  args.insert(args.end(), {"--stop-after", "4"});
  ASSERT_EQ(run_cli(dir, args).exit_code, 0);
  // A later step's file that this run did not write (say, from a copy): never deleted.
  posemb::io::write_file_atomically(dir / "run" / "checkpoint-00000100.safetensors", "not ours");
  const auto r = run_cli(dir, {"train", "--resume", "--out", (dir / "run").string(), "--cache-dir",
                               (dir / "cache").string(), "--progress", "never", "--checkpoint-every", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir / "run")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"checkpoint-00000006.safetensors", "checkpoint-00000008.safetensors",
                                             "checkpoint-00000100.safetensors", "checkpoint.json", "log.csv",
                                             "log.jsonl"}));
}

TEST(TrainCommand, ResumeRefusesOptionsThatDifferFromTheRun) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  auto args = train_args(dir, write_text(dir), dir / "run");
  args.insert(args.end(), {"--stop-after", "2"});
  ASSERT_EQ(run_cli(dir, args).exit_code, 0);
  const std::vector<std::string> resume = {"train", "--resume", "--out", (dir / "run").string(), "--cache-dir",
                                           (dir / "cache").string(), "--progress", "never"};
  const std::vector<std::pair<std::vector<std::string>, std::string>> conflicts = {
      {{"--scheme", "alibi"}, "--scheme alibi differs from the run in"},
      {{"--context", "32"}, "--context 32 differs"},
      {{"--lr", "0.5"}, "--lr 0.5 differs"},
      {{"--seed", "7"}, "--seed 7 differs"},
  };
  for (const auto& [extra, message] : conflicts) {
    auto with = resume;
    with.insert(with.end(), extra.begin(), extra.end());
    const auto r = run_cli(dir, with);
    EXPECT_EQ(r.exit_code, 2) << extra[0];
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("which has " + extra[0]), std::string::npos) << r.err;
  }
  // The saved values, and options that may change, are accepted: --steps extends the run.
  auto same = resume;
  same.insert(same.end(), {"--scheme", "rope", "--context", "16", "--threads", "1", "--steps", "10"});
  const auto r = run_cli(dir, same);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(log_lines(dir / "run" / "log.jsonl").size(), 10u);
  const auto manifest = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "run" / "checkpoint.json"));
  EXPECT_EQ(manifest["training"]["steps"], 10);
}

TEST(TrainCommand, ADefaultWarmupLongerThanTheRunIsScaled) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  auto args = train_args(dir, write_text(dir), dir / "run");
  args.erase(std::find(args.begin(), args.end(), "--warmup"), std::find(args.begin(), args.end(), "--warmup") + 2);
  set_option(args, "--steps", "40");  // the default warmup is 100
  set_option(args, "--checkpoint-every", "0");
  const auto r = run_cli(dir, args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto manifest = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "run" / "checkpoint.json"));
  EXPECT_EQ(manifest["training"]["warmup_steps"], 4);
  set_option(args, "--warmup", "40");  // given, it must fit
  const auto given = run_cli(dir, args);
  EXPECT_EQ(given.exit_code, 2);
  EXPECT_NE(given.err.find("warmup_steps must be in [0, steps)"), std::string::npos) << given.err;
}

TEST(TrainCommand, DivergenceStopsWithTheLastGoodCheckpointKept) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  auto args = train_args(dir, write_text(dir), dir / "run");
  set_option(args, "--lr", "1e30");
  set_option(args, "--min-lr", "0");
  set_option(args, "--warmup", "0");
  set_option(args, "--checkpoint-every", "1");
  const auto r = run_cli(dir, args);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("training diverged"), std::string::npos) << r.err;
  const auto manifest = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "run" / "checkpoint.json"));
  const auto step = manifest["step"].get<int>();
  EXPECT_LT(step, 8);
  EXPECT_NE(r.err.find(fmt::format("step {}: the loss is", step + 1)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(fmt::format("the last good checkpoint, step {}, is in", step)), std::string::npos) << r.err;
  // The kept checkpoint loads, and holds finite numbers only (save_checkpoint refuses others).
  EXPECT_EQ(log_lines(dir / "run" / "log.jsonl").size(), std::size_t(step));
}

// A run long enough to be interrupted mid-way, and the same run uninterrupted.
std::vector<std::string> long_run(const std::filesystem::path& dir, const std::filesystem::path& text,
                                  const std::filesystem::path& out) {
  auto args = train_args(dir, text, out);
  set_option(args, "--steps", "400");
  set_option(args, "--checkpoint-every", "0");
  return args;
}

void expect_same_run(const std::filesystem::path& a, const std::filesystem::path& b, const std::string& weights) {
  const auto la = log_lines(a / "log.jsonl"), lb = log_lines(b / "log.jsonl");
  ASSERT_EQ(la.size(), lb.size());
  for (std::size_t i = 0; i < la.size(); ++i) {
    EXPECT_EQ(la[i]["step"], lb[i]["step"]);
    EXPECT_EQ(la[i]["loss"].get<double>(), lb[i]["loss"].get<double>()) << "step " << i + 1;
    EXPECT_EQ(la[i]["grad_norm"].get<double>(), lb[i]["grad_norm"].get<double>()) << "step " << i + 1;
  }
  EXPECT_EQ(posemb::io::read_file_bytes(a / weights), posemb::io::read_file_bytes(b / weights));
}

void interrupt_and_resume(int signal, int exit_code, const std::string& name) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  const auto text = write_text(dir);
  ASSERT_EQ(run_cli(dir, long_run(dir, text, dir / "whole")).exit_code, 0);

  posemb::testing::BackgroundCli run(dir, long_run(dir, text, dir / "split"));
  ASSERT_TRUE(run.wait_until([&] { return posemb::testing::count_lines(dir / "split" / "log.jsonl") >= 3; }));
  run.signal(signal);
  const auto stopped = run.finish();
  ASSERT_EQ(stopped.exit_code, exit_code) << stopped.err;
  const auto manifest = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "split" / "checkpoint.json"));
  const int step = manifest["step"];
  ASSERT_LT(step, 400) << "the run ended before the signal; make it longer";
  EXPECT_NE(stopped.err.find(fmt::format("posemb: stopped by {} at step {} of 400", name, step)), std::string::npos)
      << stopped.err;
  EXPECT_NE(stopped.err.find("continue with `posemb train --resume --out"), std::string::npos) << stopped.err;
  EXPECT_EQ(log_lines(dir / "split" / "log.jsonl").size(), std::size_t(step));

  const auto resumed = run_cli(dir, {"train", "--resume", "--out", (dir / "split").string(), "--cache-dir",
                                     (dir / "cache").string(), "--progress", "never"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  expect_same_run(dir / "whole", dir / "split", "checkpoint-00000400.safetensors");
}

TEST(TrainCommand, SigintSavesACheckpointAndTheResumedRunIsTheSame) { interrupt_and_resume(SIGINT, 130, "SIGINT"); }

TEST(TrainCommand, SigtermSavesACheckpointAndTheResumedRunIsTheSame) {
  interrupt_and_resume(SIGTERM, 143, "SIGTERM");
}

TEST(TrainCommand, ASecondSignalStopsAtOnce) {
  const auto dir = fresh_test_dir("posemb_cli_train");
  auto args = train_args(dir, write_text(dir), dir / "run");
  // Steps long enough (a wide model) that both signals land within one.
  set_option(args, "--channels", "512");
  set_option(args, "--heads", "8");
  set_option(args, "--context", "128");
  set_option(args, "--batch", "16");
  posemb::testing::BackgroundCli run(dir, args);
  ASSERT_TRUE(run.wait_until([&] {
    std::error_code error;
    return std::filesystem::exists(dir / "stderr", error) &&
           posemb::io::read_file_bytes(dir / "stderr").find("parameters |") != std::string::npos;
  }));
  run.signal(SIGINT);
  ::usleep(50000);
  run.signal(SIGINT);
  const auto r = run.finish();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_NE(r.err.find("signal again to stop at once"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("posemb: stopped by SIGINT at step"), std::string::npos) << r.err;
}

// The model, AdamW's moments and a batch's activations are checked against memory as soon as
// the command line is parsed: before the corpus is read or --out is made. Under `ulimit -v`
// 2 GiB, so that a regression fails instead of swapping.
TEST(TrainCommand, AModelTooLargeForMemoryIsAUsageErrorBeforeAnything) {
  POSEMB_SKIP_UNDER_ADDRESS_SANITIZER();
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
