#pragma once
// The character classes the pre-tokenizer's patterns use, per code point, from the
// Unicode 16.0.0 data in data/encodings/unicode-16.0.0-properties.txt (turned into
// unicode_class_table.inc at build time by generators/make_unicode_table.cpp).
#include <cstdint>

namespace posemb::tokenizer::unicode {

enum CharClass : std::uint8_t {
  kUpperLetter = 1,   // Lu, Lt
  kLowerLetter = 2,   // Ll
  kOtherLetter = 4,   // Lm, Lo
  kMark = 8,          // Mn, Mc, Me            (\p{M})
  kNumber = 16,       // Nd, Nl, No            (\p{N})
  kWhiteSpace = 32,   // White_Space property  (\s)
};
inline constexpr std::uint8_t kLetter = kUpperLetter | kLowerLetter | kOtherLetter;  // \p{L}

#include "unicode_class_table.inc"

// Class bits of a code point; 0 (no class: a symbol) beyond U+10FFFF.
inline std::uint8_t char_class(std::uint32_t code_point) {
  if (code_point >= 0x110000) return 0;
  return kPages[kPageOfBlock[code_point >> 8]][code_point & 0xFF];
}

}  // namespace posemb::tokenizer::unicode
