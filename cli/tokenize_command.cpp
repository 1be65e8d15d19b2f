#include "commands.hpp"

namespace posemb::cli {

void add_tokenize_command(CLI::App& app) {
  app.add_subcommand("tokenize", "(not implemented yet)");
}

}  // namespace posemb::cli
