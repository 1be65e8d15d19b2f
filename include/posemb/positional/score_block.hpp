#pragma once
// Checks a [heads, q_len, k_len] score tensor and describes it for the score-bias kernels.
#include <string_view>

#include "posemb/core/tensor.hpp"
#include "posemb/kernels/relative_bias.hpp"

namespace posemb::positional {

// Throws posemb::Error (prefixed with `scheme`) unless scores is a contiguous
// [heads, q_len, k_len] tensor and q_start, k_start >= 0.
kernels::ScoreBlock score_block_of(TensorView<const float> scores, Index heads, Index q_start, Index k_start,
                                   std::string_view scheme);

}  // namespace posemb::positional
