#include "posemb/tokenizer/rank_file.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {

namespace {

constexpr std::array<std::int8_t, 256> kBase64Value = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}();

// Standard base64 with padding; false on anything else.
bool decode_base64(std::string_view text, std::string& out) {
  out.clear();
  if (text.empty() || text.size() % 4 != 0) return false;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int values[4];
    int padding = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = text[i + static_cast<std::size_t>(k)];
      if (c == '=') {
        // Padding only at the very end, at most two characters.
        if (i + 4 != text.size() || k < 2) return false;
        values[k] = 0;
        ++padding;
      } else {
        if (padding != 0) return false;
        values[k] = kBase64Value[static_cast<unsigned char>(c)];
        if (values[k] < 0) return false;
      }
    }
    const std::uint32_t triple = (std::uint32_t(values[0]) << 18) | (std::uint32_t(values[1]) << 12) |
                                 (std::uint32_t(values[2]) << 6) | std::uint32_t(values[3]);
    out.push_back(static_cast<char>(triple >> 16));
    if (padding < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(triple & 0xff));
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, Rank>> parse_tiktoken_ranks(std::string_view file_bytes, std::string_view source) {
  std::vector<std::pair<std::string, Rank>> tokens;
  tokens.reserve(file_bytes.size() / 12);
  std::size_t line_start = 0;
  std::size_t line_number = 0;
  std::string bytes;
  while (line_start < file_bytes.size()) {
    ++line_number;
    std::size_t line_end = file_bytes.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = file_bytes.size();
    std::string_view line = file_bytes.substr(line_start, line_end - line_start);
    line_start = line_end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos)
      throw Error(fmt::format("{}:{}: expected `base64 rank`, found no space", source, line_number));
    if (!decode_base64(line.substr(0, space), bytes))
      throw Error(fmt::format("{}:{}: `{}` is not valid base64", source, line_number, line.substr(0, space)));
    const std::string_view rank_text = line.substr(space + 1);
    Rank rank = 0;
    const auto [end, error] = std::from_chars(rank_text.data(), rank_text.data() + rank_text.size(), rank);
    if (error != std::errc() || end != rank_text.data() + rank_text.size() || rank_text.empty())
      throw Error(fmt::format("{}:{}: `{}` is not a rank (a number below 2^32)", source, line_number, rank_text));
    tokens.emplace_back(bytes, rank);
  }
  return tokens;
}

}  // namespace posemb::tokenizer
