#pragma once
// Small helpers shared by subcommands.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "posemb/core/tensor.hpp"

namespace posemb::cli {

// "-" reads standard input; anything else is returned as it is.
std::string text_or_stdin(const std::string& argument);

// Whether an -o value means standard output: nothing given, or `-`.
bool is_standard_output(const std::string& path);

// Writes `bytes` to standard output (path "" or "-") or to `path` through
// io::write_file_atomically (links followed, devices written in place, never half a file).
// A failed write is a posemb::Error naming the path or "standard output".
void write_output(std::string_view bytes, const std::string& path);

// The same for binary formats (.npy, .png): refused when standard output is a terminal.
void write_binary_output(std::string_view bytes, const std::string& path, std::string_view option);

// Writes to standard output now and checks it (a full disk, a closed pipe).
void write_standard_output(std::string_view bytes);

// A JSON object with one top-level key per line and each value compact: valid JSON that a
// person can still read.
std::string one_key_per_line(const nlohmann::ordered_json& object);

// A row-major tensor as nested arrays ([2, 3] -> [[a, b, c], [d, e, f]]); floats as their
// exact float32 value.
nlohmann::ordered_json nested_values(const Tensor& tensor);
nlohmann::ordered_json nested_values(const IdTensor& tensor);

}  // namespace posemb::cli
