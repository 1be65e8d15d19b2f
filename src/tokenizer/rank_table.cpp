#include "posemb/tokenizer/rank_table.hpp"

#include <fmt/format.h>

#include <bit>
#include <cstring>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {

namespace {
// Sizes a table to a power of two at most half full (short probe runs).
std::size_t table_size_for(std::size_t count) { return std::bit_ceil(count * 2 + 16); }
}  // namespace

// `head` is head_of(bytes): short pieces hash from it alone.
std::uint64_t RankTable::hash_bytes(std::string_view bytes, std::uint64_t head) {
  std::uint64_t h = head ^ (std::uint64_t{bytes.size()} << 56);
  for (std::size_t i = 8; i < bytes.size(); i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, bytes.data() + i, std::min<std::size_t>(8, bytes.size() - i));
    h = mix(h) ^ word;
  }
  return mix(h);
}

RankTable::RankTable(std::vector<std::pair<std::string, Rank>> tokens, std::string_view source) {
  Rank max_rank = 0;
  std::size_t total_bytes = 0;
  for (const auto& [bytes, rank] : tokens) {
    if (rank == kNone) throw Error(fmt::format("{}: rank {} is reserved", source, rank));
    if (bytes.empty()) throw Error(fmt::format("{}: token of rank {} is empty", source, rank));
    max_rank = std::max(max_rank, rank);
    total_bytes += bytes.size();
  }
  if (tokens.empty()) throw Error(fmt::format("{}: no tokens", source));
  if (total_bytes >= 0xFFFFFFFFu) throw Error(fmt::format("{}: token bytes exceed 4 GiB", source));
  if (max_rank > 16 * tokens.size() + 1024)
    throw Error(fmt::format("{}: ranks are too sparse (largest {} for {} tokens)", source, max_rank, tokens.size()));

  spans_.assign(std::size_t{max_rank} + 1, Span{});
  arena_.reserve(total_bytes);
  byte_slots_.assign(table_size_for(tokens.size()), ByteSlot{});
  byte_mask_ = byte_slots_.size() - 1;
  for (auto& [bytes, rank] : tokens) {
    if (spans_[rank].length != 0)
      throw Error(fmt::format("{}: rank {} is given to two tokens", source, rank));
    if (bytes.size() > 0xFFFF) throw Error(fmt::format("{}: token of rank {} is longer than 65535 bytes", source, rank));
    const std::uint64_t head = head_of(bytes);
    const std::uint64_t h = hash_bytes(bytes, head);
    std::size_t slot = h & byte_mask_;
    while (byte_slots_[slot].rank != kNone) {
      if (bytes_of(byte_slots_[slot].rank) == bytes)
        throw Error(fmt::format("{}: the same bytes have ranks {} and {}", source, byte_slots_[slot].rank, rank));
      slot = (slot + 1) & byte_mask_;
    }
    spans_[rank] = Span{static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(bytes.size())};
    arena_ += bytes;
    byte_slots_[slot] = ByteSlot{head, rank, static_cast<std::uint16_t>(bytes.size()), static_cast<std::uint16_t>(h >> 48)};
  }
  count_ = tokens.size();
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    byte_ranks_[b] = rank_of(std::string_view(&c, 1));
    if (byte_ranks_[b] == kNone)
      throw Error(fmt::format("{}: byte 0x{:02x} is not a token (byte-level BPE needs all 256)", source, b));
  }
  build_pair_table();
}

Rank RankTable::rank_of(std::string_view bytes) const {
  const std::uint64_t head = head_of(bytes);
  const std::uint64_t h = hash_bytes(bytes, head);
  const auto tag = static_cast<std::uint16_t>(h >> 48);
  for (std::size_t slot = h & byte_mask_;; slot = (slot + 1) & byte_mask_) {
    const ByteSlot& s = byte_slots_[slot];
    if (s.rank == kNone) return kNone;
    if (s.head == head && s.length == bytes.size() && s.hash_tag == tag) {
      if (bytes.size() <= 8) return s.rank;
      if (std::memcmp(arena_.data() + spans_[s.rank].offset + 8, bytes.data() + 8, bytes.size() - 8) == 0) return s.rank;
    }
  }
}

void RankTable::build_pair_table() {
  // Every split of every token into two tokens: (left, right) -> token.
  std::vector<std::pair<std::uint64_t, Rank>> pairs;
  pairs.reserve(count_ * 4);
  for (Rank rank = 0; rank < spans_.size(); ++rank) {
    const std::string_view bytes = bytes_of(rank);
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
      const Rank left = rank_of(bytes.substr(0, cut));
      if (left == kNone) continue;
      const Rank right = rank_of(bytes.substr(cut));
      if (right == kNone) continue;
      pairs.emplace_back((std::uint64_t{left} << 32) | right, rank);
    }
  }
  rank_bits_ = std::max(1, static_cast<int>(std::bit_width(std::uint64_t{max_rank()})));
  if (3 * rank_bits_ > 64) throw Error(fmt::format("vocabulary too large: ranks up to {}", max_rank()));
  rank_mask_ = (std::uint64_t{1} << rank_bits_) - 1;
  pair_slots_.assign(table_size_for(pairs.size()), kEmptyPair);
  pair_mask_ = pair_slots_.size() - 1;
  for (const auto& [key, rank] : pairs) {
    const std::uint64_t packed_key = ((key >> 32) << rank_bits_) | (key & 0xFFFFFFFFu);
    std::size_t slot = mix(packed_key) & pair_mask_;
    while (pair_slots_[slot] != kEmptyPair) slot = (slot + 1) & pair_mask_;
    pair_slots_[slot] = (packed_key << rank_bits_) | rank;
  }
}

}  // namespace posemb::tokenizer
