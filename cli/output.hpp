#pragma once
// Small helpers shared by subcommands.
#include <string>

namespace posemb::cli {

// "-" reads standard input; anything else is returned as it is.
std::string text_or_stdin(const std::string& argument);

// Writes `bytes` to standard output, or to `path` atomically (temp file + rename) when a path
// is given: an interrupted run never leaves a half-written file.
void write_output(const std::string& bytes, const std::string& path);

}  // namespace posemb::cli
