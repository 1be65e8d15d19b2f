// The command line's error contract (cli/usage_error.hpp, README "Errors and exit codes"):
// one `posemb: error: ...` line on standard error; exit 2 when the command line is wrong, 1 when
// the work fails; never "internal error" for a failure a user can cause.
#include <gtest/gtest.h>

#include "cli_run.hpp"

namespace posemb::testing {
namespace {

struct Case {
  std::vector<std::string> args;
  int exit_code;
  std::string message;  // expected after "posemb: error: "
};

TEST(ErrorContract, UsageErrorsExit2AndFailuresExit1WithOneMessage) {
  const std::vector<Case> cases = {
      {{"frobnicate"}, 2, "unknown command 'frobnicate' for posemb; the commands are embed, tokenize, decode"},
      {{}, 2, "posemb needs a command: embed, tokenize"},
      {{"tokenize", "--bogus"}, 2, "The following argument was not expected: --bogus (see posemb tokenize --help)"},
      {{"positions", "alibi", "--heads"}, 2, "--heads"},
      {{"train", "--clip", "-1", "--out", "/nonexistent-posemb/run"}, 2, "clip_norm must be ≥ 0"},
      {{"train", "--seed", "-1", "--out", "/nonexistent-posemb/run"}, 2,
       "--seed: a seed is a whole number from 0 to 2^64-1"},
      {{"train", "--weight-decay", "inf", "--out", "/nonexistent-posemb/run"}, 2, "weight_decay must be finite"},
      {{"train", "--resume", "--force", "--out", "/nonexistent-posemb/run"}, 2, "--resume and --force exclude"},
      {{"study", "--lengths", "1,0.5", "--out", "/nonexistent-posemb/run"}, 2,
       "--lengths: '0.5' is not a whole multiple of L"},
      {{"study", "--schemes", "rope,rope", "--out", "/nonexistent-posemb/run"}, 2, "--schemes lists rope twice"},
      {{"tokenize", "--file", "/nonexistent-posemb-file"}, 1, "/nonexistent-posemb-file"},
      {{"inspect", "/nonexistent-posemb-file.safetensors"}, 1, "/nonexistent-posemb-file.safetensors"},
  };
  for (const auto& c : cases) {
    const CliRun run = run_posemb(c.args);
    std::string shown = "posemb";
    for (const auto& a : c.args) shown += " " + a;
    EXPECT_EQ(run.exit_code, c.exit_code) << shown << "\n" << run.err;
    EXPECT_EQ(run.err.rfind("posemb: error: ", 0), 0u) << shown << "\n" << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << shown << "\n" << run.err;
    EXPECT_EQ(run.err.find("internal error"), std::string::npos) << shown << "\n" << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << shown << "\n" << run.err;
  }
}

TEST(ErrorContract, HelpAndVersionExit0) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"--help"}, {"--version"}, {"train", "--help"}}) {
    const CliRun run = run_posemb(args);
    EXPECT_EQ(run.exit_code, 0) << args[0];
    EXPECT_FALSE(run.out.empty());
    EXPECT_TRUE(run.err.empty()) << run.err;
  }
}

}  // namespace
}  // namespace posemb::testing
