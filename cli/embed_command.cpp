#include "commands.hpp"

namespace posemb::cli {

void add_embed_command(CLI::App& app) {
  app.add_subcommand("embed", "(not implemented yet)");
}

}  // namespace posemb::cli
