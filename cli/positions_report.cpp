#include "positions_report.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"
#include "posemb/core/tensor_print.hpp"

namespace posemb::cli {
namespace {

using nlohmann::ordered_json;

// A row-major tensor as nested JSON arrays ([2, 3] -> [[a, b, c], [d, e, f]]).
template <class T>
ordered_json nested(const T* data, const Shape& shape, std::size_t dim = 0) {
  if (dim == shape.size()) return ordered_json(*data);
  ordered_json out = ordered_json::array();
  Index stride = 1;
  for (std::size_t d = dim + 1; d < shape.size(); ++d) stride *= shape[d];
  for (Index i = 0; i < shape[dim]; ++i) out.push_back(nested(data + i * stride, shape, dim + 1));
  return out;
}

}  // namespace

void PositionsReport::value(std::string key, ordered_json value) {
  entries_.push_back({std::move(key), std::move(value), std::monostate{}, {}});
}

void PositionsReport::tensor(std::string key, Tensor tensor, std::string shape_key) {
  entries_.push_back({std::move(key), {}, std::move(tensor), std::move(shape_key)});
}

void PositionsReport::tensor(std::string key, IdTensor tensor, std::string shape_key) {
  entries_.push_back({std::move(key), {}, std::move(tensor), std::move(shape_key)});
}

std::string PositionsReport::render(std::string_view format) const {
  if (format == "json") return render_json();
  if (format == "torch") return render_torch();
  throw Error(fmt::format("--format {}: unknown format; use json or torch", format));
}

// One key per line, each value compact: readable, and still a single JSON document.
std::string PositionsReport::render_json() const {
  std::string out = "{\n";
  bool first = true;
  const auto add = [&](const std::string& key, const ordered_json& value) {
    out += first ? "  " : ",\n  ";
    first = false;
    out += ordered_json(key).dump() + ": " + value.dump();
  };
  for (const Entry& e : entries_) {
    if (const auto* t = std::get_if<Tensor>(&e.tensor)) {
      if (!e.shape_key.empty()) add(e.shape_key, t->shape());
      add(e.key, nested(t->data(), t->shape()));
    } else if (const auto* ids = std::get_if<IdTensor>(&e.tensor)) {
      if (!e.shape_key.empty()) add(e.shape_key, ids->shape());
      add(e.key, nested(ids->data(), ids->shape()));
    } else {
      add(e.key, e.value);
    }
  }
  return out + "\n}\n";
}

// Values as "key: value" lines (strings unquoted), tensors as print(t) and print(t.shape).
std::string PositionsReport::render_torch() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (const auto* t = std::get_if<Tensor>(&e.tensor)) {
      out += fmt::format("{}:\n{}\n{}\n", e.key, format_torch(*t), format_torch_size(t->shape()));
    } else if (const auto* ids = std::get_if<IdTensor>(&e.tensor)) {
      out += fmt::format("{}:\n{}\n{}\n", e.key, format_torch(*ids), format_torch_size(ids->shape()));
    } else {
      out += fmt::format("{}: {}\n", e.key, e.value.is_string() ? e.value.get<std::string>() : e.value.dump());
    }
  }
  return out;
}

}  // namespace posemb::cli
