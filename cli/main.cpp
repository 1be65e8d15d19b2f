// posemb: the command-line tool. Subcommands are registered from their own files; the error
// contract (what is printed, which exit code) is in usage_error.hpp and docs/promises.md.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <string>

#include "commands.hpp"
#include "parse_error.hpp"
#include "posemb/core/error.hpp"
#include "interrupt.hpp"
#include "usage_error.hpp"

namespace {

constexpr int kFailure = 1;
constexpr int kUsage = 2;

int print_error(int exit_code, const std::string& message) {
  std::fflush(stdout);
  fmt::print(stderr, "posemb: error: {}\n", message);
  return exit_code;
}

// Standard output is buffered: a full disk or a closed pipe shows only when it is flushed.
// Checked once at the end so that no subcommand exits 0 with its output cut short.
int close_standard_output() {
  errno = 0;
  const bool failed = std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (!failed) return 0;
  const int saved = errno;
  return print_error(kFailure, saved != 0 ? fmt::format("standard output: write failed: {}", std::strerror(saved))
                                          : "standard output: write failed");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"posemb: positional encodings for transformers, from text to attention"};
  app.name("posemb");
  app.require_subcommand(1);
  app.set_version_flag("--version", "posemb 0.1.0");

  posemb::cli::add_embed_command(app);
  posemb::cli::add_tokenize_command(app);
  posemb::cli::add_inspect_command(app);
  posemb::cli::add_positions_command(app);
  posemb::cli::add_train_command(app);
  posemb::cli::add_study_command(app);
  posemb::cli::add_plot_command(app);
  posemb::cli::add_report_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    app.exit(e);
    return close_standard_output();
  } catch (const CLI::ParseError& e) {
    return print_error(kUsage, posemb::cli::describe_parse_error(app, e));
  } catch (const posemb::cli::Interrupted& e) {
    std::fflush(stdout);
    fmt::print(stderr, "posemb: {}\n", e.what());
    return e.exit_code();
  } catch (const posemb::cli::UsageError& e) {
    return print_error(kUsage, e.what());
  } catch (const posemb::Error& e) {
    return print_error(kFailure, e.what());
  } catch (const std::filesystem::filesystem_error& e) {
    return print_error(kFailure, e.path1().empty() ? e.code().message()
                                                   : fmt::format("{}: {}", e.path1().string(), e.code().message()));
  } catch (const std::bad_alloc&) {
    return print_error(kFailure, "out of memory");
  } catch (const std::exception& e) {
    return print_error(kFailure, fmt::format("internal error (a bug in posemb; please report it): {}", e.what()));
  }
  return close_standard_output();
}
