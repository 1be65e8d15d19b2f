#pragma once
// Runs the built `posemb` binary (POSEMB_CLI_PATH) with arguments and standard input, and
// captures its standard output, standard error and exit code.
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace posemb::cli::testing {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline RunResult run_posemb(const std::vector<std::string>& args, const std::string& stdin_bytes = "") {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("posemb_cli_" + std::to_string(::getpid()) + "_" +
                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "in", std::ios::binary) << stdin_bytes;
  std::string command = shell_quote(POSEMB_CLI_PATH);
  // Appends one piece at a time (g++ 12 warns falsely, -Wrestrict, on `" " + string`).
  for (const auto& a : args) {
    command += ' ';
    command += shell_quote(a);
  }
  for (const auto& [redirect, file] : {std::pair{" <", "in"}, std::pair{" >", "out"}, std::pair{" 2>", "err"}}) {
    command += redirect;
    command += shell_quote((dir / file).string());
  }
  const int status = std::system(command.c_str());
  RunResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "out"), slurp(dir / "err")};
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace posemb::cli::testing
