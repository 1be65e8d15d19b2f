#include "posemb/tokenizer/utf8.hpp"

#include <gtest/gtest.h>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {
namespace {

TEST(Utf8, FirstInvalidOffset) {
  EXPECT_EQ(first_invalid_utf8("plain ascii text, long enough for the 8-byte path"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80"), std::nullopt);
  EXPECT_EQ(first_invalid_utf8("abc\xFF"), 3u);
  EXPECT_EQ(first_invalid_utf8("abcdefghij\x80"), 10u);          // lone continuation byte
  EXPECT_EQ(first_invalid_utf8("ab\xC3"), 2u);                   // truncated
  EXPECT_EQ(first_invalid_utf8("\xC0\xAF"), 0u);                 // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xE0\x80\xAF"), 0u);             // overlong
  EXPECT_EQ(first_invalid_utf8("x\xED\xA0\x80"), 1u);            // surrogate U+D800
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);         // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("\xF4\x8F\xBF\xBF"), std::nullopt);  // U+10FFFF
  EXPECT_EQ(first_invalid_utf8(std::string("a\0b", 3)), std::nullopt);
}

TEST(Utf8, ErrorNamesTheByteOffsetAndBytes) {
  try {
    require_valid_utf8("hello \xE2\x82 world", "input.txt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "input.txt: invalid UTF-8 at byte offset 6 (bytes 0xe2 0x82 0x20 0x77)");
  }
}

// The example of Unicode 15.0, section 3.9, "U+FFFD Substitution of Maximal Subparts"
// (table 3-8): 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD d.
TEST(Utf8, LossyConversionReplacesMaximalSubpartsAsTheStandardSays) {
  EXPECT_EQ(to_valid_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            "a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd");
  EXPECT_EQ(to_valid_utf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // surrogate: each byte
  EXPECT_EQ(to_valid_utf8("ok \xF0\x9F\x98\x80"), "ok \xF0\x9F\x98\x80");
  EXPECT_EQ(to_valid_utf8("\xF0\x9F\x98"), "\uFFFD");
}

}  // namespace
}  // namespace posemb::tokenizer
