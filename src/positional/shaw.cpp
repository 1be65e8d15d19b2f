#include "posemb/positional/shaw.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "posemb/core/memory_budget.hpp"
#include "posemb/positional/score_block.hpp"

namespace posemb::positional {

void validate(const ShawParams& p) {
  if (p.max_relative_position < 1)
    throw Error(fmt::format("shaw: max_relative_position (the clip distance) must be at least 1, got {}",
                            p.max_relative_position));
  if (p.max_relative_position > (std::numeric_limits<Index>::max() - 1) / 2)
    throw Error(fmt::format("shaw: max_relative_position {} is too large: its 2k + 1 table rows overflow",
                            p.max_relative_position));
  if (p.head_dim < 1) throw Error(fmt::format("shaw: head_dim must be at least 1, got {}", p.head_dim));
}

Index shaw_relative_index(Index distance, Index max_relative_position) {
  return std::clamp(distance, -max_relative_position, max_relative_position) + max_relative_position;
}

IdTensor shaw_index_matrix(Index max_relative_position, Index q_len, Index k_len, Index q_start, Index k_start) {
  validate(ShawParams{max_relative_position, 1});
  if (q_len < 0 || k_len < 0)
    throw Error(fmt::format("shaw: lengths must be 0 or more, got {} queries and {} keys", q_len, k_len));
  require_allocation(fmt::format("shaw: an index matrix of {} queries x {} keys", q_len, k_len),
                     MemoryEstimate().add("the indices", {q_len, k_len}, sizeof(std::int64_t), "int64 values"));
  IdTensor out({q_len, k_len});
  for (Index i = 0; i < q_len; ++i)
    for (Index j = 0; j < k_len; ++j)
      out.data()[i * k_len + j] = shaw_relative_index((k_start + j) - (q_start + i), max_relative_position);
  return out;
}

ShawRelativePositions::ShawRelativePositions(const ShawParams& params, Tensor key_table, Tensor value_table)
    : params_(params), key_table_(std::move(key_table)), value_table_(std::move(value_table)) {
  validate(params_);
  check_table_shaped(key_table_.view(), "key table");
  check_table_shaped(value_table_.view(), "value table");
}

void ShawRelativePositions::check_table_shaped(TensorView<const float> table, const char* name) const {
  const Shape expected{2 * params_.max_relative_position + 1, params_.head_dim};
  if (table.shape() != expected || !table.is_contiguous())
    throw Error(fmt::format("shaw: {} must be a contiguous [2k + 1 = {}, head_dim {}], got {}", name, expected[0],
                            expected[1], shape_to_string(table.shape())));
}

kernels::ShawBlock ShawRelativePositions::block_of(TensorView<const float> per_query, TensorView<const float> scores,
                                                   Index q_start, Index k_start) const {
  if (per_query.rank() != 3 || per_query.size(2) != params_.head_dim || !per_query.is_contiguous())
    throw Error(fmt::format("shaw: queries/outputs must be a contiguous [q_len, heads, {}], got {}", params_.head_dim,
                            shape_to_string(per_query.shape())));
  const Index heads = per_query.size(1);
  kernels::ShawBlock block;
  block.scores = score_block_of(scores, heads, q_start, k_start, "shaw");
  if (block.scores.q_len != per_query.size(0))
    throw Error(fmt::format("shaw: {} queries but scores have {} rows", per_query.size(0), block.scores.q_len));
  block.head_dim = params_.head_dim;
  block.max_relative = params_.max_relative_position;
  return block;
}

void ShawRelativePositions::add_key_logits(TensorView<const float> q, TensorView<float> logits, Index q_start,
                                           Index k_start) const {
  const auto block = block_of(q, logits, q_start, k_start);
  kernels::shaw_add_key_logits_reference(q.data(), logits.data(), block, key_table_.data());
}

void ShawRelativePositions::add_value_output(TensorView<const float> probs, TensorView<float> out, Index q_start,
                                             Index k_start) const {
  const auto block = block_of(out, probs, q_start, k_start);
  kernels::shaw_add_value_output_reference(probs.data(), out.data(), block, value_table_.data());
}

void ShawRelativePositions::key_logits_backward(TensorView<const float> q, TensorView<const float> grad_logits,
                                                TensorView<float> grad_q, TensorView<float> grad_key_table,
                                                Index q_start, Index k_start) const {
  const auto block = block_of(q, grad_logits, q_start, k_start);
  if (grad_q.shape() != q.shape() || !grad_q.is_contiguous())
    throw Error(fmt::format("shaw: grad_q must be a contiguous {}", shape_to_string(q.shape())));
  check_table_shaped(grad_key_table, "key table gradient");
  kernels::shaw_key_logits_backward_reference(q.data(), grad_logits.data(), block, key_table_.data(), grad_q.data(),
                                              grad_key_table.data());
}

void ShawRelativePositions::value_output_backward(TensorView<const float> probs, TensorView<const float> grad_out,
                                                  TensorView<float> grad_probs, TensorView<float> grad_value_table,
                                                  Index q_start, Index k_start) const {
  const auto block = block_of(grad_out, probs, q_start, k_start);
  if (grad_probs.shape() != probs.shape() || !grad_probs.is_contiguous())
    throw Error(fmt::format("shaw: grad_probs must be a contiguous {}", shape_to_string(probs.shape())));
  check_table_shaped(grad_value_table, "value table gradient");
  kernels::shaw_value_output_backward_reference(probs.data(), grad_out.data(), block, value_table_.data(),
                                                grad_probs.data(), grad_value_table.data());
}

}  // namespace posemb::positional
