#pragma once
// What a `posemb positions` subcommand prints: named values and tensors, in order, rendered
// either as one JSON document or the way a PyTorch session prints them (a label line, then
// `tensor([...])` and `torch.Size([...])`), so that they can be put next to Python output.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "posemb/core/tensor.hpp"

namespace posemb::cli {

class PositionsReport {
 public:
  // A scalar or small JSON value (a name, a parameter, a list of positions).
  void value(std::string key, nlohmann::ordered_json value);
  // A tensor: a nested JSON array, or PyTorch's text. In JSON, its shape comes first under
  // `shape_key` when one is given (e.g. "shape" before "values").
  void tensor(std::string key, Tensor tensor, std::string shape_key = {});
  void tensor(std::string key, IdTensor tensor, std::string shape_key = {});

  // "json" or "torch"; anything else is an error naming --format.
  std::string render(std::string_view format) const;

 private:
  struct Entry {
    std::string key;
    nlohmann::ordered_json value;
    std::variant<std::monostate, Tensor, IdTensor> tensor;
    std::string shape_key;
  };
  std::string render_json() const;
  std::string render_torch() const;

  std::vector<Entry> entries_;
};

// The formats every `positions` subcommand accepts, for its --format option.
inline const std::vector<std::string>& positions_formats() {
  static const std::vector<std::string> formats{"json", "torch"};
  return formats;
}

}  // namespace posemb::cli
