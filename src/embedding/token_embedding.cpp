#include "posemb/embedding/token_embedding.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"
#include "row_lookup.hpp"

namespace posemb::embedding {
namespace {

constexpr detail::TableNames kNames{"token embedding table", "token id"};

Tensor random_table(Index vocab_size, Index dim, Generator& generator) {
  if (vocab_size < 1 || dim < 1)
    throw Error(fmt::format("a token embedding needs vocab_size >= 1 and dim >= 1, got vocab_size = {}, dim = {}",
                            vocab_size, dim));
  Tensor weight({vocab_size, dim});
  generator.fill_normal(weight.values());  // nn.Embedding: init.normal_(weight), mean 0, std 1
  return weight;
}

std::vector<std::int64_t> checked_ids(TensorView<const std::int64_t> ids, Index vocab_size) {
  return detail::checked_indices(ids, vocab_size, [&](std::int64_t id, Index flat) {
    throw Error(fmt::format("token id {} at {} is out of range: the vocabulary has {} tokens (ids 0 to {})", id,
                            detail::place_in(ids.shape(), flat), vocab_size, vocab_size - 1));
  });
}

Shape with_dim(Shape shape, Index dim) {
  shape.push_back(dim);
  return shape;
}

}  // namespace

TokenEmbedding::TokenEmbedding(Index vocab_size, Index dim, Generator& generator)
    : weight_(random_table(vocab_size, dim, generator)) {}

TokenEmbedding::TokenEmbedding(Tensor weight) : weight_(std::move(weight)) { detail::check_table(weight_, kNames); }

Tensor TokenEmbedding::forward(TensorView<const std::int64_t> ids) const {
  return detail::gather(weight_, checked_ids(ids, vocab_size()), with_dim(ids.shape(), dim()));
}

void TokenEmbedding::backward(TensorView<const std::int64_t> ids, TensorView<const float> grad_out,
                              Tensor& grad_weight) const {
  detail::scatter_add(weight_, checked_ids(ids, vocab_size()), with_dim(ids.shape(), dim()), grad_out, grad_weight,
                      kNames);
}

}  // namespace posemb::embedding
