#include "posemb/tokenizer/rank_file.hpp"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <charconv>
#include <functional>
#include <optional>

#include "posemb/core/error.hpp"
#include "posemb/io/sha256.hpp"

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

// The first i whose key equals that of an earlier j, as (j, i). An open-addressing table of
// 32-bit indices: a std::unordered_map (a node per token) took several times as long as the
// parse itself on o200k_base's 200k lines.
template <class Hash, class Equal>
std::optional<std::pair<std::size_t, std::size_t>> first_repeat(std::size_t n, Hash hash, Equal equal) {
  constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;  // n is below it (parse_tiktoken_ranks checks)
  std::vector<std::uint32_t> slots(std::bit_ceil(2 * n + 16), kEmpty);
  const std::size_t mask = slots.size() - 1;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t slot = hash(i) & mask;
    for (; slots[slot] != kEmpty; slot = (slot + 1) & mask)
      if (equal(slots[slot], i)) return std::pair<std::size_t, std::size_t>{slots[slot], i};
    slots[slot] = static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

// The base64 field of line `line` (1-based), for an error message.
std::string_view base64_on_line(std::string_view file_bytes, std::size_t line) {
  std::size_t start = 0;
  for (std::size_t n = 1; n < line && start != std::string_view::npos; ++n) {
    start = file_bytes.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return {};
  const std::string_view rest = file_bytes.substr(start);
  return rest.substr(0, rest.find_first_of(" \r\n"));
}

}  // namespace

std::vector<std::pair<std::string, Rank>> parse_tiktoken_ranks(std::string_view file_bytes, std::string_view source) {
  std::vector<std::pair<std::string, Rank>> tokens;
  tokens.reserve(file_bytes.size() / 12);
  std::vector<std::size_t> lines;  // the line of each token, for the duplicate checks below
  lines.reserve(file_bytes.size() / 12);
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
    lines.push_back(line_number);
  }
  if (tokens.size() >= 0xFFFFFFFFu) throw Error(fmt::format("{}: more than 2^32 - 2 tokens", source));
  // tiktoken reads the file into a dict (a repeated token silently keeps its last rank) and its
  // Rust core then refuses a repeated rank; both are refused here, by line, before RankTable
  // sees them.
  if (const auto d = first_repeat(tokens.size(), [&](std::size_t i) { return std::hash<Rank>{}(tokens[i].second); },
                                  [&](std::size_t i, std::size_t j) { return tokens[i].second == tokens[j].second; }))
    throw Error(fmt::format("{}:{}: rank {} is given a second time (first on line {})", source, lines[d->second],
                            tokens[d->second].second, lines[d->first]));
  if (const auto d = first_repeat(tokens.size(),
                                  [&](std::size_t i) { return std::hash<std::string_view>{}(tokens[i].first); },
                                  [&](std::size_t i, std::size_t j) { return tokens[i].first == tokens[j].first; }))
    throw Error(fmt::format("{}:{}: token `{}` is given a second time, with rank {} (first on line {}, rank {})",
                            source, lines[d->second], base64_on_line(file_bytes, lines[d->second]),
                            tokens[d->second].second, lines[d->first], tokens[d->first].second));
  return tokens;
}

void check_rank_file_digest(std::string_view file_bytes, const RankFileDigest& expected, std::string_view encoding,
                            std::string_view source) {
  const std::string actual = io::sha256_hex(file_bytes);
  if (file_bytes.size() == expected.size && actual == expected.sha256) return;
  throw Error(fmt::format("{}: not the published rank file of encoding {}: expected {} bytes with SHA-256 {}, found {} "
                          "bytes with SHA-256 {} ({})",
                          source, encoding, expected.size, expected.sha256, file_bytes.size(), actual,
                          file_bytes.size() < expected.size   ? "truncated?"
                          : file_bytes.size() > expected.size ? "something appended?"
                                                              : "altered?"));
}

}  // namespace posemb::tokenizer
