#include "posemb/tokenizer/rank_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "posemb/core/error.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer {
namespace {

std::string error_of(std::string_view file) {
  try {
    (void)parse_tiktoken_ranks(file, "ranks.tiktoken");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(RankFile, ParsesBase64AndRanks) {
  const auto tokens = parse_tiktoken_ranks("IQ== 0\nIGhlbGxv 7\r\n\nYWI= 12\n", "x");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0], (std::pair<std::string, Rank>{"!", 0}));
  EXPECT_EQ(tokens[1], (std::pair<std::string, Rank>{" hello", 7}));
  EXPECT_EQ(tokens[2], (std::pair<std::string, Rank>{"ab", 12}));
}

TEST(RankFile, MalformedLinesAreErrorsNamingFileAndLine) {
  EXPECT_EQ(error_of("IQ== 0\nIQ==\n"), "ranks.tiktoken:2: expected `base64 rank`, found no space");
  EXPECT_EQ(error_of("I*== 0\n"), "ranks.tiktoken:1: `I*==` is not valid base64");
  EXPECT_EQ(error_of("IQ= 0\n"), "ranks.tiktoken:1: `IQ=` is not valid base64");
  EXPECT_EQ(error_of("IQ== x1\n"), "ranks.tiktoken:1: `x1` is not a rank (a number below 2^32)");
  EXPECT_EQ(error_of("IQ== 99999999999\n"), "ranks.tiktoken:1: `99999999999` is not a rank (a number below 2^32)");
}

std::string all_bytes_file() {
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string file;
  for (int b = 0; b < 256; ++b) file += fmt::format("{}{}== {}\n", b64[b >> 2], b64[(b & 3) << 4], b);
  return file;
}

TEST(RankTable, RejectsDuplicatesAndMissingBytes) {
  const std::string base = all_bytes_file();
  EXPECT_NO_THROW(RankTable(parse_tiktoken_ranks(base, "x"), "x"));
  EXPECT_THROW(RankTable(parse_tiktoken_ranks(base + "YWI= 5\n", "x"), "x"), Error);          // rank twice
  EXPECT_THROW(RankTable(parse_tiktoken_ranks(base + "QQ== 300\n", "x"), "x"), Error);        // bytes twice
  EXPECT_THROW(RankTable(parse_tiktoken_ranks("YWI= 0\n", "x"), "x"), Error);                 // no bytes
}

TEST(RankTable, PairTableKnowsEverySplitOfAToken) {
  // "abc" can be made from "ab"+"c" or "a"+"bc": both pairs must find it.
  const RankTable table(parse_tiktoken_ranks(all_bytes_file() + "YWI= 256\nYmM= 257\nYWJj 258\n", "x"), "x");
  const Rank a = table.byte_rank('a'), b = table.byte_rank('b'), c = table.byte_rank('c');
  EXPECT_EQ(table.merged_rank(a, b), 256u);
  EXPECT_EQ(table.merged_rank(256, c), 258u);
  EXPECT_EQ(table.merged_rank(a, 257), 258u);
  EXPECT_EQ(table.merged_rank(b, a), RankTable::kNone);
  EXPECT_EQ(table.rank_of("abc"), 258u);
  EXPECT_EQ(table.bytes_of(257), "bc");
}

// The built-in table is the committed file, token for token.
TEST(BuiltIn, Gpt2EqualsTheR50kRankFile) {
  const Encoding& built_in = Encoding::gpt2();
  const Encoding& from_file = Encoding::load("r50k_base", std::string(POSEMB_DATA_DIR) + "/encodings");
  ASSERT_EQ(built_in.n_vocab(), from_file.n_vocab());
  for (Rank r = 0; r < built_in.n_vocab(); ++r) ASSERT_EQ(built_in.token_bytes(r), from_file.token_bytes(r)) << r;
}

}  // namespace
}  // namespace posemb::tokenizer
