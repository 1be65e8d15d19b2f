// posemb: the command-line tool. Subcommands are registered from their own files; the error
// contract (what is printed, which exit code) is in usage_error.hpp and the README.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "commands.hpp"
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

  // CLI11 would call an unknown subcommand "not expected" or say that one is required.
  std::string help = "posemb --help";
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), argv[1]) == names.end())
      return print_error(kUsage, fmt::format("unknown subcommand '{}'; posemb has {}", argv[1], fmt::join(names, ", ")));
    help = fmt::format("posemb {} --help", argv[1]);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    app.exit(e);
    return close_standard_output();
  } catch (const CLI::ParseError& e) {
    return print_error(kUsage, fmt::format("{} (see {})", e.what(), help));
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
