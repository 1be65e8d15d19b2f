#include "posemb/tokenizer/utf8.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {

namespace {

// Length of the well-formed sequence at `i`, or 0 if ill-formed; `valid_prefix` gets the
// length of its maximal ill-formed subpart (at least 1). Table 3-7 of the Unicode standard.
std::size_t sequence_at(std::string_view s, std::size_t i, std::size_t& valid_prefix) {
  const auto b = static_cast<unsigned char>(s[i]);
  valid_prefix = 1;
  if (b < 0x80) return 1;
  std::size_t need;
  unsigned char low = 0x80, high = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) low = 0xA0;   // no overlong forms
    if (b == 0xED) high = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) low = 0x90;   // no overlong forms
    if (b == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    if (i + k >= s.size()) return 0;
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < low || c > high) return 0;
    low = 0x80;
    high = 0xBF;
    valid_prefix = k + 1;
  }
  return need + 1;
}

}  // namespace

std::optional<std::size_t> first_invalid_utf8(std::string_view bytes) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    // ASCII runs eight bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t word;
      __builtin_memcpy(&word, bytes.data() + i, 8);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t prefix;
    const std::size_t length = sequence_at(bytes, i, prefix);
    if (length == 0) return i;
    i += length;
  }
  return std::nullopt;
}

void require_valid_utf8(std::string_view bytes, std::string_view what) {
  const auto offset = first_invalid_utf8(bytes);
  if (!offset) return;
  std::string shown;
  for (std::size_t k = *offset; k < bytes.size() && k < *offset + 4; ++k)
    shown += fmt::format("{}0x{:02x}", k == *offset ? "" : " ", static_cast<unsigned char>(bytes[k]));
  throw Error(fmt::format("{}: invalid UTF-8 at byte offset {} (bytes {})", what, *offset, shown));
}

std::string to_valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t i = 0;
  while (i < bytes.size()) {
    std::size_t prefix;
    const std::size_t length = sequence_at(bytes, i, prefix);
    if (length != 0) {
      out.append(bytes.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD for the maximal ill-formed subpart
      i += prefix;
    }
  }
  return out;
}

}  // namespace posemb::tokenizer
