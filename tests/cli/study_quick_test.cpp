// `posemb study --quick` end to end on the Brown corpus: it runs, and what it writes is
// well-formed (every scheme, every length, learned positions reported as "cannot evaluate"
// past L with a reason, perplexities finite and below the vocabulary size).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <nlohmann/json.hpp>

#include "plot/image_check.hpp"
#include "posemb/data/brown_corpus.hpp"
#include "train_cli.hpp"

namespace {

using posemb::testing::fresh_test_dir;
using posemb::testing::run_cli;

bool brown_installed() { return std::filesystem::exists(posemb::data::default_brown_folder() / "ca01"); }

TEST(StudyCommand, QuickPresetRunsEndToEndAndWritesWellFormedTables) {
  if (!brown_installed()) GTEST_SKIP() << "the Brown corpus is not installed (scripts/fetch-corpus.sh)";
  const auto dir = fresh_test_dir("posemb_cli_study");
  const auto r = run_cli(dir, {"study", "--quick", "--out", (dir / "study").string(), "--threads", "2", "--progress",
                               "never", "--cache-dir", (dir / "cache").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(posemb::io::read_file_bytes(dir / "study" / "study.json"));
  EXPECT_EQ(j["preset"], "quick");
  EXPECT_EQ(j["train_length"], 32);
  EXPECT_EQ(j["eval_lengths"], (nlohmann::json{32, 64, 128, 256, 512}));
  ASSERT_EQ(j["schemes"].size(), 7u);
  std::vector<std::string> names;
  for (const auto& s : j["schemes"]) {
    names.push_back(s["scheme"]);
    ASSERT_EQ(s["results"].size(), 5u) << s["scheme"];
    EXPECT_GT(s["train_loss_curve"].size(), 10u);
    for (std::size_t i = 0; i < 5; ++i) {
      const auto& cell = s["results"][i];
      EXPECT_EQ(cell["length"], j["eval_lengths"][i]);
      if (s["scheme"] == "learned" && i > 0) {
        EXPECT_EQ(cell["status"], "cannot evaluate");
        EXPECT_TRUE(cell["perplexity"].is_null());
        EXPECT_NE(cell["reason"].get<std::string>().find("learned positions"), std::string::npos);
      } else {
        EXPECT_EQ(cell["status"], "ok") << s["scheme"] << " at " << cell["length"];
        const double ppl = cell["perplexity"];
        EXPECT_TRUE(std::isfinite(ppl) && ppl > 1.0 && ppl < 256.0) << s["scheme"] << ": " << ppl;
        EXPECT_NEAR(std::log(ppl), cell["mean_loss"].get<double>(), 1e-9);
      }
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"none", "learned", "sinusoidal", "rope", "alibi", "t5", "shaw"}));

  const std::string md = posemb::io::read_file_bytes(dir / "study" / "study.md");
  EXPECT_NE(md.find("| scheme | 32 (L) | 64 (2L) | 128 (4L) | 256 (8L) | 512 (16L) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| learned |"), std::string::npos);
  EXPECT_NE(md.find("cannot evaluate (1)"), std::string::npos);
  EXPECT_EQ(r.out, md + "\nwrote " + (dir / "study" / "study.md").string() + ", " +
                       (dir / "study" / "study.json").string() + ", " + (dir / "study" / "study.csv").string() + ", " +
                       (dir / "study" / "study.png").string() + "\n");
  const auto png = posemb::testing::png_size(posemb::io::read_file_bytes(dir / "study" / "study.png"));
  ASSERT_TRUE(png.has_value()) << "study.png is not a PNG";
  EXPECT_EQ(png->width, 900u);
  EXPECT_EQ(png->height, 600u);
  const std::string csv = posemb::io::read_file_bytes(dir / "study" / "study.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 7 * 5);
}

TEST(StudyCommand, AnUnknownSchemeIsAnErrorNamingIt) {
  const auto dir = fresh_test_dir("posemb_cli_study");
  auto text = dir / "text.txt";
  posemb::io::write_file_atomically(text, std::string(5000, 'a'));
  const auto r = run_cli(dir, {"study", "--quick", "--schemes", "rope,absolute", "--corpus", text.string(), "--out",
                               (dir / "out").string(), "--cache-dir", (dir / "cache").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown positional scheme 'absolute'"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "a folder was created before the options were checked";
}

// A small study on a small text: three schemes, each long enough to be interrupted.
std::vector<std::string> small_study(const std::filesystem::path& dir, const std::filesystem::path& out) {
  const auto text = dir / "text.txt";
  if (!std::filesystem::exists(text)) {
    std::string words;
    for (int i = 0; i < 400; ++i) words += "The quick brown fox jumps over the lazy dog " + std::to_string(i) + ". ";
    posemb::io::write_file_atomically(text, words);
  }
  return {"study", "--schemes", "none,rope,alibi", "--corpus", text.string(), "--cache-dir", (dir / "cache").string(),
          "--out", out.string(), "--context", "16", "--layers", "1", "--heads", "2", "--channels", "16", "--batch",
          "4", "--steps", "300", "--warmup", "10", "--lengths", "1,2", "--eval-tokens", "512", "--progress", "never",
          "--threads", "2"};
}

// study.json without what depends on the clock or on the thread count.
nlohmann::json without_timings(nlohmann::json j) {
  j.erase("total_seconds");
  j.erase("threads");
  for (auto& s : j["schemes"]) {
    s.erase("train_seconds");
    s.erase("train_tokens_per_second");
  }
  return j;
}

TEST(StudyCommand, AnInterruptedStudyResumesToTheSameResults) {
  const auto dir = fresh_test_dir("posemb_cli_study");
  const auto whole = run_cli(dir, small_study(dir, dir / "whole"));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;

  posemb::testing::BackgroundCli run(dir, small_study(dir, dir / "split"));
  ASSERT_TRUE(run.wait_until([&] { return std::filesystem::exists(dir / "split" / "cells" / "none.json"); }));
  run.signal(SIGINT);
  const auto stopped = run.finish();
  ASSERT_EQ(stopped.exit_code, 130) << stopped.err;
  ASSERT_FALSE(std::filesystem::exists(dir / "split" / "study.json")) << "the study ended before the signal";
  EXPECT_NE(stopped.err.find("posemb: stopped by SIGINT during"), std::string::npos) << stopped.err;
  // The scheme that was running saved its trainer, and the resumed study goes on from there.
  int partials = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "split" / "cells"))
    partials += e.path().filename().string().ends_with(".partial") ? 1 : 0;
  EXPECT_EQ(partials, 1);
  EXPECT_NE(stopped.err.find("continue with `posemb study --resume --out"), std::string::npos) << stopped.err;

  // Resumed on one thread, with none of the options: they come from the saved study.
  const auto resumed = run_cli(dir, {"study", "--resume", "--out", (dir / "split").string(), "--cache-dir",
                                     (dir / "cache").string(), "--progress", "never", "--threads", "1"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("none: finished in an earlier session"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find(": resuming at step "), std::string::npos) << resumed.err;
  for (const auto& e : std::filesystem::directory_iterator(dir / "split" / "cells"))
    EXPECT_FALSE(e.path().filename().string().ends_with(".partial")) << "left behind: " << e.path();
  const auto read = [&](const char* run_name, const char* file) {
    return posemb::io::read_file_bytes(dir / run_name / file);
  };
  EXPECT_EQ(without_timings(nlohmann::json::parse(read("split", "study.json"))),
            without_timings(nlohmann::json::parse(read("whole", "study.json"))));
  EXPECT_EQ(read("split", "study.csv"), read("whole", "study.csv"));
  const auto table = [](const std::string& md) { return md.substr(0, md.find("\nTotal time")); };
  EXPECT_EQ(table(read("split", "study.md")), table(read("whole", "study.md")));
}

TEST(StudyCommand, AFolderThatHoldsAStudyIsRefusedAndResumeChecksTheOptions) {
  const auto dir = fresh_test_dir("posemb_cli_study");
  auto args = small_study(dir, dir / "out");
  *(std::find(args.begin(), args.end(), "--steps") + 1) = "5";
  *(std::find(args.begin(), args.end(), "--warmup") + 1) = "1";
  ASSERT_EQ(run_cli(dir, args).exit_code, 0);
  const std::string before = posemb::io::read_file_bytes(dir / "out" / "study.json");
  auto r = run_cli(dir, args);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds files"), std::string::npos) << r.err;
  EXPECT_EQ(posemb::io::read_file_bytes(dir / "out" / "study.json"), before);

  auto resume = args;
  resume.push_back("--resume");
  *(std::find(resume.begin(), resume.end(), "--schemes") + 1) = "none,rope";
  r = run_cli(dir, resume);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--schemes none,rope differs from the study in"), std::string::npos) << r.err;

  args.push_back("--force");
  r = run_cli(dir, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(StudyCommand, HelpListsThePresetAndTheLengths) {
  const auto dir = fresh_test_dir("posemb_cli_study");
  const auto r = run_cli(dir, {"study", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--quick"), std::string::npos);
  EXPECT_NE(r.out.find("--lengths"), std::string::npos);
}

}  // namespace
