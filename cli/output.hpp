#pragma once
// Small helpers shared by subcommands: reading text from an argument / stdin / file,
// and writing files atomically.
#include <filesystem>
#include <string>
#include <string_view>

namespace posemb::cli {

// "-" reads standard input; anything else is returned as it is.
std::string text_or_stdin(const std::string& argument);

// Whole file as bytes; throws posemb::Error naming the path on failure.
std::string read_file_bytes(const std::filesystem::path& path);

// Writes to a temporary file beside `path`, then renames it over `path`, so that an
// interrupted run never leaves a half-written file behind.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace posemb::cli
