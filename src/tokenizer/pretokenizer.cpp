#include "posemb/tokenizer/pretokenizer.hpp"

#include "unicode_classes.hpp"

// Each *_piece_end function is one encoding's regular expression, alternative by
// alternative, in the regex's order: leftmost-first alternation with greedy, backtracking
// quantifiers (fancy-regex's semantics). Comments quote the alternative being matched.
// They return the end offset of the piece that starts at `p` (p < text.size()).

namespace posemb::tokenizer {

namespace {

using namespace unicode;

constexpr std::uint32_t kNotUtf8 = 0xFFFFFFFFu;  // an ill-formed byte: class 0, a symbol

// One code point of the text: its value, byte length and class bits.
struct Char {
  std::uint32_t code_point;
  std::uint32_t length;
  std::uint8_t cls;
};

inline Char char_at(std::string_view t, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(t[i]);
  if (b0 < 0x80) return {b0, 1, char_class(b0)};
  const std::size_t left = t.size() - i;
  const auto continuation = [&](std::size_t k) {
    return k < left && (static_cast<unsigned char>(t[i + k]) & 0xC0) == 0x80;
  };
  const auto byte = [&](std::size_t k) { return std::uint32_t{static_cast<unsigned char>(t[i + k])} & 0x3F; };
  std::uint32_t cp;
  std::uint32_t length;
  if (b0 >= 0xC2 && b0 <= 0xDF && continuation(1)) {
    cp = ((b0 & 0x1Fu) << 6) | byte(1);
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF && continuation(1) && continuation(2)) {
    cp = ((b0 & 0x0Fu) << 12) | (byte(1) << 6) | byte(2);
    length = 3;
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return {kNotUtf8, 1, 0};
  } else if (b0 >= 0xF0 && b0 <= 0xF4 && continuation(1) && continuation(2) && continuation(3)) {
    cp = ((b0 & 0x07u) << 18) | (byte(1) << 12) | (byte(2) << 6) | byte(3);
    length = 4;
    if (cp < 0x10000 || cp > 0x10FFFF) return {kNotUtf8, 1, 0};
  } else {
    return {kNotUtf8, 1, 0};
  }
  return {cp, length, char_class(cp)};
}

inline bool is_letter(const Char& c) { return c.cls & kLetter; }
inline bool is_number(const Char& c) { return c.cls & kNumber; }
inline bool is_space(const Char& c) { return c.cls & kWhiteSpace; }
// [^\s\p{L}\p{N}]
inline bool is_symbol(const Char& c) { return !(c.cls & (kLetter | kNumber | kWhiteSpace)); }
// [^\r\n\p{L}\p{N}]
inline bool is_letter_prefix(const Char& c) {
  return !(c.cls & (kLetter | kNumber)) && c.code_point != '\r' && c.code_point != '\n';
}
// o200k: [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and [\p{Ll}\p{Lm}\p{Lo}\p{M}]
inline bool is_upper_like(const Char& c) { return c.cls & (kUpperLetter | kOtherLetter | kMark); }
inline bool is_lower_like(const Char& c) { return c.cls & (kLowerLetter | kOtherLetter | kMark); }
inline bool is_newline(const Char& c) { return c.code_point == '\r' || c.code_point == '\n'; }

template <class Predicate>
inline std::size_t run_end(std::string_view t, std::size_t i, Predicate in_class) {
  while (i < t.size()) {
    const Char c = char_at(t, i);
    if (!in_class(c)) break;
    i += c.length;
  }
  return i;
}

// End of the contraction 's|'t|'re|'ve|'m|'ll|'d at `p` (where t[p] == '\''), or p if none.
// With ignore_case, (?i:...) under Unicode simple case folding: ASCII case, and U+017F
// LATIN SMALL LETTER LONG S, which folds to s.
std::size_t contraction_end(std::string_view t, std::size_t p, bool ignore_case) {
  const auto folded = [&](std::size_t i, std::uint32_t& length) -> std::uint32_t {
    if (i >= t.size()) return 0;
    const Char c = char_at(t, i);
    length = c.length;
    if (!ignore_case) return c.code_point;
    if (c.code_point >= 'A' && c.code_point <= 'Z') return c.code_point + ('a' - 'A');
    if (c.code_point == 0x17F) return 's';
    return c.code_point;
  };
  std::uint32_t first_length = 0, second_length = 0;
  const std::uint32_t first = folded(p + 1, first_length);
  if (first == 's' || first == 't' || first == 'm' || first == 'd') return p + 1 + first_length;
  if (first == 'r' || first == 'v' || first == 'l') {
    const std::uint32_t second = folded(p + 1 + first_length, second_length);
    if ((first == 'r' && second == 'e') || (first == 'v' && second == 'e') || (first == 'l' && second == 'l'))
      return p + 1 + first_length + second_length;
  }
  return p;
}

// The whitespace alternatives, for a piece that starts with white space at p.
//   with_newlines (cl100k, o200k):  \s*[\r\n]+|\s+(?!\S)|\s+
//   otherwise     (gpt2):                      \s+(?!\S)|\s+
std::size_t whitespace_piece_end(std::string_view t, std::size_t p, bool with_newlines) {
  std::size_t i = p, last_start = p, after_last_newline = 0;
  while (i < t.size()) {
    const Char c = char_at(t, i);
    if (!is_space(c)) break;
    last_start = i;
    i += c.length;
    if (is_newline(c)) after_last_newline = i;
  }
  // \s*[\r\n]+ : \s* gives back characters until [\r\n]+ can match: the match ends just
  // after the last CR or LF of the run.
  if (with_newlines && after_last_newline != 0) return after_last_newline;
  // \s+(?!\S) : the whole run at the end of the text, else the run but its last character.
  if (i == t.size()) return i;
  if (last_start > p) return last_start;
  return i;  // \s+ : a single white-space character before a non-space
}

// \p{N}{1,3}
std::size_t number_piece_end(std::string_view t, std::size_t p) {
  std::size_t i = p;
  for (int k = 0; k < 3 && i < t.size(); ++k) {
    const Char c = char_at(t, i);
    if (!is_number(c)) break;
    i += c.length;
  }
  return i;
}

// ` ?[^\s\p{L}\p{N}]+` followed by [\r\n]* (cl100k) or [\r\n/]* (o200k); p if no match.
std::size_t symbol_piece_end(std::string_view t, std::size_t p, const Char& c, bool slash_too) {
  std::size_t start = p;
  if (c.code_point == ' ' && p + 1 < t.size() && is_symbol(char_at(t, p + 1))) {
    start = p + 1;
  } else if (!is_symbol(c)) {
    return p;
  }
  std::size_t i = run_end(t, start, is_symbol);
  while (i < t.size() && (t[i] == '\r' || t[i] == '\n' || (slash_too && t[i] == '/'))) ++i;
  return i;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::size_t gpt2_piece_end(std::string_view t, std::size_t p) {
  const Char c = char_at(t, p);
  if (c.code_point == '\'') {
    if (const std::size_t e = contraction_end(t, p, false); e != p) return e;
  }
  // ` ?X+` for X = \p{L}, \p{N}, [^\s\p{L}\p{N}]: the space is not in any X, so the class of
  // the character after a space (or of c itself) picks the alternative.
  std::size_t start = p;
  Char first = c;
  if (c.code_point == ' ' && p + 1 < t.size()) {
    const Char d = char_at(t, p + 1);
    if (!is_space(d)) {
      start = p + 1;
      first = d;
    }
  }
  if (!is_space(first)) {
    if (is_letter(first)) return run_end(t, start, is_letter);
    if (is_number(first)) return run_end(t, start, is_number);
    return run_end(t, start, is_symbol);
  }
  return whitespace_piece_end(t, p, false);
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+
std::size_t cl100k_piece_end(std::string_view t, std::size_t p) {
  const Char c = char_at(t, p);
  if (c.code_point == '\'') {
    if (const std::size_t e = contraction_end(t, p, true); e != p) return e;
  }
  if (is_letter_prefix(c) && p + c.length < t.size() && is_letter(char_at(t, p + c.length)))
    return run_end(t, p + c.length, is_letter);
  if (is_letter(c)) return run_end(t, p, is_letter);
  if (is_number(c)) return number_piece_end(t, p);
  if (const std::size_t e = symbol_piece_end(t, p, c, false); e != p) return e;
  return whitespace_piece_end(t, p, true);
}

// o200k's first alternative after its optional prefix:
//   [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
// Returns the end, or 0 if it cannot match at s.
std::size_t o200k_lower_word_end(std::string_view t, std::size_t s) {
  std::size_t i = s, after_last_lower_like = 0;
  while (i < t.size()) {
    const Char c = char_at(t, i);
    if (!is_upper_like(c)) break;
    i += c.length;
    if (is_lower_like(c)) after_last_lower_like = i;
  }
  std::size_t end;
  if (i < t.size() && is_lower_like(char_at(t, i))) {
    end = run_end(t, i, is_lower_like);  // the upper-like run, then lower-like ones
  } else if (after_last_lower_like != 0) {
    // The run is followed by neither: the star gives back characters until the plus can
    // take one, so the match ends after the run's last lower-like character (Lm, Lo, M).
    end = after_last_lower_like;
  } else {
    return 0;
  }
  if (end < t.size() && t[end] == '\'') end = contraction_end(t, end, true);
  return end;
}

// o200k's second alternative after its optional prefix:
//   [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
std::size_t o200k_upper_word_end(std::string_view t, std::size_t s) {
  if (s >= t.size() || !is_upper_like(char_at(t, s))) return 0;
  std::size_t end = run_end(t, run_end(t, s, is_upper_like), is_lower_like);
  if (end < t.size() && t[end] == '\'') end = contraction_end(t, end, true);
  return end;
}

std::size_t o200k_piece_end(std::string_view t, std::size_t p) {
  const Char c = char_at(t, p);
  // [^\r\n\p{L}\p{N}]? is greedy: each word alternative is tried with the prefix, then without.
  const bool prefix = is_letter_prefix(c);
  if (prefix) {
    if (const std::size_t e = o200k_lower_word_end(t, p + c.length)) return e;
  }
  if (const std::size_t e = o200k_lower_word_end(t, p)) return e;
  if (prefix) {
    if (const std::size_t e = o200k_upper_word_end(t, p + c.length)) return e;
  }
  if (const std::size_t e = o200k_upper_word_end(t, p)) return e;
  if (is_number(c)) return number_piece_end(t, p);
  if (const std::size_t e = symbol_piece_end(t, p, c, true); e != p) return e;
  return whitespace_piece_end(t, p, true);
}

}  // namespace

std::string_view pattern_name(Pattern pattern) {
  switch (pattern) {
    case Pattern::kGpt2: return "gpt2";
    case Pattern::kCl100k: return "cl100k";
    case Pattern::kO200k: return "o200k";
  }
  return "unknown";
}

std::size_t piece_length(Pattern pattern, std::string_view text, std::size_t start) {
  if (start >= text.size()) return 0;
  std::size_t end = start;
  switch (pattern) {
    case Pattern::kGpt2: end = gpt2_piece_end(text, start); break;
    case Pattern::kCl100k: end = cl100k_piece_end(text, start); break;
    case Pattern::kO200k: end = o200k_piece_end(text, start); break;
  }
  return end - start;
}

std::vector<std::string_view> split_into_pieces(Pattern pattern, std::string_view text) {
  std::vector<std::string_view> pieces;
  for_each_piece(pattern, text, [&](std::string_view piece) { pieces.push_back(piece); });
  return pieces;
}

}  // namespace posemb::tokenizer
