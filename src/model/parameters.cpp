#include "posemb/model/parameters.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"

namespace posemb::model {

std::size_t ParameterLayout::add(std::string name, Shape shape) {
  const Index size = shape_numel(shape);
  if (!index_.emplace(name, entries_.size()).second)
    throw Error(fmt::format("parameter '{}' is defined twice", name));
  ParameterEntry e;
  e.name = std::move(name);
  e.size = size;
  e.weight_decay = shape.size() >= 2;
  e.shape = std::move(shape);
  e.offset = (total_ + 15) / 16 * 16;
  total_ = e.offset + e.size;
  entries_.push_back(std::move(e));
  return entries_.size() - 1;
}

const ParameterEntry& ParameterLayout::find(std::string_view name) const {
  if (const auto it = index_.find(name); it != index_.end()) return entries_[it->second];
  throw Error(fmt::format("the model has no parameter named '{}'", name));
}

bool ParameterLayout::contains(std::string_view name) const { return index_.find(name) != index_.end(); }

Index ParameterLayout::parameter_count() const {
  Index n = 0;
  for (const auto& e : entries_) n += e.size;
  return n;
}

}  // namespace posemb::model
