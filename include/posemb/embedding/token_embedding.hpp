#pragma once
// A token-embedding table, torch.nn.Embedding(vocab_size, dim) without its options:
//
//   weight    [vocab_size, dim]            row v is the vector of token id v
//   ids       [batch, seq] (any shape)     0 <= id < vocab_size
//   forward   [batch, seq, dim]            out[b, t, :] = weight[ids[b, t], :]
//   backward  grad_weight[ids[b, t], :] += grad_out[b, t, :]   (repeated ids add up)
//
// Initialised N(0, 1) from a posemb::Generator exactly as nn.Embedding's constructor draws it
// after torch.manual_seed, or given a table (GPT-2's wte from a weights file).
#include <cstdint>

#include "posemb/core/random.hpp"
#include "posemb/core/tensor.hpp"

namespace posemb::embedding {

class TokenEmbedding {
 public:
  // Throws posemb::Error unless vocab_size >= 1 and dim >= 1.
  TokenEmbedding(Index vocab_size, Index dim, Generator& generator);
  // Takes `weight` as the table; it must be [vocab_size >= 1, dim >= 1].
  explicit TokenEmbedding(Tensor weight);

  Index vocab_size() const { return weight_.size(0); }
  Index dim() const { return weight_.size(1); }
  const Tensor& weight() const { return weight_; }
  // Writable view of the table (an optimiser step); the shape cannot change through it.
  TensorView<float> weight_view() { return weight_.view(); }

  // ids of any shape -> ids.shape + [dim]. An id outside [0, vocab_size) is an error that
  // names the id, where it is in `ids` (e.g. [0, 3]) and the vocabulary size.
  Tensor forward(TensorView<const std::int64_t> ids) const;

  // Adds d(loss)/d(weight) to grad_weight [vocab_size, dim], given grad_out = d(loss)/d(out)
  // of shape ids.shape + [dim]. Accumulates, like torch's .grad: zero it yourself between steps.
  void backward(TensorView<const std::int64_t> ids, TensorView<const float> grad_out, Tensor& grad_weight) const;

 private:
  Tensor weight_;
};

}  // namespace posemb::embedding
