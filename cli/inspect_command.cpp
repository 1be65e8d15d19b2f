// posemb inspect FILE: what a weights file holds (tensor names, dtypes, shapes, metadata)
// without loading any tensor. The format is recognised by the file's first bytes: the
// .npy magic, otherwise safetensors.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/mapped_file.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/io/safetensors.hpp"

namespace posemb::cli {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct InspectOptions {
  std::string file;
  std::string format = "text";
};

// An object printed with one key per line and one array element per line: valid JSON
// that a person can read, with each tensor on a line of its own.
void print_json(const OrderedJson& object) {
  std::string out = "{";
  const char* separator = "\n";
  for (const auto& [key, value] : object.items()) {
    out += fmt::format("{}  {}: ", separator, OrderedJson(key).dump());
    if (value.is_array() && !value.empty() && value.front().is_object()) {
      out += "[";
      for (std::size_t i = 0; i < value.size(); ++i)
        out += fmt::format("{}\n    {}", i == 0 ? "" : ",", value[i].dump());
      out += "\n  ]";
    } else {
      out += value.dump();
    }
    separator = ",\n";
  }
  fmt::print("{}\n}}\n", out);
}

bool is_npy(const io::MappedFile& file) { return file.chars().starts_with("\x93NUMPY"); }

// What a file that is neither .npy nor safetensors looks like, from its first bytes, for the
// error message; empty when it is not recognised (a damaged safetensors file, say).
std::string looks_like(const io::MappedFile& file) {
  const std::string_view start = file.chars().substr(0, 8);
  struct Magic {
    std::string_view bytes, what;
  };
  static constexpr Magic kMagics[] = {
      {"\x89PNG", "a PNG image"},
      {"PK\x03\x04", "a zip archive (a PyTorch .pt / .bin checkpoint is one)"},
      {"\x1f\x8b", "gzip-compressed"},
      {"GGUF", "a GGUF file (llama.cpp)"},
      {"\x7f"
       "ELF",
       "an executable (ELF)"},
      {"%PDF", "a PDF document"},
  };
  for (const Magic& m : kMagics)
    if (start.starts_with(m.bytes)) return std::string(m.what);
  if (start.size() >= 2 && start[0] == '\x80' && start[1] >= 2 && start[1] <= 5)
    return "a Python pickle (a PyTorch checkpoint?)";
  const bool text = !start.empty() && std::all_of(start.begin(), start.end(), [](char c) {
    return (c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t';
  });
  return text ? "text" : "";
}

void print_npy(const io::MappedFile& file, const std::string& format) {
  const io::NpyHeader header = io::parse_npy_header(file.bytes(), file.path().string());
  const std::string version = fmt::format("{}.{}", header.major_version, header.minor_version);
  if (format == "json") {
    const OrderedJson out = {{"file", file.path().string()},
                             {"format", "npy"},
                             {"version", version},
                             {"descr", header.descr},
                             {"dtype", io::dtype_name(header.dtype)},
                             {"shape", header.shape},
                             {"fortran_order", header.fortran_order},
                             {"data_offset", header.data_offset}};
    print_json(out);
    return;
  }
  fmt::print("{}: npy {}, dtype '{}' ({}), shape {}, {} order, {} bytes of data from byte {}\n", file.path().string(),
             version, header.descr, io::dtype_name(header.dtype), shape_to_string(header.shape),
             header.fortran_order ? "Fortran (column-major)" : "C (row-major)", file.size() - header.data_offset,
             header.data_offset);
}

void print_safetensors(const std::string& path, const std::string& format) {
  const io::SafetensorsFile file(path);
  if (format == "json") {
    OrderedJson tensors = OrderedJson::array();
    for (const auto& t : file.tensors())
      tensors.push_back(
          {{"name", t.name}, {"dtype", t.dtype_name}, {"shape", t.shape}, {"data_offsets", {t.begin, t.end}}});
    const OrderedJson out = {{"file", path},
                             {"format", "safetensors"},
                             {"data_start", file.data_start()},
                             {"metadata", file.metadata()},
                             {"tensors", tensors}};
    print_json(out);
    return;
  }
  fmt::print("{}: safetensors, {} tensor{}, data from byte {}\n", path, file.tensors().size(),
             file.tensors().size() == 1 ? "" : "s", file.data_start());
  if (!file.metadata().empty()) {
    fmt::print("metadata:\n");
    for (const auto& [key, value] : file.metadata()) fmt::print("  {}: {}\n", key, value);
  }
  if (file.tensors().empty()) return;
  // Columns as wide as their widest entry, in data order.
  std::size_t name_width = 4, dtype_width = 5, shape_width = 5;
  for (const auto& t : file.tensors()) {
    name_width = std::max(name_width, t.name.size());
    dtype_width = std::max(dtype_width, t.dtype_name.size());
    shape_width = std::max(shape_width, shape_to_string(t.shape).size());
  }
  fmt::print("  {:<{}}  {:<{}}  {:<{}}  {}\n", "name", name_width, "dtype", dtype_width, "shape", shape_width,
             "data_offsets");
  for (const auto& t : file.tensors())
    fmt::print("  {:<{}}  {:<{}}  {:<{}}  [{}, {})\n", t.name, name_width, t.dtype_name, dtype_width,
               shape_to_string(t.shape), shape_width, t.begin, t.end);
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* inspect = app.add_subcommand(
      "inspect",
      "List the tensors of a safetensors or .npy file (names, dtypes, shapes, metadata) without loading them");
  inspect->add_option("FILE", options->file, "a .safetensors or .npy file")->required();
  inspect->add_option("--format", options->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  inspect->callback([options] {
    const io::MappedFile file(options->file);
    if (is_npy(file)) return print_npy(file, options->format);
    try {
      print_safetensors(options->file, options->format);
    } catch (const Error& e) {
      const std::string kind = looks_like(file);
      if (kind.empty()) throw;
      throw Error(
          fmt::format("{}; nor is it a .npy file: its first bytes look like {} (posemb inspect reads "
                      "safetensors and .npy files)",
                      e.what(), kind));
    }
  });
}

}  // namespace posemb::cli
