#include "run_folder.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "usage_error.hpp"

namespace posemb::cli {
namespace {

namespace fs = std::filesystem;

bool is_run_entry(const fs::directory_entry& entry, const RunFolderKind& kind) {
  const std::string name = entry.path().filename().string();
  std::error_code error;
  if (entry.is_directory(error))
    return std::find(kind.folder_names.begin(), kind.folder_names.end(), name) != kind.folder_names.end();
  // Temporary files of an interrupted atomic write (io::write_file_atomically) are the run's too.
  if (name.starts_with('.') && name.ends_with(".tmp")) return true;
  return std::any_of(kind.file_names.begin(), kind.file_names.end(),
                     [&](const std::string& pattern) { return matches_run_file(name, pattern); });
}

std::vector<std::string> entry_names(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string first_names(const std::vector<std::string>& names) {
  constexpr std::size_t kShown = 4;
  std::vector<std::string> shown(names.begin(), names.begin() + std::ptrdiff_t(std::min(names.size(), kShown)));
  std::string list = fmt::format("{}", fmt::join(shown, ", "));
  if (names.size() > kShown) list += fmt::format(" and {} more", names.size() - kShown);
  return list;
}

}  // namespace

RunFolderUse run_folder_use(bool resume, bool force) {
  if (resume && force) throw UsageError("--resume and --force exclude each other: continue the run, or replace it");
  return resume ? RunFolderUse::kResume : force ? RunFolderUse::kForce : RunFolderUse::kNew;
}

bool matches_run_file(const std::string& name, const std::string& pattern) {
  const auto star = pattern.find('*');
  if (star == std::string::npos) return name == pattern;
  const std::string prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  return name.size() >= prefix.size() + suffix.size() && name.starts_with(prefix) && name.ends_with(suffix);
}

void prepare_run_folder(const fs::path& folder, RunFolderUse use, const RunFolderKind& kind) {
  std::error_code error;
  const auto status = fs::status(folder, error);
  const bool exists = fs::exists(status);
  if (exists && !fs::is_directory(status))
    throw UsageError(fmt::format("--out {}: is a file, not a folder", folder.string()));
  if (use == RunFolderUse::kResume) {
    if (!exists) throw UsageError(fmt::format("--resume: {} does not exist; there is no run to continue", folder.string()));
    return;
  }
  if (exists) {
    const std::vector<std::string> names = entry_names(folder);
    if (!names.empty() && use == RunFolderUse::kNew)
      throw UsageError(fmt::format(
          "--out {} already holds files ({}): give --resume to continue the run in it, --force to replace it, "
          "or another --out",
          folder.string(), first_names(names)));
    if (!names.empty()) {
      std::vector<std::string> foreign;
      for (const auto& entry : fs::directory_iterator(folder))
        if (!is_run_entry(entry, kind)) foreign.push_back(entry.path().filename().string());
      std::sort(foreign.begin(), foreign.end());
      if (!foreign.empty())
        throw UsageError(fmt::format(
            "--force: {} holds files that a `posemb {}` run does not write ({}); they are not posemb's to delete: "
            "choose another --out",
            folder.string(), kind.command, first_names(foreign)));
      for (const auto& entry : fs::directory_iterator(folder)) fs::remove_all(entry.path());
    }
  }
  fs::create_directories(folder, error);
  if (error) throw Error(fmt::format("--out {}: cannot create the folder: {}", folder.string(), error.message()));
}

}  // namespace posemb::cli
