#pragma once
// Byte-pair encoding of one piece: start from single bytes, repeatedly merge the adjacent
// pair whose concatenation has the lowest rank (the leftmost one on ties), until no
// adjacent pair is a token. This is tiktoken's _byte_pair_merge, result for result.
//
//   byte_pair_encode_reference  tiktoken's loop as written: O(n^2) rank look-ups of bytes.
//   byte_pair_encode            the fast one, tested against the reference: an array scan
//                               for short pieces, a min-heap of candidate merges (O(n log n))
//                               for long ones, so that 1 MB of one character takes
//                               milliseconds where tiktoken takes minutes.
// Both append to `out` and need a non-empty piece.
#include <string_view>
#include <vector>

#include "posemb/tokenizer/rank_table.hpp"

namespace posemb::tokenizer {

void byte_pair_encode_reference(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out);
void byte_pair_encode(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out);

// The two strategies of byte_pair_encode, exposed so that tests check both on any length.
void byte_pair_encode_scan(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out);
void byte_pair_encode_heap(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out);

}  // namespace posemb::tokenizer
