#pragma once
// The pre-tokenizer: splits text into the pieces that byte-pair encoding sees, exactly as
// each encoding's regular expression does under tiktoken's regex engine (fancy-regex on
// Rust's regex crate, Unicode 16.0 tables). Hand-written: no regex engine runs here.
//
//   kGpt2    r50k_base, p50k_base, gpt2
//            's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   kCl100k  cl100k_base
//            (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//            ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   kO200k   o200k_base
//            [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//            [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
//            \p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// \s is Unicode White_Space (not JavaScript's \s: U+0085 is space, U+FEFF and U+180E are
// not); (?i:'s) also matches 'ſ (U+017F folds to s). Pieces cover the text without gaps.
// Bytes that are not valid UTF-8 are accepted here (each is a piece-breaking symbol), so
// that the splitter never fails; Encoding validates text before it gets here.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace posemb::tokenizer {

enum class Pattern { kGpt2, kCl100k, kO200k };

std::string_view pattern_name(Pattern pattern);  // "gpt2", "cl100k", "o200k"

// Byte length of the piece that starts at `start` (> 0 whenever start < text.size()).
std::size_t piece_length(Pattern pattern, std::string_view text, std::size_t start);

// All pieces of `text`, in order.
std::vector<std::string_view> split_into_pieces(Pattern pattern, std::string_view text);

// Calls f(piece) for each piece; the hot path (no allocation).
template <class F>
void for_each_piece(Pattern pattern, std::string_view text, F&& f) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t length = piece_length(pattern, text, start);
    f(text.substr(start, length));
    start += length;
  }
}

}  // namespace posemb::tokenizer
