#pragma once
// Runs the built `posemb` binary (POSEMB_CLI_PATH) for the train and study tests and
// captures its exit code, stdout and stderr.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
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

// posemb running in the background (for signals sent mid-run); its stdout and stderr go to
// files in `dir`.
class BackgroundCli {
 public:
  BackgroundCli(const std::filesystem::path& dir, const std::vector<std::string>& args) : dir_(dir) {
    std::vector<std::string> argv_strings{POSEMB_CLI_PATH};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (auto& a : argv_strings) argv.push_back(a.data());
      argv.push_back(nullptr);
      if (!std::freopen((dir / "stdout").c_str(), "w", stdout) || !std::freopen((dir / "stderr").c_str(), "w", stderr))
        ::_exit(127);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~BackgroundCli() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int number) const { ::kill(pid_, number); }
  // Waits until `ready()` holds (polling every 5 ms) or the process ends; whether it holds.
  template <class Ready>
  bool wait_until(Ready ready, double timeout_seconds = 120) {
    for (double waited = 0; waited < timeout_seconds; waited += 0.005) {
      if (ready()) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        status_ = status;
        return ready();
      }
      ::usleep(5000);
    }
    return false;
  }
  // The exit code, or -signal when a signal killed it.
  CliResult finish() {
    if (!reaped_) {
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
    }
    CliResult r;
    r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -WTERMSIG(status_);
    r.out = io::read_file_bytes(dir_ / "stdout");
    r.err = io::read_file_bytes(dir_ / "stderr");
    return r;
  }

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Lines in a text file (0 when it does not exist yet).
inline std::size_t count_lines(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return 0;
  const std::string text = io::read_file_bytes(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace posemb::testing
