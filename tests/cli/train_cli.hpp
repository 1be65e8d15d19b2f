#pragma once
// Runs the built `posemb` binary (POSEMB_CLI_PATH) for the train and study tests and
// captures its exit code, stdout and stderr.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "posemb/io/file.hpp"

namespace posemb::testing {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A fresh folder for the running test (ctest runs tests as parallel processes; the process id
// keeps two test runs on one machine, e.g. two build trees, out of each other's folders).
inline std::filesystem::path fresh_test_dir(const std::string& group) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(::testing::TempDir()) / (group + "-" + std::to_string(::getpid())) / info->name();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline CliResult run_cli(const std::filesystem::path& dir, const std::vector<std::string>& args) {
  std::string command = shell_quoted(POSEMB_CLI_PATH);
  for (const auto& a : args) {
    command += ' ';
    command += shell_quoted(a);
  }
  command += fmt::format(" >{} 2>{}", shell_quoted((dir / "stdout").string()), shell_quoted((dir / "stderr").string()));
  const int status = std::system(command.c_str());
  CliResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = io::read_file_bytes(dir / "stdout");
  r.err = io::read_file_bytes(dir / "stderr");
  return r;
}

}  // namespace posemb::testing
