#include "posemb/embedding/learned_position_embedding.hpp"

#include <fmt/format.h>

#include <numeric>

#include "posemb/core/error.hpp"
#include "posemb/kernels/embedding.hpp"
#include "row_lookup.hpp"

namespace posemb::embedding {
namespace {

constexpr detail::TableNames kNames{"learned position table", "position"};

Tensor random_table(Index max_len, Index dim, Generator& generator) {
  if (max_len < 1 || dim < 1)
    throw Error(fmt::format("a learned position embedding needs max_len >= 1 and dim >= 1, got max_len = {}, dim = {}",
                            max_len, dim));
  Tensor weight({max_len, dim});
  generator.fill_normal(weight.values());
  return weight;
}

[[noreturn]] void throw_past_the_table(const std::string& what, Index max_len) {
  throw Error(fmt::format(
      "{} is past the end of the learned position table, which has {} rows (positions 0 to {}): learned absolute "
      "positions cannot go past the table they were trained with, so at most {} tokens fit",
      what, max_len, max_len - 1, max_len));
}

std::vector<std::int64_t> checked_positions(TensorView<const std::int64_t> positions, Index max_len) {
  if (positions.rank() != 1)
    throw Error(fmt::format("positions must be a vector [seq], got shape {}", shape_to_string(positions.shape())));
  return detail::checked_indices(positions, max_len, [&](std::int64_t p, Index flat) {
    if (p < 0) throw Error(fmt::format("position {} at [{}] is negative", p, flat));
    throw_past_the_table(fmt::format("position {} (at [{}])", p, flat), max_len);
  });
}

std::vector<std::int64_t> checked_range(Index offset, Index count, Index max_len) {
  if (offset < 0 || count < 0)
    throw Error(fmt::format("positions need offset >= 0 and count >= 0, got offset = {}, count = {}", offset, count));
  if (count > 0 && offset > max_len - count)  // offset + count - 1 >= max_len, without overflow
    throw_past_the_table(fmt::format("position {} (offset {} + count {} - 1)", offset + (count - 1), offset, count),
                         max_len);
  std::vector<std::int64_t> positions(static_cast<std::size_t>(count));
  std::iota(positions.begin(), positions.end(), offset);
  return positions;
}

}  // namespace

LearnedPositionEmbedding::LearnedPositionEmbedding(Index max_len, Index dim, Generator& generator)
    : weight_(random_table(max_len, dim, generator)) {}

LearnedPositionEmbedding::LearnedPositionEmbedding(Tensor weight) : weight_(std::move(weight)) {
  detail::check_table(weight_, kNames);
}

Tensor LearnedPositionEmbedding::forward(TensorView<const std::int64_t> positions) const {
  const auto flat = checked_positions(positions, max_len());
  return detail::gather(weight_, flat, {static_cast<Index>(flat.size()), dim()});
}

Tensor LearnedPositionEmbedding::forward(Index offset, Index count) const {
  return detail::gather(weight_, checked_range(offset, count, max_len()), {count, dim()});
}

void LearnedPositionEmbedding::backward(TensorView<const std::int64_t> positions, TensorView<const float> grad_out,
                                        Tensor& grad_weight) const {
  const auto flat = checked_positions(positions, max_len());
  detail::scatter_add(weight_, flat, {static_cast<Index>(flat.size()), dim()}, grad_out, grad_weight, kNames);
}

void LearnedPositionEmbedding::backward(Index offset, Index count, TensorView<const float> grad_out,
                                        Tensor& grad_weight) const {
  detail::scatter_add(weight_, checked_range(offset, count, max_len()), {count, dim()}, grad_out, grad_weight, kNames);
}

Tensor add_position_embeddings(TensorView<const float> token_embeddings, TensorView<const float> position_embeddings) {
  const Shape& x = token_embeddings.shape();
  const Shape& p = position_embeddings.shape();
  if (x.size() != 3 || p.size() != 2 || x[1] != p[0] || x[2] != p[1])
    throw Error(fmt::format(
        "cannot add position embeddings of shape {} to token embeddings of shape {}: expected [batch, seq, dim] "
        "and [seq, dim]",
        shape_to_string(p), shape_to_string(x)));
  // The kernel reads flat row-major arrays: copy only views that are not.
  const auto flat = [](TensorView<const float> v, Tensor& copy) {
    if (v.is_contiguous()) return v.data();
    copy = Tensor::copy_of(v);
    return static_cast<const float*>(copy.data());
  };
  Tensor token_copy, position_copy;
  Tensor out(x);
  kernels::add_rows_broadcast(flat(token_embeddings, token_copy), flat(position_embeddings, position_copy), x[0], x[1],
                              x[2], out.data());
  return out;
}

}  // namespace posemb::embedding
