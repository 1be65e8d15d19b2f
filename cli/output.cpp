#include "output.hpp"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "posemb/io/file.hpp"

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

void write_output(const std::string& bytes, const std::string& path) {
  if (path.empty())
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  else
    io::write_file_atomically(path, bytes);
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
