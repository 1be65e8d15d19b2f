// cli/token_lines: the id lists and JSON lines of tokenize / decode, without the binary
// (tokenize_cli_test.cpp runs the same inputs through it).
#include "token_lines.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "posemb/core/error.hpp"

namespace posemb::cli {
namespace {

using tokenizer::Rank;
using ::testing::HasSubstr;

// The message of the posemb::Error that `parse` throws ("" if it throws none).
template <class Parse>
std::string error_of(Parse parse) {
  try {
    parse();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ParseIdList, SeparatorsAndBrackets) {
  EXPECT_EQ(parse_id_list("15496 995", "x"), (std::vector<Rank>{15496, 995}));
  EXPECT_EQ(parse_id_list("[15496,995]\n", "x"), (std::vector<Rank>{15496, 995}));
  EXPECT_EQ(parse_id_list(" \t\r\n,[]", "x"), std::vector<Rank>{});
  EXPECT_EQ(parse_id_list("4294967295", "x"), std::vector<Rank>{4294967295u});
}

TEST(ParseIdList, ErrorsNameWhereTheTextAndItsOffset) {
  EXPECT_EQ(error_of([] { parse_id_list("12 x7", "argument 2"); }),
            "argument 2: `x7` at byte offset 3 is not a token id");
  EXPECT_EQ(error_of([] { parse_id_list("4294967296", "stdin"); }),
            "stdin: `4294967296` at byte offset 0 is not a token id");
  EXPECT_EQ(error_of([] { parse_id_list("[-1]", "stdin"); }), "stdin: `-1` at byte offset 1 is not a token id");
  EXPECT_EQ(error_of([] { parse_id_list("1.5", "stdin"); }), "stdin: `1.5` at byte offset 0 is not a token id");
}

TEST(ParseJsonlTexts, OneStringPerLine) {
  EXPECT_EQ(parse_jsonl_texts("\"a\"\n\"b\\nc\"\r\n  \"\"", "in"), (std::vector<std::string>{"a", "b\nc", ""}));
  EXPECT_EQ(parse_jsonl_texts("", "in"), std::vector<std::string>{});
  EXPECT_EQ(parse_jsonl_texts("\"a\"\n", "in"), std::vector<std::string>{"a"});
}

TEST(ParseJsonlTexts, ErrorsNameTheLine) {
  EXPECT_EQ(error_of([] { parse_jsonl_texts("\"a\"\n \r\n\"b\"", "in.jsonl"); }),
            "in.jsonl:2: blank line; each line must be one JSON string");
  EXPECT_EQ(error_of([] { parse_jsonl_texts("\"a\"\n[1]", "input"); }), "input:2: expected a JSON string");
  EXPECT_THAT(error_of([] { parse_jsonl_texts("\"a\"\n\"b", "input"); }), HasSubstr("input:2: not JSON: "));
}

TEST(ParseJsonLines, ANulByteIsNotJson) {
  // nlohmann stops at a NUL: "\"a\"<NUL>garbage" read as "a", [1]<NUL>x as [1].
  const std::string text_line("\"a\"\0garbage\n", 13);
  EXPECT_EQ(error_of([&] { parse_jsonl_texts("\"ok\"\n" + text_line, "in"); }),
            "in:2: not JSON: a NUL byte at byte 3 of the line");
  const std::string ids_line("[1]\0x", 5);
  EXPECT_EQ(error_of([&] { parse_jsonl_id_lists(ids_line, "stdin"); }),
            "stdin:1: not JSON: a NUL byte at byte 3 of the line");
}

TEST(ParseJsonlIdLists, OneArrayPerLine) {
  EXPECT_EQ(parse_jsonl_id_lists("[15496, 995]\r\n[]\n[-0, 4294967295]", "stdin"),
            (std::vector<std::vector<Rank>>{{15496, 995}, {}, {0, 4294967295u}}));
}

TEST(ParseJsonlIdLists, OnlyJsonIntegersBelow2To32AreIds) {
  for (const std::string bad : {"1.5", "1.0", "1e2", "true", "-1", "4294967296", "\"1\"", "null", "[1]", "{}"}) {
    EXPECT_EQ(error_of([&] { parse_jsonl_id_lists("[1]\n[2, " + bad + "]", "stdin"); }),
              "stdin:2: element 1 of the array, " + (bad == "1e2" ? std::string("100.0") : bad) +
                  ", is not a token id (an integer in [0, 2^32))")
        << bad;
  }
  // A long value is cut short, never inside a UTF-8 character: byte 37 is the second byte of é.
  const std::string long_string = "\"" + std::string(35, 'a') + "\xC3\xA9\xC3\xA9\"";
  EXPECT_EQ(error_of([&] { parse_jsonl_id_lists("[" + long_string + "]", "stdin"); }),
            "stdin:1: element 0 of the array, \"" + std::string(35, 'a') +
                "..., is not a token id (an integer in [0, 2^32))");
}

TEST(ParseJsonlIdLists, ErrorsNameTheLine) {
  EXPECT_EQ(error_of([] { parse_jsonl_id_lists("[1]\n\n[2]", "stdin"); }),
            "stdin:2: blank line; each line must be one JSON array of token ids");
  EXPECT_EQ(error_of([] { parse_jsonl_id_lists("[1]\n{\"ids\": [1]}", "stdin"); }),
            "stdin:2: expected a JSON array of token ids, got {\"ids\":[1]}");
  EXPECT_THAT(error_of([] { parse_jsonl_id_lists("[1,", "stdin"); }),
              HasSubstr("stdin:1: expected a JSON array of token ids: "));
}

}  // namespace
}  // namespace posemb::cli
