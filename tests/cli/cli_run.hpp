#pragma once
// Runs the built `posemb` binary (POSEMB_CLI_PATH) through the shell with the given
// arguments and standard input, and returns its exit code, stdout and stderr.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace posemb::testing {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& arg) {
  std::string quoted = "'";
  for (const char c : arg) {
    if (c == '\'')
      quoted.append("'\\''");  // close the quote, an escaped quote, reopen
    else
      quoted.push_back(c);
  }
  quoted.push_back('\'');
  return quoted;
}

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A fresh folder for one test's files, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "posemb-embed-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `prefix` goes before the binary in the shell command (e.g. limits; see run_posemb_limited).
inline CliRun run_posemb_with(const std::string& prefix, const std::vector<std::string>& args,
                              const std::string& stdin_text) {
  const TempDir dir;
  const auto in = dir.path() / "stdin", out = dir.path() / "stdout", err = dir.path() / "stderr";
  std::ofstream(in, std::ios::binary) << stdin_text;
  std::string command = prefix + shell_quote(POSEMB_CLI_PATH);
  for (const auto& a : args) command.append(" ").append(shell_quote(a));
  command.append(" <").append(shell_quote(in.string()));
  command.append(" >").append(shell_quote(out.string()));
  command.append(" 2>").append(shell_quote(err.string()));
  const int status = std::system(command.c_str());
  CliRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = slurp(out);
  run.err = slurp(err);
  return run;
}

inline CliRun run_posemb(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  return run_posemb_with("", args, stdin_text);
}

// Runs posemb with its address space limited to `memory_mib` (ulimit -v) and its time to
// `seconds`: for the tests of sizes that must be refused before they are allocated, so that a
// regression fails ("out of memory", or killed) instead of swapping the machine.
inline CliRun run_posemb_limited(const std::vector<std::string>& args, int memory_mib = 2048, int seconds = 60) {
  return run_posemb_with(
      "ulimit -v " + std::to_string(memory_mib * 1024) + " && exec timeout " + std::to_string(seconds) + " ", args, "");
}

}  // namespace posemb::testing

// `ulimit -v` cannot be used under AddressSanitizer, which reserves terabytes of shadow memory
// when a program starts: the tests of memory limits run in the optimised build only.
#if defined(__SANITIZE_ADDRESS__)
#define POSEMB_SKIP_UNDER_ADDRESS_SANITIZER() GTEST_SKIP() << "ulimit -v cannot be used under AddressSanitizer"
#else
#define POSEMB_SKIP_UNDER_ADDRESS_SANITIZER() (void)0
#endif
