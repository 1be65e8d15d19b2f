#include "posemb/positional/rope.hpp"

#include <fmt/format.h>

#include <cmath>

#include "posemb/core/memory_budget.hpp"
#include "posemb/kernels/rope.hpp"

namespace posemb::positional {

RopeCache rope_cos_sin_at(const RopeFrequencies& frequencies, std::span<const Index> positions,
                          AnglePrecision precision) {
  RopeCache cache;
  cache.positions = static_cast<Index>(positions.size());
  cache.half = static_cast<Index>(frequencies.inv_freq.size());
  require_allocation(fmt::format("rope: cos/sin at {} positions", cache.positions),
                     MemoryEstimate().add("the cos and sin tables", {2, cache.positions, cache.half}, sizeof(float),
                                          "float32 values"));
  const auto count = static_cast<std::size_t>(cache.positions * cache.half);
  cache.cos.resize(count);
  cache.sin.resize(count);
  const float factor = frequencies.attention_factor;
  for (std::size_t r = 0; r < positions.size(); ++r) {
    const Index p = positions[r];
    if (p < 0) throw Error(fmt::format("rope: position {} is negative", p));
    for (Index i = 0; i < cache.half; ++i) {
      const float inv = frequencies.inv_freq[static_cast<std::size_t>(i)];
      double angle = 0.0;
      if (precision == AnglePrecision::kFloat32) {
        angle = static_cast<double>(static_cast<float>(p) * inv);  // the float32 product, as in PyTorch
      } else {
        angle = static_cast<double>(p) * static_cast<double>(inv);
      }
      const auto at = r * static_cast<std::size_t>(cache.half) + static_cast<std::size_t>(i);
      // cos/sin rounded to float32 first, then scaled: `emb.cos() * attention_scaling`.
      cache.cos[at] = static_cast<float>(std::cos(angle)) * factor;
      cache.sin[at] = static_cast<float>(std::sin(angle)) * factor;
    }
  }
  return cache;
}

RopeCache build_rope_cache(const RopeFrequencies& frequencies, Index positions, AnglePrecision precision) {
  if (positions < 0) throw Error(fmt::format("rope: cache length must be 0 or more, got {}", positions));
  const auto half = static_cast<Index>(frequencies.inv_freq.size());
  require_allocation(fmt::format("rope: a cos/sin cache of {} positions", positions),
                     MemoryEstimate()
                         .add("the cos and sin tables", {2, positions, half}, sizeof(float), "float32 values")
                         .add("the list of positions", {positions}, sizeof(Index)));
  std::vector<Index> all(static_cast<std::size_t>(positions));
  for (Index p = 0; p < positions; ++p) all[static_cast<std::size_t>(p)] = p;
  return rope_cos_sin_at(frequencies, all, precision);
}

Rope::Rope(const RopeParams& params, Index cache_positions, AnglePrecision precision, std::optional<Index> seq_len)
    : params_(params), frequencies_(compute_rope_frequencies(params, seq_len)) {
  cache_ = build_rope_cache(frequencies_, cache_positions, precision);
}

std::vector<Index> sequential_positions(Index batch, Index seq, Index offset) {
  std::vector<Index> positions(static_cast<std::size_t>(batch * seq));
  for (Index b = 0; b < batch; ++b)
    for (Index s = 0; s < seq; ++s) positions[static_cast<std::size_t>(b * seq + s)] = offset + s;
  return positions;
}

void Rope::check_shapes(const Shape& x, const Shape& out) const {
  const auto check = [&](const Shape& shape, const char* name) {
    if (shape.size() != 4 || shape[3] != params_.head_dim)
      throw Error(fmt::format("rope: {} must be [batch, seq, heads, {}], got {}", name, params_.head_dim,
                              shape_to_string(shape)));
  };
  check(x, "x");
  check(out, "out");
  if (x != out)
    throw Error(fmt::format("rope: out has shape {}, x has {}", shape_to_string(out), shape_to_string(x)));
}

kernels::RopeLayout Rope::layout_of(Index tokens, Index heads) const {
  kernels::RopeLayout layout;
  layout.tokens = tokens;
  layout.heads = heads;
  layout.head_dim = params_.head_dim;
  layout.rotary_begin = 0;
  layout.rotary_dim = params_.rotary_dim;
  layout.pairing = params_.pairing;
  return layout;
}

void Rope::run(TensorView<const float> x, TensorView<float> out, std::span<const Index> positions,
               kernels::RotationDirection direction) const {
  check_shapes(x.shape(), out.shape());
  if (!x.is_contiguous() || !out.is_contiguous()) throw Error("rope: x and out must be contiguous");
  const Index tokens = x.size(0) * x.size(1);
  if (static_cast<Index>(positions.size()) != tokens)
    throw Error(fmt::format("rope: {} positions given for {} tokens (batch x seq)", positions.size(), tokens));
  for (std::size_t t = 0; t < positions.size(); ++t)
    if (positions[t] < 0 || positions[t] >= cache_.positions)
      throw Error(fmt::format("rope: position {} (token {}) is outside the cos/sin cache [0, {})", positions[t], t,
                              cache_.positions));
  kernels::rope_apply(x.data(), out.data(), layout_of(tokens, x.size(2)), positions.data(), cache_.cos.data(),
                      cache_.sin.data(), direction);
}

// Every sequence of the batch is at positions offset .. offset + seq - 1: token s of a sequence
// reads cos/sin row offset + s (null positions, tables from row offset), so nothing is allocated.
void Rope::run_sequential(TensorView<float> x, Index position_offset, kernels::RotationDirection direction) const {
  check_shapes(x.shape(), x.shape());
  if (!x.is_contiguous()) throw Error("rope: x must be contiguous");
  const Index batch = x.size(0), seq = x.size(1), heads = x.size(2);
  if (position_offset < 0) throw Error(fmt::format("rope: position {} (token 0) is negative", position_offset));
  if (seq > 0 && position_offset + seq > cache_.positions)
    throw Error(fmt::format("rope: position {} (token {}) is outside the cos/sin cache [0, {})",
                            position_offset + seq - 1, seq - 1, cache_.positions));
  kernels::RopeLayout layout = layout_of(batch * seq, heads);
  layout.positions_per_sequence = seq;
  const Index first_row = position_offset * cache_.half;
  kernels::rope_apply(x.data(), x.data(), layout, /*positions=*/nullptr, cache_.cos.data() + first_row,
                      cache_.sin.data() + first_row, direction);
}

void Rope::apply(TensorView<float> x, Index position_offset) const {
  run_sequential(x, position_offset, kernels::RotationDirection::kForward);
}

void Rope::apply(TensorView<const float> x, TensorView<float> out, std::span<const Index> positions) const {
  run(x, out, positions, kernels::RotationDirection::kForward);
}

void Rope::backward(TensorView<float> grad, Index position_offset) const {
  run_sequential(grad, position_offset, kernels::RotationDirection::kInverse);
}

void Rope::backward(TensorView<const float> grad_out, TensorView<float> grad_x, std::span<const Index> positions) const {
  run(grad_out, grad_x, positions, kernels::RotationDirection::kInverse);
}

}  // namespace posemb::positional
