#pragma once
// Softmax + cross-entropy over a vocabulary, fused with its gradient, as
// torch.nn.functional.cross_entropy(logits, targets, reduction='mean') and its backward.
//
// logits is [rows, vocab]; targets is [rows] (each in [0, vocab)); losses is [rows]:
//   losses[r] = logsumexp(logits[r, :]) - logits[r, targets[r]]
// With a gradient scale s (1/rows for the mean), the same call can overwrite logits with
//   dlogits[r, v] = s * (softmax(logits[r, :])[v] - (v == targets[r]))
// so that the [rows, vocab] buffer is read once and written once.
#include <cstdint>

#include "posemb/core/shape.hpp"

namespace posemb::kernels {

void softmax_cross_entropy_reference(const float* logits, const std::int32_t* targets, float* losses, Index rows,
                                     Index vocab);
void softmax_cross_entropy(const float* logits, const std::int32_t* targets, float* losses, Index rows, Index vocab);

// Losses as above, and logits replaced by scale * dloss/dlogits.
void softmax_cross_entropy_backward_in_place_reference(float* logits, const std::int32_t* targets, float* losses,
                                                       Index rows, Index vocab, float scale);
void softmax_cross_entropy_backward_in_place(float* logits, const std::int32_t* targets, float* losses, Index rows,
                                             Index vocab, float scale);

}  // namespace posemb::kernels
