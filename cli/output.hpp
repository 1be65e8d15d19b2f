#pragma once
// Small helpers shared by subcommands.
#include <nlohmann/json.hpp>
#include <string>

#include "posemb/core/tensor.hpp"

namespace posemb::cli {

// "-" reads standard input; anything else is returned as it is.
std::string text_or_stdin(const std::string& argument);

// Writes `bytes` to standard output, or to `path` atomically (temp file + rename) when a path
// is given: an interrupted run never leaves a half-written file.
void write_output(const std::string& bytes, const std::string& path);

// A JSON object with one top-level key per line and each value compact: valid JSON that a
// person can still read.
std::string one_key_per_line(const nlohmann::ordered_json& object);

// A row-major tensor as nested arrays ([2, 3] -> [[a, b, c], [d, e, f]]); floats as their
// exact float32 value.
nlohmann::ordered_json nested_values(const Tensor& tensor);
nlohmann::ordered_json nested_values(const IdTensor& tensor);

}  // namespace posemb::cli
