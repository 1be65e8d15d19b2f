#include "posemb/core/tensor.hpp"

#include <fmt/format.h>

#include "posemb/core/memory_budget.hpp"

namespace posemb::detail {

void throw_rank_mismatch(const Shape& shape, std::size_t index_count) {
  throw Error(fmt::format("tensor of shape {} indexed with {} indices", shape_to_string(shape), index_count));
}

void throw_index_out_of_range(const Shape& shape, int dim, Index index) {
  throw Error(fmt::format("index {} is out of range for dimension {} of size {} (shape {})", index, dim,
                          shape[static_cast<std::size_t>(dim)], shape_to_string(shape)));
}

void throw_bad_dim(const Shape& shape, int dim) {
  throw Error(fmt::format("dimension {} does not exist in a tensor of shape {}", dim, shape_to_string(shape)));
}

void throw_bad_slice(const Shape& shape, int dim, Index begin, Index end) {
  throw Error(fmt::format("slice [{}, {}) is out of range for dimension {} of shape {}", begin, end, dim,
                          shape_to_string(shape)));
}

void throw_bad_reshape(const Shape& from, const Shape& to, bool contiguous) {
  if (!contiguous)
    throw Error(fmt::format("cannot reshape a non-contiguous view of shape {} to {}; copy it first",
                            shape_to_string(from), shape_to_string(to)));
  throw Error(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)", shape_to_string(from),
                          shape_numel(from), shape_to_string(to), shape_numel(to)));
}

void throw_value_count(const Shape& shape, std::size_t value_count) {
  throw Error(fmt::format("shape {} needs {} values, got {}", shape_to_string(shape), shape_numel(shape), value_count));
}

Index checked_allocation_numel(const Shape& shape, std::size_t value_bytes, const char* value_type) {
  const Index numel = shape_numel(shape);
  // Most tensors are small: no message is built and no system limit read for them.
  if (static_cast<double>(numel) * static_cast<double>(value_bytes) < kCheckedAllocationBytes) return numel;
  MemoryEstimate need;
  need.add("its values", shape, static_cast<double>(value_bytes), fmt::format("{} values", value_type));
  require_allocation(fmt::format("tensor of shape {}", shape_to_string(shape)), need);
  return numel;
}

}  // namespace posemb::detail
