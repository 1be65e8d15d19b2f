#include "posemb/io/file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "posemb/core/error.hpp"

namespace posemb::io {

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

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  // The temporary name carries the pid so that two writers never share one.
  const std::filesystem::path temporary = fmt::format("{}.tmp.{}", path.string(), ::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(fmt::format("{}: cannot open for writing: {}", temporary.string(), std::strerror(errno)));
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      throw Error(fmt::format("{}: write failed: {}", temporary.string(), std::strerror(saved)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw Error(fmt::format("{}: cannot flush to disk: {}", temporary.string(), std::strerror(saved)));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    throw Error(fmt::format("{}: cannot rename into place: {}", path.string(), std::strerror(saved)));
  }
}

}  // namespace posemb::io
