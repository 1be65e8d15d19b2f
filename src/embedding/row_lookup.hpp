#pragma once
// What TokenEmbedding and LearnedPositionEmbedding share: validating a table and its
// indices at the edge, then calling the gather / scatter-add kernels on flat arrays.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/tensor.hpp"

namespace posemb::embedding::detail {

// Names a table in messages ("token embedding table") and its rows ("token id", "position").
struct TableNames {
  std::string_view table;
  std::string_view index;
};

// Throws unless `weight` is [rows >= 1, dim >= 1].
void check_table(const Tensor& weight, const TableNames& names);

// Where flat element `flat` of a row-major tensor of `shape` is: "[0, 3]".
std::string place_in(const Shape& shape, Index flat);

// The indices as one contiguous array, row-major. Calls `on_bad(index, flat_position)` (which
// must throw) for the first index outside [0, rows).
std::vector<std::int64_t> checked_indices(TensorView<const std::int64_t> indices, Index rows,
                                          const std::function<void(std::int64_t, Index)>& on_bad);

// out [count..., dim] = weight rows; `out_shape` is indices' shape + [dim].
Tensor gather(const Tensor& weight, const std::vector<std::int64_t>& indices, Shape out_shape);

// grad_weight[indices[i]] += grad_out[i], after checking both shapes.
void scatter_add(const Tensor& weight, const std::vector<std::int64_t>& indices, const Shape& expected_grad_out_shape,
                 TensorView<const float> grad_out, Tensor& grad_weight, const TableNames& names);

}  // namespace posemb::embedding::detail
