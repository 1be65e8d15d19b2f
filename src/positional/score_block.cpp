#include "posemb/positional/score_block.hpp"

#include <fmt/format.h>

namespace posemb::positional {

kernels::ScoreBlock score_block_of(TensorView<const float> scores, Index heads, Index q_start, Index k_start,
                                   std::string_view scheme) {
  if (scores.rank() != 3 || scores.size(0) != heads)
    throw Error(fmt::format("{}: scores must be [{} heads, q_len, k_len], got {}", scheme, heads,
                            shape_to_string(scores.shape())));
  if (!scores.is_contiguous()) throw Error(fmt::format("{}: scores must be contiguous", scheme));
  if (q_start < 0 || k_start < 0)
    throw Error(fmt::format("{}: query and key start positions must be 0 or more, got {} and {}", scheme, q_start,
                            k_start));
  kernels::ScoreBlock block;
  block.heads = heads;
  block.q_len = scores.size(1);
  block.k_len = scores.size(2);
  block.q_start = q_start;
  block.k_start = k_start;
  return block;
}

}  // namespace posemb::positional
