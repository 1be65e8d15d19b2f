#include "posemb/positional/sinusoidal.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posemb/core/memory_budget.hpp"
#include "posemb/kernels/position_rows.hpp"

namespace posemb::positional {

void validate(const SinusoidalParams& p) {
  if (p.dim < 2 || p.dim % 2 != 0)
    throw Error(fmt::format("sinusoidal: dim must be even and at least 2, got {}", p.dim));
  if (!(p.base > 1.0) || !std::isfinite(p.base))
    throw Error(fmt::format("sinusoidal: base must be a finite number greater than 1, got {}", p.base));
  if (p.first_position < 0)
    throw Error(fmt::format("sinusoidal: first position must be 0 or more, got {}", p.first_position));
  if (!std::isfinite(p.scale)) throw Error("sinusoidal: scale must be finite");
}

SinusoidalLayout parse_sinusoidal_layout(std::string_view name) {
  if (name == "interleaved") return SinusoidalLayout::kInterleaved;
  if (name == "concat" || name == "concatenated") return SinusoidalLayout::kConcatenated;
  throw Error(fmt::format("sinusoidal: unknown layout '{}' (known: interleaved, concat)", name));
}

std::string_view sinusoidal_layout_name(SinusoidalLayout layout) {
  return layout == SinusoidalLayout::kInterleaved ? "interleaved" : "concat";
}

SinusoidalPositions::SinusoidalPositions(const SinusoidalParams& params, Index cache_positions)
    : params_(params), cache_rows_(cache_positions) {
  validate(params_);
  if (cache_positions < 0)
    throw Error(fmt::format("sinusoidal: cache_positions must be 0 or more, got {}", cache_positions));
  require_allocation(fmt::format("sinusoidal: a cache of {} positions x dim {}", cache_positions, params_.dim),
                     MemoryEstimate()
                         .add("the cached rows", {cache_positions, params_.dim}, sizeof(float), "float32 values")
                         .add("the frequencies", {params_.dim / 2}, sizeof(float) + sizeof(double)));
  const Index half = params_.dim / 2;
  frequencies_.resize(static_cast<std::size_t>(half));
  frequencies_f64_.resize(static_cast<std::size_t>(half));
  const double log_base = std::log(params_.base);
  for (Index i = 0; i < half; ++i) {
    // The references multiply a float32 arange by a Python float (rounded to float32 by
    // PyTorch) and take exp in float32; doing the same keeps us bit-close to them.
    double exponent_step = 0.0;
    double index = 0.0;
    if (params_.layout == SinusoidalLayout::kInterleaved) {
      exponent_step = -log_base / static_cast<double>(params_.dim);
      index = static_cast<double>(2 * i);
    } else {
      exponent_step = -log_base / static_cast<double>(std::max<Index>(half - 1, 1));
      index = static_cast<double>(i);
    }
    const float step32 = static_cast<float>(exponent_step);
    frequencies_[static_cast<std::size_t>(i)] = std::exp(static_cast<float>(index) * step32);
    frequencies_f64_[static_cast<std::size_t>(i)] = std::exp(index * exponent_step);
  }
  const auto dim = static_cast<std::size_t>(params_.dim);
  cache_.resize(static_cast<std::size_t>(cache_rows_) * dim);
  for (Index t = 0; t < cache_rows_; ++t)
    compute_row(t, std::span<float>(cache_).subspan(static_cast<std::size_t>(t) * dim, dim));
}

void SinusoidalPositions::row(Index token_index, std::span<float> out) const {
  if (token_index < 0) throw Error(fmt::format("sinusoidal: token index {} is negative", token_index));
  if (static_cast<Index>(out.size()) != params_.dim)
    throw Error(fmt::format("sinusoidal: row buffer has {} values, dim is {}", out.size(), params_.dim));
  if (token_index < cache_rows_) {
    const auto first = cache_.begin() + token_index * params_.dim;
    std::copy(first, first + params_.dim, out.begin());
    return;
  }
  compute_row(token_index, out);
}

void SinusoidalPositions::compute_row(Index token_index, std::span<float> out) const {
  const Index half = params_.dim / 2;
  const Index position = params_.first_position + token_index;
  for (Index i = 0; i < half; ++i) {
    float s = 0.0f;
    float c = 0.0f;
    if (params_.precision == AnglePrecision::kFloat32) {
      const float angle = static_cast<float>(position) * frequencies_[static_cast<std::size_t>(i)];
      s = static_cast<float>(std::sin(static_cast<double>(angle)));
      c = static_cast<float>(std::cos(static_cast<double>(angle)));
    } else {
      const double angle = static_cast<double>(position) * frequencies_f64_[static_cast<std::size_t>(i)];
      s = static_cast<float>(std::sin(angle));
      c = static_cast<float>(std::cos(angle));
    }
    const auto si = static_cast<std::size_t>(i);
    if (params_.layout == SinusoidalLayout::kInterleaved) {
      out[2 * si] = s * params_.scale;
      out[2 * si + 1] = c * params_.scale;
    } else {
      out[si] = s * params_.scale;
      out[static_cast<std::size_t>(half) + si] = c * params_.scale;
    }
  }
}

Tensor SinusoidalPositions::rows(std::span<const Index> token_indices) const {
  Tensor out({static_cast<Index>(token_indices.size()), params_.dim});
  for (std::size_t t = 0; t < token_indices.size(); ++t)
    row(token_indices[t], out.values().subspan(t * static_cast<std::size_t>(params_.dim),
                                               static_cast<std::size_t>(params_.dim)));
  return out;
}

Tensor SinusoidalPositions::table(Index count) const {
  if (count < 0) throw Error(fmt::format("sinusoidal: table length must be 0 or more, got {}", count));
  require_allocation(fmt::format("sinusoidal: a table of {} positions x dim {}", count, params_.dim),
                     MemoryEstimate()
                         .add("the table", {count, params_.dim}, sizeof(float), "float32 values")
                         .add("the list of positions", {count}, sizeof(Index)));
  std::vector<Index> indices(static_cast<std::size_t>(count));
  for (Index i = 0; i < count; ++i) indices[static_cast<std::size_t>(i)] = i;
  return rows(indices);
}

void SinusoidalPositions::add_to(TensorView<float> x, std::span<const Index> token_indices) const {
  if (x.rank() != 2 || x.size(1) != params_.dim || !x.is_contiguous())
    throw Error(fmt::format("sinusoidal: x must be a contiguous [tokens, {}] tensor, got shape {}", params_.dim,
                            shape_to_string(x.shape())));
  if (x.size(0) != static_cast<Index>(token_indices.size()))
    throw Error(fmt::format("sinusoidal: x has {} tokens but {} positions were given", x.size(0),
                            token_indices.size()));
  // The shared additive-table kernel, on the cached table when it covers every index.
  const bool cached = std::all_of(token_indices.begin(), token_indices.end(),
                                  [&](Index t) { return t >= 0 && t < cache_rows_; });
  if (cached) {
    kernels::add_position_rows(x.data(), x.data(), x.size(0), params_.dim, cache_.data(), token_indices.data());
    return;
  }
  const Tensor rows_to_add = rows(token_indices);  // row t for token t
  kernels::add_position_rows(x.data(), x.data(), x.size(0), params_.dim, rows_to_add.data(), /*positions=*/nullptr);
}

void SinusoidalPositions::add_to(TensorView<float> x, Index token_offset) const {
  if (x.rank() != 3 || x.size(2) != params_.dim || !x.is_contiguous())
    throw Error(fmt::format("sinusoidal: x must be a contiguous [batch, seq, {}] tensor, got shape {}", params_.dim,
                            shape_to_string(x.shape())));
  if (token_offset < 0) throw Error(fmt::format("sinusoidal: token offset {} is negative", token_offset));
  const Index batch = x.size(0), seq = x.size(1);
  if (token_offset + seq <= cache_rows_) {
    kernels::add_position_rows_to_batch(x.data(), x.data(), batch, seq, params_.dim,
                                        cache_.data() + token_offset * params_.dim, /*positions=*/nullptr);
    return;
  }
  std::vector<Index> indices(static_cast<std::size_t>(seq));
  for (Index s = 0; s < seq; ++s) indices[static_cast<std::size_t>(s)] = token_offset + s;
  const Tensor rows_to_add = rows(indices);  // row s for token s of each sequence
  kernels::add_position_rows_to_batch(x.data(), x.data(), batch, seq, params_.dim, rows_to_add.data(),
                                      /*positions=*/nullptr);
}

}  // namespace posemb::positional
