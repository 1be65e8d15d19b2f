#pragma once
// The vocabulary of a byte-level BPE encoding: token bytes <-> rank (= token id, and the
// merge priority: lower merges first).
//
// Lookups are open-addressing hash tables built once: bytes -> rank for whole pieces, and
// (left rank, right rank) -> rank of the concatenation for the merge loop. The pair table
// holds every way of splitting every token into two tokens, so that merging by pairs is
// exactly tiktoken's "rank of the concatenated bytes", whichever merge made the token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posemb::tokenizer {

using Rank = std::uint32_t;

class RankTable {
 public:
  static constexpr Rank kNone = 0xFFFFFFFFu;

  // Throws posemb::Error (naming `source`) on duplicate bytes or ranks, empty tokens, or a
  // missing single-byte token (byte-level BPE needs all 256).
  RankTable(std::vector<std::pair<std::string, Rank>> tokens, std::string_view source);

  // kNone when the bytes are not a token.
  Rank rank_of(std::string_view bytes) const;
  // The rank of bytes(left) + bytes(right), kNone when that is not a token.
  Rank merged_rank(Rank left, Rank right) const {
    // A slot packs (left, right, merged rank) in rank_bits_ bits each: 8 bytes a slot.
    const std::uint64_t key = (std::uint64_t{left} << rank_bits_) | right;
    for (std::size_t slot = mix(key) & pair_mask_;; slot = (slot + 1) & pair_mask_) {
      const std::uint64_t s = pair_slots_[slot];
      if ((s >> rank_bits_) == key) return static_cast<Rank>(s & rank_mask_);
      if (s == kEmptyPair) return kNone;
    }
  }
  Rank byte_rank(unsigned char byte) const { return byte_ranks_[byte]; }

  bool has_rank(Rank rank) const { return rank < spans_.size() && spans_[rank].length != 0; }
  // Empty for a rank that is not a token.
  std::string_view bytes_of(Rank rank) const {
    if (rank >= spans_.size()) return {};
    return std::string_view(arena_).substr(spans_[rank].offset, spans_[rank].length);
  }
  Rank max_rank() const { return static_cast<Rank>(spans_.size() - 1); }
  std::size_t size() const { return count_; }

 private:
  static constexpr std::uint64_t kEmptyPair = ~std::uint64_t{0};
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
  };
  // The first eight bytes of the token sit in the slot itself: a piece of up to eight bytes
  // is found or rejected with one memory access.
  struct ByteSlot {
    std::uint64_t head = 0;        // first min(8, length) bytes, zero padded
    Rank rank = kNone;
    std::uint16_t length = 0;      // capped at 0xFFFF; longer tokens compare via the arena
    std::uint16_t hash_tag = 0;
  };
  static std::uint64_t head_of(std::string_view bytes) {
    std::uint64_t head = 0;
    __builtin_memcpy(&head, bytes.data(), bytes.size() < 8 ? bytes.size() : 8);
    return head;
  }
  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 31;
    x *= 0x7fb5d329728ea185ull;
    x ^= x >> 27;
    x *= 0x81dadef4bc2dd44dull;
    return x ^ (x >> 33);
  }
  static std::uint64_t hash_bytes(std::string_view bytes, std::uint64_t head);
  void build_pair_table();

  std::string arena_;         // all token bytes, back to back
  std::vector<Span> spans_;   // by rank
  std::vector<ByteSlot> byte_slots_;
  std::size_t byte_mask_ = 0;
  std::vector<std::uint64_t> pair_slots_;
  std::size_t pair_mask_ = 0;
  int rank_bits_ = 0;              // bits of one rank in a pair slot
  std::uint64_t rank_mask_ = 0;
  Rank byte_ranks_[256] = {};
  std::size_t count_ = 0;
};

}  // namespace posemb::tokenizer
