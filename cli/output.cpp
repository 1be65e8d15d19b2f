#include "output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

template <class T>
nlohmann::ordered_json nested(const T* data, const Shape& shape, std::size_t dim) {
  if (dim == shape.size()) return nlohmann::ordered_json(*data);
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  Index stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (Index i = 0; i < shape[dim]; ++i) out.push_back(nested(data + i * stride, shape, dim + 1));
  return out;
}

}  // namespace

std::string text_or_stdin(const std::string& argument) {
  if (argument != "-") return argument;
  std::ostringstream buffer;
  buffer << std::cin.rdbuf();
  return buffer.str();
}

bool is_standard_output(const std::string& path) { return path.empty() || path == "-"; }

void write_standard_output(std::string_view bytes) {
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0) {
    const int saved = errno;
    throw Error(saved != 0 ? fmt::format("standard output: write failed: {}", std::strerror(saved))
                           : std::string("standard output: write failed"));
  }
}

void write_output(std::string_view bytes, const std::string& path) {
  if (is_standard_output(path))
    write_standard_output(bytes);
  else
    io::write_file_atomically(path, bytes);
}

void write_binary_output(std::string_view bytes, const std::string& path, std::string_view option) {
  if (is_standard_output(path) && ::isatty(STDOUT_FILENO) != 0)
    throw UsageError(fmt::format("{} writes binary data: name a file with -o FILE, or redirect standard output", option));
  write_output(bytes, path);
}

std::string one_key_per_line(const nlohmann::ordered_json& object) {
  std::string out = "{";
  for (const auto& [key, value] : object.items())
    out += (out.size() > 1 ? ",\n  " : "\n  ") + nlohmann::ordered_json(key).dump() + ": " + value.dump();
  return out + "\n}\n";
}

nlohmann::ordered_json nested_values(const Tensor& tensor) { return nested(tensor.data(), tensor.shape(), 0); }
nlohmann::ordered_json nested_values(const IdTensor& tensor) { return nested(tensor.data(), tensor.shape(), 0); }

}  // namespace posemb::cli
