#pragma once
// Whole-file reads and atomic writes. Every file posemb writes goes through
// write_file_atomically: a temporary file beside the target, then a rename, so an
// interrupted run leaves either the old file or the new one, never half of one.
#include <filesystem>
#include <string>
#include <string_view>

namespace posemb::io {

// The whole file as bytes; throws posemb::Error naming the path on failure.
std::string read_file_bytes(const std::filesystem::path& path);

// Writes `bytes` to `path` atomically (temp file in the same folder + fsync + rename).
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace posemb::io
