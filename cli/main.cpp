// posemb: the command-line tool. Subcommands are registered from their own files;
// errors from the library (posemb::Error) are printed on stderr with exit code 1,
// usage errors with exit code 2 (CLI11's convention for parse errors is non-zero too).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "posemb/core/error.hpp"

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
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const posemb::Error& e) {
    fmt::print(stderr, "posemb: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "posemb: internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
