#pragma once
// Learned absolute positions (GPT-2's wpe): a table with one trained vector per position,
// looked up like token ids and added to the token embeddings.
//
//   weight     [max_len, dim]      row p is the vector of position p
//   positions  [seq]               0 <= p < max_len; usually offset, offset + 1, ...
//   forward    [seq, dim]          out[t, :] = weight[positions[t], :]
//   backward   grad_weight[positions[t], :] += grad_out[t, :]
//
// The table ends at max_len: there is no vector for position max_len or later, so a model
// with learned positions cannot read a longer sequence than it was built for. Asking for such
// a position is an error that says so (no wrapping, no clamping, no extrapolation).
#include <cstdint>

#include "posemb/core/random.hpp"
#include "posemb/core/tensor.hpp"

namespace posemb::embedding {

class LearnedPositionEmbedding {
 public:
  // N(0, 1) init, as nn.Embedding(max_len, dim). Throws unless max_len >= 1 and dim >= 1.
  LearnedPositionEmbedding(Index max_len, Index dim, Generator& generator);
  // Takes `weight` [max_len >= 1, dim >= 1] as the table.
  explicit LearnedPositionEmbedding(Tensor weight);

  Index max_len() const { return weight_.size(0); }
  Index dim() const { return weight_.size(1); }
  const Tensor& weight() const { return weight_; }
  TensorView<float> weight_view() { return weight_.view(); }

  // positions [seq] -> [seq, dim]; a position outside [0, max_len) is an error naming it,
  // its index in `positions` and the limit.
  Tensor forward(TensorView<const std::int64_t> positions) const;
  // Positions offset, offset + 1, ..., offset + count - 1 (torch: wpe(arange(offset, offset + count)),
  // e.g. the new tokens after a KV cache of `offset` tokens) -> [count, dim].
  Tensor forward(Index offset, Index count) const;

  // Adds d(loss)/d(weight) to grad_weight [max_len, dim], given grad_out [seq, dim]. When the
  // rows were added to a [batch, seq, dim] batch, sum grad_out over the batch first.
  void backward(TensorView<const std::int64_t> positions, TensorView<const float> grad_out, Tensor& grad_weight) const;
  void backward(Index offset, Index count, TensorView<const float> grad_out, Tensor& grad_weight) const;

 private:
  Tensor weight_;
};

// The input of a GPT-2 style model: token embeddings [batch, seq, dim] plus position
// embeddings [seq, dim], the same rows for every sequence of the batch (torch broadcasting).
// Its backward is the identity for the token embeddings and a sum over the batch for the
// positions. Throws posemb::Error naming both shapes when they do not fit.
Tensor add_position_embeddings(TensorView<const float> token_embeddings, TensorView<const float> position_embeddings);

}  // namespace posemb::embedding
