#pragma once
// The message for a command line that CLI11 could not parse. CLI11 says only "A subcommand is
// required" for `posemb frobnicate`; this names the word it did not know, the commands it
// could have been, and the --help to read.
#include <CLI/CLI.hpp>
#include <string>

namespace posemb::cli {

// `app` is the root app after app.parse(...) threw `error`.
std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace posemb::cli
