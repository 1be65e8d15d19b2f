// What every subcommand promises about its output (cli/output.hpp, io::write_file_atomically):
// `-o -` is standard output, an existing device / FIFO / symlink is written through and kept,
// and a failed write to standard output or a file is an error with exit code 1.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "cli_run.hpp"
#include "posemb/io/file.hpp"

namespace posemb::testing {
namespace {

namespace fs = std::filesystem;

// Runs `posemb ARGS` with standard output sent to `stdout_path` (a device, say).
CliRun run_posemb_to(const std::vector<std::string>& args, const std::string& stdout_path) {
  const TempDir dir;
  std::string command = shell_quote(POSEMB_CLI_PATH);
  for (const auto& a : args) command.append(" ").append(shell_quote(a));
  command.append(" </dev/null >").append(shell_quote(stdout_path));
  command.append(" 2>").append(shell_quote((dir.path() / "stderr").string()));
  const int status = std::system(command.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = slurp(dir.path() / "stderr");
  return run;
}

const std::vector<std::string> kAlibi = {"positions", "alibi", "--heads", "2", "--length", "3"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(Output, DashIsStandardOutput) {
  const TempDir dir;
  const CliRun plain = run_posemb(kAlibi);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const CliRun dash = run_posemb(with(kAlibi, {"-o", "-"}));
  ASSERT_EQ(dash.exit_code, 0) << dash.err;
  EXPECT_EQ(dash.out, plain.out);
  EXPECT_FALSE(fs::exists("-"));

  // Binary formats too, when standard output is not a terminal.
  const CliRun npy = run_posemb({"embed", "Hello world", "--dim", "4", "--format", "npy", "-o", "-"});
  ASSERT_EQ(npy.exit_code, 0) << npy.err;
  EXPECT_EQ(npy.out.substr(0, 6), "\x93NUMPY");
  const CliRun svg = run_posemb({"plot", "rope-frequencies", "--head-dim", "16", "-o", "-", "--format", "svg"});
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_NE(svg.out.find("<svg"), std::string::npos);
  const CliRun no_format = run_posemb({"plot", "rope-frequencies", "--head-dim", "16", "-o", "-"});
  EXPECT_EQ(no_format.exit_code, 2);
  EXPECT_NE(no_format.err.find("--format png or svg"), std::string::npos) << no_format.err;
}

TEST(Output, BinaryOutputIsRefusedOnATerminal) {
  // util-linux's `script` gives the command a pseudo-terminal as standard output.
  if (!fs::exists("/usr/bin/script")) GTEST_SKIP() << "no /usr/bin/script to make a terminal";
  const TempDir dir;
  const std::string command = "/usr/bin/script -qec " +
                              shell_quote(shell_quote(POSEMB_CLI_PATH) + " embed Hi --dim 2 --format npy") +
                              " /dev/null >" + shell_quote((dir.path() / "terminal").string()) + " 2>&1";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  const std::string shown = slurp(dir.path() / "terminal");
  EXPECT_NE(shown.find("--format npy writes binary data: name a file with -o FILE"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("NUMPY"), std::string::npos) << "binary bytes reached the terminal";
}

TEST(Output, ASymlinkIsFollowedAndKept) {
  const TempDir dir;
  fs::create_directories(dir.path() / "data");
  fs::create_symlink("data/alibi.json", dir.path() / "link.json");
  const CliRun run = run_posemb(with(kAlibi, {"-o", (dir.path() / "link.json").string()}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link.json"));
  EXPECT_EQ(io::read_file_bytes(dir.path() / "data" / "alibi.json"), run_posemb(kAlibi).out);
}

TEST(Output, ADeviceIsWrittenInPlace) {
  const CliRun run = run_posemb(with(kAlibi, {"-o", "/dev/null"}));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  struct stat info {};
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
}

TEST(Output, AFifoIsWrittenInPlace) {
  const TempDir dir;
  const auto fifo = dir.path() / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = io::read_file_bytes(fifo); });
  const CliRun run = run_posemb(with(kAlibi, {"-o", fifo.string()}));
  reader.join();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(received, run_posemb(kAlibi).out);
  struct stat info {};
  ASSERT_EQ(::lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode));
}

TEST(Output, AFullDiskIsAnErrorForEverySubcommand) {
  const TempDir dir;
  const auto npy = dir.path() / "x.npy";
  ASSERT_EQ(run_posemb({"embed", "Hi", "--dim", "2", "--format", "npy", "-o", npy.string()}).exit_code, 0);
  const std::vector<std::vector<std::string>> commands = {
      {"tokenize", "hi"},
      {"decode", "15496", "995"},
      {"positions", "schemes"},
      kAlibi,
      {"embed", "Hello my name is Ajay", "--dim", "2"},
      {"inspect", npy.string()},
      {"positions", "rope", "--head-dim", "8", "--positions", "0,1"},
  };
  for (const auto& args : commands) {
    const CliRun run = run_posemb_to(args, "/dev/full");
    EXPECT_EQ(run.exit_code, 1) << args[0] << " " << args[1];
    EXPECT_NE(run.err.find("posemb: error: standard output: write failed: No space left on device"), std::string::npos)
        << run.err;
  }
  const CliRun to_file = run_posemb(with(kAlibi, {"-o", "/dev/full"}));
  EXPECT_EQ(to_file.exit_code, 1);
  EXPECT_NE(to_file.err.find("/dev/full: write failed"), std::string::npos) << to_file.err;
}

TEST(Output, AMissingFolderIsNamedNotTheTemporaryFile) {
  const CliRun run = run_posemb(with(kAlibi, {"-o", "/nonexistent-posemb-dir/a.json"}));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("posemb: error: /nonexistent-posemb-dir/a.json: cannot write: the folder "
                         "/nonexistent-posemb-dir does not exist"),
            std::string::npos)
      << run.err;
}

}  // namespace
}  // namespace posemb::testing
