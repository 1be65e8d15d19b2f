#include "posemb/tokenizer/byte_pair_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <functional>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {

namespace {
// Below this many bytes the array scan wins: its work is O(n^2) but on data in L1 and with
// no allocation (measured on the mixed benchmark text: 24-48 is flat, 96 is 15% slower).
constexpr std::size_t kHeapThreshold = 40;
}  // namespace

// parts holds the start offset of each part, plus piece.size() as an end sentinel.
void byte_pair_encode_reference(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out) {
  std::vector<std::size_t> parts(piece.size() + 1);
  for (std::size_t i = 0; i <= piece.size(); ++i) parts[i] = i;
  while (true) {
    Rank best = RankTable::kNone;
    std::size_t best_index = 0;
    for (std::size_t i = 0; i + 2 < parts.size(); ++i) {
      const Rank rank = ranks.rank_of(piece.substr(parts[i], parts[i + 2] - parts[i]));
      if (rank < best) {  // strict: the leftmost of equal ranks wins
        best = rank;
        best_index = i;
      }
    }
    if (best == RankTable::kNone) break;
    parts.erase(parts.begin() + static_cast<std::ptrdiff_t>(best_index + 1));
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    out.push_back(ranks.rank_of(piece.substr(parts[i], parts[i + 1] - parts[i])));
}

// tokens[i] is the token of part i; pair_ranks[i] the rank of merging parts i and i+1.
void byte_pair_encode_scan(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out) {
  const std::size_t n = piece.size();
  Rank small_tokens[kHeapThreshold], small_pairs[kHeapThreshold];
  std::vector<Rank> large_tokens, large_pairs;
  Rank* tokens = small_tokens;
  Rank* pair_ranks = small_pairs;
  if (n > kHeapThreshold) {
    large_tokens.resize(n);
    large_pairs.resize(n);
    tokens = large_tokens.data();
    pair_ranks = large_pairs.data();
  }
  for (std::size_t i = 0; i < n; ++i) tokens[i] = ranks.byte_rank(static_cast<unsigned char>(piece[i]));
  for (std::size_t i = 0; i + 1 < n; ++i) pair_ranks[i] = ranks.merged_rank(tokens[i], tokens[i + 1]);
  std::size_t count = n;
  while (count > 1) {
    std::size_t best = 0;
    for (std::size_t i = 1; i + 1 < count; ++i)
      if (pair_ranks[i] < pair_ranks[best]) best = i;
    if (pair_ranks[best] == RankTable::kNone) break;
    tokens[best] = pair_ranks[best];
    std::copy(tokens + best + 2, tokens + count, tokens + best + 1);
    if (best + 2 < count) std::copy(pair_ranks + best + 2, pair_ranks + count - 1, pair_ranks + best + 1);
    --count;
    if (best + 1 < count) pair_ranks[best] = ranks.merged_rank(tokens[best], tokens[best + 1]);
    if (best > 0) pair_ranks[best - 1] = ranks.merged_rank(tokens[best - 1], tokens[best]);
  }
  out.insert(out.end(), tokens, tokens + count);
}

// Parts form a linked list over byte offsets; candidate merges wait in a min-heap keyed by
// (rank, offset of the left part). A candidate is stale once its left part has changed or
// died: every change makes the pair's bytes longer, so its rank can never come back.
void byte_pair_encode_heap(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out) {
  // Offsets are 32-bit (half the memory traffic of 64-bit ones); kEnd is reserved.
  if (piece.size() >= 0xFFFFFFFFu)
    throw Error(fmt::format("a piece of {} bytes is too long to merge (the limit is 4 GiB)", piece.size()));
  const std::uint32_t n = static_cast<std::uint32_t>(piece.size());
  constexpr std::uint32_t kEnd = 0xFFFFFFFFu;
  std::vector<Rank> tokens(n), pair_ranks(n);
  std::vector<std::uint32_t> next(n), prev(n);
  std::vector<std::uint64_t> heap;
  heap.reserve(n);
  const auto push = [&](std::uint32_t left, Rank rank) {
    if (rank == RankTable::kNone) return;
    heap.push_back((std::uint64_t{rank} << 32) | left);
    std::push_heap(heap.begin(), heap.end(), std::greater<>());
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    tokens[i] = ranks.byte_rank(static_cast<unsigned char>(piece[i]));
    next[i] = i + 1 < n ? i + 1 : kEnd;
    prev[i] = i > 0 ? i - 1 : kEnd;
  }
  for (std::uint32_t i = 0; i + 1 < n; ++i) {
    pair_ranks[i] = ranks.merged_rank(tokens[i], tokens[i + 1]);
    if (pair_ranks[i] != RankTable::kNone) heap.push_back((std::uint64_t{pair_ranks[i]} << 32) | i);
  }
  if (n > 0) pair_ranks[n - 1] = RankTable::kNone;
  std::make_heap(heap.begin(), heap.end(), std::greater<>());

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const std::uint64_t top = heap.back();
    heap.pop_back();
    const auto left = static_cast<std::uint32_t>(top);
    const auto rank = static_cast<Rank>(top >> 32);
    if (pair_ranks[left] != rank) continue;  // stale
    const std::uint32_t right = next[left];
    tokens[left] = rank;
    pair_ranks[right] = RankTable::kNone;  // `right` is no longer a part
    next[left] = next[right];
    if (next[left] != kEnd) prev[next[left]] = left;
    pair_ranks[left] = next[left] != kEnd ? ranks.merged_rank(tokens[left], tokens[next[left]]) : RankTable::kNone;
    push(left, pair_ranks[left]);
    if (prev[left] != kEnd) {
      const std::uint32_t before = prev[left];
      pair_ranks[before] = ranks.merged_rank(tokens[before], tokens[left]);
      push(before, pair_ranks[before]);
    }
  }
  for (std::uint32_t i = 0; i != kEnd && n > 0; i = next[i]) out.push_back(tokens[i]);
}

void byte_pair_encode(std::string_view piece, const RankTable& ranks, std::vector<Rank>& out) {
  if (piece.size() <= kHeapThreshold) {
    byte_pair_encode_scan(piece, ranks, out);
  } else {
    byte_pair_encode_heap(piece, ranks, out);
  }
}

}  // namespace posemb::tokenizer
