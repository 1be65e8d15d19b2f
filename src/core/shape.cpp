#include "posemb/core/shape.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <limits>

#include "posemb/core/error.hpp"

namespace posemb {

Index shape_numel(const Shape& shape) {
  // The product of the non-zero sizes must fit as well, even when a zero makes the count 0:
  // strides are products of sizes, and [0, 2^62, 4] would overflow them (numpy refuses such
  // shapes for the same reason: "array is too big").
  Index nonzero = 1;
  bool empty = false;
  for (const Index d : shape) {
    if (d < 0) throw Error(fmt::format("shape {} has a negative dimension", shape_to_string(shape)));
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > std::numeric_limits<Index>::max() / d)
      throw Error(fmt::format("shape {} has too many elements", shape_to_string(shape)));
    nonzero *= d;
  }
  return empty ? 0 : nonzero;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  Index stride = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= shape[i];
  }
  return strides;
}

std::string shape_to_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

}  // namespace posemb
