#pragma once
// A read-only memory-mapped file (RAII): the bytes of a file without reading them all.
// Pages are read from disk (or the page cache) when first touched, so opening a 500 MB
// checkpoint to load one tensor reads little more than that tensor.
//
// The mapping is private and read-only. If another process truncates the file while it
// is mapped, touching the lost pages raises SIGBUS: posemb never writes files in place
// (see write_file_atomically), so files it writes are never truncated under a reader.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

namespace posemb::io {

class MappedFile {
 public:
  // Maps the whole file; throws posemb::Error naming the path if it cannot be opened,
  // is not a regular file, or cannot be mapped. An empty file maps to no bytes.
  explicit MappedFile(std::filesystem::path path);
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::span<const std::byte> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }
  // The same bytes as characters, for text headers.
  std::string_view chars() const { return {reinterpret_cast<const char*>(data_), size_}; }

 private:
  void unmap() noexcept;

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace posemb::io
