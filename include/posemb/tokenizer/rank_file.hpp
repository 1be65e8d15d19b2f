#pragma once
// Standard `.tiktoken` rank files, as OpenAI publishes them: one line per token,
//   base64(token bytes) SPACE decimal rank NEWLINE
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "posemb/tokenizer/rank_table.hpp"

namespace posemb::tokenizer {

// Throws posemb::Error naming `source` and the line on malformed input.
std::vector<std::pair<std::string, Rank>> parse_tiktoken_ranks(std::string_view file_bytes, std::string_view source);

}  // namespace posemb::tokenizer
