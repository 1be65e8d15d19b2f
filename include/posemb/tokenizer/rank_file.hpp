#pragma once
// Standard `.tiktoken` rank files, as OpenAI publishes them: one line per token,
//   base64(token bytes) SPACE decimal rank NEWLINE
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "posemb/tokenizer/rank_table.hpp"

namespace posemb::tokenizer {

// Throws posemb::Error naming `source` and the line (`source:LINE: ...`) on a malformed line
// (no space, bad base64, a rank that is not a number below 2^32), a rank given twice or the
// same token bytes given twice (naming the line of the first one too).
std::vector<std::pair<std::string, Rank>> parse_tiktoken_ranks(std::string_view file_bytes, std::string_view source);

// The published rank file of a known encoding, by its size and SHA-256: tiktoken passes the
// hash as `expected_hash` to load_tiktoken_bpe (tiktoken_ext/openai_public.py); a file with
// that hash has that size, and a different size says "truncated" before any hashing.
struct RankFileDigest {
  std::size_t size = 0;
  std::string sha256;  // lowercase hex
};

// Throws posemb::Error naming `source`, the encoding, and the expected and actual size and
// SHA-256 when `file_bytes` is not the published file.
void check_rank_file_digest(std::string_view file_bytes, const RankFileDigest& expected, std::string_view encoding,
                            std::string_view source);

}  // namespace posemb::tokenizer
