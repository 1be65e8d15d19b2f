#pragma once
// Whole-file reads and safe writes. Every file posemb writes goes through write_file_atomically.
#include <filesystem>
#include <string>
#include <string_view>

namespace posemb::io {

// The whole file as bytes; throws posemb::Error naming the path on failure.
std::string read_file_bytes(const std::filesystem::path& path);

// Writes `bytes` to `path`, never destroying what the path is:
//   - nothing there, or a regular file: a temporary file beside it, fsync, then a rename, so an
//     interrupted run leaves either the old file or the new one, never half of one. A replaced
//     file keeps its permission bits.
//   - a symbolic link (or a chain of them): followed; the rename happens next to the final
//     target, so the link stays a link and its target gets the bytes.
//   - a device, FIFO or socket (/dev/null, /dev/stdout, a named pipe): written in place, as a
//     shell redirection would; it is never replaced by a regular file.
//   - a folder: an error.
// Every write is checked; a failure (a full disk, say) is a posemb::Error that names `path` as
// the caller gave it, never the temporary file, and leaves no temporary file behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Follows `path` through symbolic links to what it finally names (which need not exist).
// Relative link targets are taken from the link's folder, as the kernel does.
std::filesystem::path resolve_symlinks(const std::filesystem::path& path);

// A log that grows line by line (a training run's log.jsonl and log.csv). Every append is
// written through at once and checked; a failure is a posemb::Error naming the file.
class AppendFile {
 public:
  // Opens `path` for appending, creating it when missing.
  explicit AppendFile(std::filesystem::path path);
  ~AppendFile();
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  void append(std::string_view bytes);
  // Whether the file was empty when opened (a header is due).
  bool was_empty() const { return was_empty_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool was_empty_ = true;
};

}  // namespace posemb::io
