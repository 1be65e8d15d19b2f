#pragma once
// Remembers the tokens of pieces that needed merging. Natural text repeats its words, and
// finding a piece here costs one hash look-up where merging costs dozens. Bounded: when
// full it starts over, so memory stays small on text that never repeats. One cache per
// thread (an Encoding is shared and immutable; the cache is not).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/tokenizer/rank_table.hpp"

namespace posemb::tokenizer {

class PieceCache {
 public:
  static constexpr std::size_t kMaxPieceLength = 64;  // longer pieces are rare and costly to keep

  // Appends the cached tokens of `piece` to `out`; false if not cached.
  bool append_cached(std::string_view piece, std::vector<Rank>& out) const {
    if (slots_.empty() || piece.size() > kMaxPieceLength) return false;
    const std::uint64_t hash = std::hash<std::string_view>{}(piece);
    for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.piece_length == 0) return false;
      if (s.hash == hash && s.piece_length == piece.size() &&
          std::string_view(bytes_).substr(s.piece_offset, s.piece_length) == piece) {
        out.insert(out.end(), tokens_.begin() + s.token_offset, tokens_.begin() + s.token_offset + s.token_count);
        return true;
      }
    }
  }

  void insert(std::string_view piece, const Rank* tokens, std::size_t count) {
    if (piece.size() > kMaxPieceLength || piece.empty()) return;
    if (slots_.empty() || used_ >= kMaxEntries) {
      reset();
    } else if (2 * used_ >= slots_.size()) {
      grow();
    }
    const std::uint64_t hash = std::hash<std::string_view>{}(piece);
    std::size_t i = hash & mask_;
    while (slots_[i].piece_length != 0) i = (i + 1) & mask_;
    slots_[i] = Slot{hash, static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint32_t>(tokens_.size()),
                     static_cast<std::uint16_t>(piece.size()), static_cast<std::uint16_t>(count)};
    bytes_ += piece;
    tokens_.insert(tokens_.end(), tokens, tokens + count);
    ++used_;
  }

 private:
  // Starts small (a short text pays little) and doubles up to kMaxSlots.
  static constexpr std::size_t kFirstSlots = 256;
  static constexpr std::size_t kMaxSlots = 1 << 16;
  static constexpr std::size_t kMaxEntries = kMaxSlots / 2;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t piece_offset = 0;
    std::uint32_t token_offset = 0;
    std::uint16_t piece_length = 0;  // 0: empty slot
    std::uint16_t token_count = 0;
  };
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.piece_length == 0) continue;
      std::size_t i = s.hash & mask_;
      while (slots_[i].piece_length != 0) i = (i + 1) & mask_;
      slots_[i] = s;
    }
  }
  void reset() {
    slots_.assign(kFirstSlots, Slot{});
    mask_ = kFirstSlots - 1;
    bytes_.clear();
    tokens_.clear();
    used_ = 0;
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::string bytes_;
  std::vector<Rank> tokens_;
  std::size_t used_ = 0;
};

}  // namespace posemb::tokenizer
