#pragma once
// Small helpers shared by subcommands.
#include <string>

namespace posemb::cli {

// "-" reads standard input; anything else is returned as it is.
std::string text_or_stdin(const std::string& argument);

}  // namespace posemb::cli
