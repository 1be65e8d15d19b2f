#include "posemb/positional/axial_rope.hpp"

#include <fmt/format.h>

#include <cmath>

#include "posemb/core/memory_budget.hpp"
#include "posemb/kernels/rope.hpp"

namespace posemb::positional {

void validate(const AxialRopeParams& p) {
  if (p.head_dim <= 0 || p.head_dim % 4 != 0)
    throw Error(fmt::format("axial rope: head_dim must be a positive multiple of 4, got {}", p.head_dim));
  if (!(p.theta > 1.0) || !std::isfinite(p.theta))
    throw Error(fmt::format("axial rope: theta must be a finite number greater than 1, got {}", p.theta));
}

GridPositions grid_positions(Index batch, Index rows, Index cols) {
  if (batch < 0 || rows < 0 || cols < 0)
    throw Error(fmt::format("axial rope: grid {} x {} x {} has a negative size", batch, rows, cols));
  require_allocation(
      fmt::format("axial rope: a grid of {} x {} x {} tokens", batch, rows, cols),
      MemoryEstimate().add("the row and column of each token", {2, batch, rows, cols}, sizeof(Index), "int64 values"));
  GridPositions out;
  out.rows.reserve(static_cast<std::size_t>(batch * rows * cols));
  out.cols.reserve(out.rows.capacity());
  for (Index b = 0; b < batch; ++b)
    for (Index r = 0; r < rows; ++r)
      for (Index c = 0; c < cols; ++c) {
        out.rows.push_back(r);
        out.cols.push_back(c);
      }
  return out;
}

AxialRope::AxialRope(const AxialRopeParams& params, Index cache_positions, AnglePrecision precision)
    : params_(params) {
  validate(params_);
  RopeParams half;
  half.head_dim = params_.head_dim / 2;
  half.rotary_dim = params_.head_dim / 2;
  half.theta = params_.theta;
  frequencies_ = compute_rope_frequencies(half);
  cache_ = build_rope_cache(frequencies_, cache_positions, precision);
}

void AxialRope::run(TensorView<const float> x, TensorView<float> out, const GridPositions& positions,
                    kernels::RotationDirection direction) const {
  if (x.rank() != 4 || x.size(3) != params_.head_dim || x.shape() != out.shape())
    throw Error(fmt::format("axial rope: x and out must be [batch, seq, heads, {}], got {} and {}", params_.head_dim,
                            shape_to_string(x.shape()), shape_to_string(out.shape())));
  if (!x.is_contiguous() || !out.is_contiguous()) throw Error("axial rope: x and out must be contiguous");
  const Index tokens = x.size(0) * x.size(1);
  if (static_cast<Index>(positions.rows.size()) != tokens || static_cast<Index>(positions.cols.size()) != tokens)
    throw Error(fmt::format("axial rope: {} rows and {} columns given for {} tokens", positions.rows.size(),
                            positions.cols.size(), tokens));
  for (Index t = 0; t < tokens; ++t) {
    const Index r = positions.rows[static_cast<std::size_t>(t)];
    const Index c = positions.cols[static_cast<std::size_t>(t)];
    if (r < 0 || r >= cache_.positions || c < 0 || c >= cache_.positions)
      throw Error(fmt::format("axial rope: grid position ({}, {}) of token {} is outside the cache [0, {})", r, c, t,
                              cache_.positions));
  }
  kernels::RopeLayout layout;
  layout.tokens = tokens;
  layout.heads = x.size(2);
  layout.head_dim = params_.head_dim;
  layout.rotary_dim = params_.head_dim / 2;
  layout.pairing = params_.pairing;
  layout.rotary_begin = 0;
  kernels::rope_apply(x.data(), out.data(), layout, positions.rows.data(), cache_.cos.data(), cache_.sin.data(),
                          direction);
  // The second pass reads `out`: it already holds the row-rotated first half and a copy of
  // the second half.
  layout.rotary_begin = params_.head_dim / 2;
  kernels::rope_apply(out.data(), out.data(), layout, positions.cols.data(), cache_.cos.data(), cache_.sin.data(),
                          direction);
}

void AxialRope::apply(TensorView<const float> x, TensorView<float> out, const GridPositions& positions) const {
  run(x, out, positions, kernels::RotationDirection::kForward);
}

void AxialRope::backward(TensorView<const float> grad_out, TensorView<float> grad_x,
                         const GridPositions& positions) const {
  run(grad_out, grad_x, positions, kernels::RotationDirection::kInverse);
}

}  // namespace posemb::positional
