#include "token_lines.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "posemb/core/error.hpp"

namespace posemb::cli {

namespace {

using tokenizer::Rank;

// Calls visit(line, line_number) for each line, numbered from 1, as std::getline splits them.
template <class Visit>
void for_each_line(std::string_view input, Visit visit) {
  std::size_t number = 0;
  for (std::size_t start = 0; start < input.size();) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    visit(input.substr(start, end - start), ++number);
    start = end + 1;
  }
}

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// nlohmann stops reading at a NUL byte and would take `"a"<NUL>anything` for "a"; JSON has
// no raw NUL anywhere, so a line with one is not JSON.
void refuse_nul(std::string_view line, std::string_view where, std::size_t number) {
  if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos)
    throw Error(fmt::format("{}:{}: not JSON: a NUL byte at byte {} of the line", where, number, nul));
}

// A JSON value as an error message shows it: its text, cut short (not inside a character).
std::string shown(const nlohmann::json& value) {
  std::string text = value.dump();
  if (text.size() <= 40) return text;
  std::size_t cut = 37;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

}  // namespace

std::vector<Rank> parse_id_list(std::string_view text, std::string_view where) {
  std::vector<Rank> ids;
  std::size_t i = 0;
  const auto separator = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '[' || c == ']';
  };
  while (i < text.size()) {
    if (separator(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !separator(text[end])) ++end;
    Rank id = 0;
    const auto [ptr, error] = std::from_chars(text.data() + i, text.data() + end, id);
    if (error != std::errc() || ptr != text.data() + end)
      throw Error(fmt::format("{}: `{}` at byte offset {} is not a token id", where, text.substr(i, end - i), i));
    ids.push_back(id);
    i = end;
  }
  return ids;
}

std::vector<std::string> parse_jsonl_texts(std::string_view input, std::string_view where) {
  std::vector<std::string> texts;
  for_each_line(input, [&](std::string_view line, std::size_t number) {
    if (is_blank(line)) throw Error(fmt::format("{}:{}: blank line; each line must be one JSON string", where, number));
    refuse_nul(line, where, number);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("{}:{}: not JSON: {}", where, number, e.what()));
    }
    if (!value.is_string()) throw Error(fmt::format("{}:{}: expected a JSON string", where, number));
    texts.push_back(value.get<std::string>());
  });
  return texts;
}

std::vector<std::vector<Rank>> parse_jsonl_id_lists(std::string_view input, std::string_view where) {
  std::vector<std::vector<Rank>> lists;
  for_each_line(input, [&](std::string_view line, std::size_t number) {
    if (is_blank(line))
      throw Error(fmt::format("{}:{}: blank line; each line must be one JSON array of token ids", where, number));
    refuse_nul(line, where, number);
    nlohmann::json value;
    try {
      value = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      throw Error(fmt::format("{}:{}: expected a JSON array of token ids: {}", where, number, e.what()));
    }
    if (!value.is_array())
      throw Error(fmt::format("{}:{}: expected a JSON array of token ids, got {}", where, number, shown(value)));
    std::vector<Rank>& ids = lists.emplace_back();
    ids.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
      const nlohmann::json& element = value[i];
      // nlohmann would convert 1.5, true and 4294967296 to ids silently (1, 1, 0). -0 is a
      // JSON integer equal to 0, stored as a signed zero.
      const bool is_id = (element.is_number_unsigned() && element.get<std::uint64_t>() <= 0xFFFFFFFFu) ||
                         (element.is_number_integer() && element.get<std::int64_t>() == 0);
      if (!is_id)
        throw Error(fmt::format("{}:{}: element {} of the array, {}, is not a token id (an integer in [0, 2^32))",
                                where, number, i, shown(element)));
      ids.push_back(static_cast<Rank>(element.get<std::uint64_t>()));
    }
  });
  return lists;
}

}  // namespace posemb::cli
