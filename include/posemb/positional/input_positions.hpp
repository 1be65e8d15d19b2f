#pragma once
// One call for `posemb embed --scheme NAME`: the rows a scheme adds to the token embeddings.
//
//   nope        zeros (no position information)
//   sinusoidal  SinusoidalPositions(params).rows(token_indices)
//   learned     an error: the rows come from the model's weights (embedding/learned_positions.hpp)
//   rope, axial-rope, alibi, t5, shaw
//               an error saying that the scheme acts inside attention (on queries and keys, or
//               on the scores), not on the input
#include <span>
#include <string_view>

#include "posemb/core/tensor.hpp"
#include "posemb/positional/sinusoidal.hpp"

namespace posemb::positional {

// [token_indices.size(), sinusoidal.dim]. `sinusoidal.dim` gives the width for nope as well.
Tensor input_position_rows(std::string_view scheme_name, const SinusoidalParams& sinusoidal,
                           std::span<const Index> token_indices);

}  // namespace posemb::positional
