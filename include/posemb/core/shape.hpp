#pragma once
// Shapes are lists of dimension sizes, row-major (the last dimension is contiguous),
// as in PyTorch. Index is signed so that differences of positions never wrap.
#include <cstdint>
#include <string>
#include <vector>

namespace posemb {

using Index = std::int64_t;
using Shape = std::vector<Index>;

// Number of elements; throws posemb::Error on a negative size or on overflow, including an
// overflow of the product of the non-zero sizes when another size is 0 (the strides of such a
// shape would overflow).
Index shape_numel(const Shape& shape);

// Strides, in elements, of a contiguous row-major tensor of this shape.
Shape contiguous_strides(const Shape& shape);

// "[1, 5, 2]"
std::string shape_to_string(const Shape& shape);

}  // namespace posemb
