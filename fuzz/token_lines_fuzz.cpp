// libFuzzer target: the inputs of `posemb decode` (id lists), `posemb tokenize --jsonl` (JSON
// strings) and `posemb decode --jsonl` (JSON arrays of ids), each parsed from the same bytes
// (cli/token_lines.hpp).
// Either posemb::Error or one result per input line (and no NUL byte in the input); an id
// list printed and parsed again is the same list.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/token_lines_fuzz fuzz/corpus/token_lines -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "token_lines.hpp"

namespace {

using posemb::fuzz::check;

// Lines as the parsers count them: a final '\n' does not start another.
std::size_t line_count(std::string_view input) {
  std::size_t n = 0;
  for (std::size_t start = 0; start < input.size(); ++n) {
    const std::size_t end = input.find('\n', start);
    start = end == std::string_view::npos ? input.size() : end + 1;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace posemb::cli;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto ids = parse_id_list(input, "stdin");
    std::string printed = "[";
    for (const auto id : ids) printed += std::to_string(id) + ",";
    check(parse_id_list(printed + "]", "again") == ids);
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  // JSON has no raw NUL byte: a line with one is refused, never read up to it.
  const bool has_nul = input.find('\0') != std::string_view::npos;
  try {
    check(parse_jsonl_texts(input, "input").size() == line_count(input) && !has_nul);
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  try {
    check(parse_jsonl_id_lists(input, "stdin").size() == line_count(input) && !has_nul);
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
