#pragma once
// A run folder (`posemb train --out`, `posemb study --out`) holds one run. It is never
// overwritten silently:
//   - a folder that does not exist or is empty is used as it is (created when needed);
//   - a folder that holds anything is refused, unless --resume (continue the run in it) or
//     --force (replace it: the files a run of this kind writes are removed first; a folder that
//     also holds other files is still refused, since they are not posemb's to delete).
#include <filesystem>
#include <string>
#include <vector>

namespace posemb::cli {

enum class RunFolderUse { kNew, kResume, kForce };

// --resume and --force → the use; both given is a usage error.
RunFolderUse run_folder_use(bool resume, bool force);

struct RunFolderKind {
  std::string command;                  // "train", "study": for messages
  std::vector<std::string> file_names;  // what a run writes: exact names, or "prefix*suffix"
  std::vector<std::string> folder_names;  // sub-folders a run writes (removed whole by --force)
};

// Checks `folder` for a new run (kNew, kForce) and creates it; with kForce removes the run's
// files first. Throws UsageError naming the folder and what it holds. kResume: only checks that
// the folder exists (the caller reads its saved state).
void prepare_run_folder(const std::filesystem::path& folder, RunFolderUse use, const RunFolderKind& kind);

// Whether `name` matches a pattern of RunFolderKind::file_names ("prefix*suffix" or exact).
bool matches_run_file(const std::string& name, const std::string& pattern);

}  // namespace posemb::cli
