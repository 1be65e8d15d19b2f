#include "row_lookup.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "posemb/core/error.hpp"
#include "posemb/kernels/embedding.hpp"

namespace posemb::embedding::detail {

void check_table(const Tensor& weight, const TableNames& names) {
  if (weight.rank() != 2 || weight.size(0) < 1 || weight.size(1) < 1)
    throw Error(
        fmt::format("{} must have shape [rows >= 1, dim >= 1], got {}", names.table, shape_to_string(weight.shape())));
}

std::string place_in(const Shape& shape, Index flat) {
  Shape index(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    index[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_to_string(index);
}

std::vector<std::int64_t> checked_indices(TensorView<const std::int64_t> indices, Index rows,
                                          const std::function<void(std::int64_t, Index)>& on_bad) {
  std::vector<std::int64_t> flat = indices.to_vector();
  for (std::size_t i = 0; i < flat.size(); ++i)
    if (flat[i] < 0 || flat[i] >= rows) on_bad(flat[i], static_cast<Index>(i));
  return flat;
}

Tensor gather(const Tensor& weight, const std::vector<std::int64_t>& indices, Shape out_shape) {
  Tensor out(std::move(out_shape));
  kernels::gather_rows(weight.data(), weight.size(1), indices.data(), static_cast<std::int64_t>(indices.size()),
                       out.data());
  return out;
}

void scatter_add(const Tensor& weight, const std::vector<std::int64_t>& indices, const Shape& expected_grad_out_shape,
                 TensorView<const float> grad_out, Tensor& grad_weight, const TableNames& names) {
  if (grad_out.shape() != expected_grad_out_shape)
    throw Error(fmt::format("the gradient of the {} lookup must have shape {} (indices + [dim]), got {}", names.table,
                            shape_to_string(expected_grad_out_shape), shape_to_string(grad_out.shape())));
  if (grad_weight.shape() != weight.shape())
    throw Error(fmt::format("the gradient of the {} must have its shape {}, got {}", names.table,
                            shape_to_string(weight.shape()), shape_to_string(grad_weight.shape())));
  // The kernel reads rows contiguously; copy a strided gradient once.
  const Tensor contiguous = grad_out.is_contiguous() ? Tensor() : Tensor::copy_of(grad_out);
  const float* grad = grad_out.is_contiguous() ? grad_out.data() : contiguous.data();
  kernels::scatter_add_rows(grad, weight.size(1), indices.data(), static_cast<std::int64_t>(indices.size()),
                            grad_weight.data());
}

}  // namespace posemb::embedding::detail
