#include "positions_report.hpp"

#include <fmt/format.h>

#include "output.hpp"
#include "posemb/core/error.hpp"
#include "posemb/core/tensor_print.hpp"

namespace posemb::cli {

void PositionsReport::value(std::string key, nlohmann::ordered_json value) {
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

std::string PositionsReport::render_json() const {
  nlohmann::ordered_json doc;
  for (const Entry& e : entries_) {
    if (const auto* t = std::get_if<Tensor>(&e.tensor)) {
      if (!e.shape_key.empty()) doc[e.shape_key] = t->shape();
      doc[e.key] = nested_values(*t);
    } else if (const auto* ids = std::get_if<IdTensor>(&e.tensor)) {
      if (!e.shape_key.empty()) doc[e.shape_key] = ids->shape();
      doc[e.key] = nested_values(*ids);
    } else {
      doc[e.key] = e.value;
    }
  }
  return one_key_per_line(doc);
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
