#include "posemb/io/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "posemb/core/error.hpp"

namespace posemb::io {
namespace {

// As many links as Linux follows before ELOOP.
constexpr int kMaxSymlinks = 40;

// Writes all of `bytes` to `fd`; returns 0 or the errno of the failed write.
int write_all(int fd, std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    written += static_cast<std::size_t>(n);
  }
  return 0;
}

// A device, FIFO or socket: opened and written as it is.
void write_in_place(const std::filesystem::path& shown, const std::filesystem::path& target, std::string_view bytes) {
  const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for writing: {}", shown.string(), std::strerror(errno)));
  const int failed = write_all(fd, bytes);
  const int closed = ::close(fd) == 0 ? 0 : errno;
  if (failed != 0 || closed != 0)
    throw Error(fmt::format("{}: write failed: {}", shown.string(), std::strerror(failed != 0 ? failed : closed)));
}

// A temporary name beside the target, unique within this process and (by the pid) among
// processes; created with O_EXCL so that it never opens someone else's file.
int create_temporary(const std::filesystem::path& target, std::filesystem::path& temporary) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    temporary = target.parent_path() /
                fmt::format(".{}.{}-{}.tmp", target.filename().string(), ::getpid(), counter.fetch_add(1));
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

void replace_atomically(const std::filesystem::path& shown, const std::filesystem::path& target,
                        const struct stat* existing, std::string_view bytes) {
  std::filesystem::path temporary;
  const int fd = create_temporary(target, temporary);
  if (fd < 0) {
    const int saved = errno;
    const auto folder = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    if (saved == ENOENT)
      throw Error(fmt::format("{}: cannot write: the folder {} does not exist", shown.string(), folder.string()));
    throw Error(fmt::format("{}: cannot write in {}: {}", shown.string(), folder.string(), std::strerror(saved)));
  }
  int failed = write_all(fd, bytes);
  if (failed == 0 && existing != nullptr && ::fchmod(fd, existing->st_mode & 07777) != 0) failed = errno;
  if (failed == 0 && ::fsync(fd) != 0) failed = errno;
  if (::close(fd) != 0 && failed == 0) failed = errno;
  if (failed == 0 && ::rename(temporary.c_str(), target.c_str()) != 0) failed = errno;
  if (failed != 0) {
    ::unlink(temporary.c_str());
    throw Error(fmt::format("{}: write failed: {}", shown.string(), std::strerror(failed)));
  }
}

}  // namespace

std::string read_file_bytes(const std::filesystem::path& path) {
  // A folder opens for reading on Linux; only the first read fails (EISDIR), and libstdc++'s
  // filebuf reports that with an exception rather than the stream's state.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw Error(fmt::format("{}: is a folder, not a file", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(fmt::format("{}: cannot open for reading: {}", path.string(), std::strerror(errno)));
  std::string bytes;
  try {
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::ios_base::failure& e) {
    throw Error(fmt::format("{}: read failed: {}", path.string(), e.code().message()));
  }
  if (in.bad()) throw Error(fmt::format("{}: read failed", path.string()));
  return bytes;
}

std::filesystem::path resolve_symlinks(const std::filesystem::path& path) {
  std::filesystem::path current = path;
  for (int hops = 0; hops <= kMaxSymlinks; ++hops) {
    struct stat info {};
    if (::lstat(current.c_str(), &info) != 0 || !S_ISLNK(info.st_mode)) return current;
    std::error_code error;
    const std::filesystem::path target = std::filesystem::read_symlink(current, error);
    if (error) throw Error(fmt::format("{}: cannot read the symbolic link: {}", path.string(), error.message()));
    current = target.is_absolute() ? target : current.parent_path() / target;
  }
  throw Error(fmt::format("{}: too many levels of symbolic links", path.string()));
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  if (path.empty()) throw Error("cannot write to an empty path");
  const std::filesystem::path target = resolve_symlinks(path);
  struct stat info {};
  if (::stat(target.c_str(), &info) != 0) {
    if (errno != ENOENT)
      throw Error(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
    return replace_atomically(path, target, nullptr, bytes);
  }
  if (S_ISDIR(info.st_mode)) throw Error(fmt::format("{}: is a folder, not a file", path.string()));
  if (S_ISREG(info.st_mode)) return replace_atomically(path, target, &info, bytes);
  write_in_place(path, target, bytes);
}

AppendFile::AppendFile(std::filesystem::path path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd_ < 0) throw Error(fmt::format("{}: cannot open for writing: {}", path_.string(), std::strerror(errno)));
  struct stat info {};
  was_empty_ = ::fstat(fd_, &info) == 0 && info.st_size == 0;
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append(std::string_view bytes) {
  if (const int failed = write_all(fd_, bytes); failed != 0)
    throw Error(fmt::format("{}: write failed: {}", path_.string(), std::strerror(failed)));
}

}  // namespace posemb::io
