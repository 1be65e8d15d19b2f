#include "parse_error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

namespace posemb::cli {
namespace {

// "posemb positions": the names from the root down to `app`.
std::string command_path(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr; app = app->get_parent()) names.insert(names.begin(), app->get_name());
  return fmt::format("{}", fmt::join(names, " "));
}

std::vector<std::string> subcommand_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_name().empty()) names.push_back(sub->get_name());
  return names;
}

}  // namespace

std::string describe_parse_error(const CLI::App& app, const CLI::ParseError& error) {
  // The deepest command that was recognised: where the parse stopped.
  const CLI::App* deepest = &app;
  while (!deepest->get_subcommands().empty()) deepest = deepest->get_subcommands().front();
  const std::string path = command_path(deepest);
  const std::string help = fmt::format("see {} --help", path);
  const auto names = subcommand_names(deepest);
  const bool wants_subcommand = error.get_name() == "RequiredError" && deepest->get_require_subcommand_min() > 0 &&
                                deepest->get_subcommands().empty() && !names.empty();
  if (!wants_subcommand) return fmt::format("{} ({})", error.what(), help);
  const std::vector<std::string> rest = deepest->remaining();
  const std::string known = fmt::format("{}", fmt::join(names, ", "));
  if (rest.empty()) return fmt::format("{} needs a command: {} ({})", path, known, help);
  if (rest.front().starts_with("-"))
    return fmt::format("unknown option '{}' for {}, which needs a command: {} ({})", rest.front(), path, known, help);
  return fmt::format("unknown command '{}' for {}; the commands are {} ({})", rest.front(), path, known, help);
}

}  // namespace posemb::cli
