#include "posemb/tokenizer/rank_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "posemb/core/error.hpp"
#include "posemb/io/sha256.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer {

namespace embedded {  // generated at build time from data/encodings/r50k_base.tiktoken
extern const unsigned char r50k_base_tiktoken[];
extern const std::size_t r50k_base_tiktoken_size;
}  // namespace embedded

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
  // A file cut inside its last line, and a garbled one.
  EXPECT_EQ(error_of("IQ== 0\nIg== 1\nIw"), "ranks.tiktoken:3: expected `base64 rank`, found no space");
  EXPECT_EQ(error_of("IQ== 0\nIg== "), "ranks.tiktoken:2: `` is not a rank (a number below 2^32)");
  EXPECT_EQ(error_of("IQ== 0\nIg== 1 2\n"), "ranks.tiktoken:2: `1 2` is not a rank (a number below 2^32)");
  EXPECT_EQ(error_of("IQ== 0\n\xff\xfe 1\n"), "ranks.tiktoken:2: `\xff\xfe` is not valid base64");
}

// tiktoken keeps the last rank of a repeated token (a dict) and refuses a repeated rank; both
// are refused here with the two lines.
TEST(RankFile, RepeatedRanksAndTokensAreErrorsNamingBothLines) {
  EXPECT_EQ(error_of("IQ== 0\nIg== 1\n\nIw== 1\n"),
            "ranks.tiktoken:4: rank 1 is given a second time (first on line 2)");
  EXPECT_EQ(error_of("IQ== 0\nIg== 1\nIQ== 2\n"),
            "ranks.tiktoken:3: token `IQ==` is given a second time, with rank 2 (first on line 1, rank 0)");
  // The same bytes spelt differently: "IR==" decodes to "!" as "IQ==" does (the low bits are padding).
  EXPECT_EQ(error_of("IQ== 0\r\nIR== 5\r\n"),
            "ranks.tiktoken:2: token `IR==` is given a second time, with rank 5 (first on line 1, rank 0)");
}

// Digests: SHA-256 "abc" is FIPS 180-2's first example.
TEST(RankFile, DigestCheckNamesSourceEncodingSizesAndHashes) {
  const RankFileDigest abc{3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"};
  EXPECT_NO_THROW(check_rank_file_digest("abc", abc, "mine", "x.tiktoken"));
  std::string message;
  try {
    check_rank_file_digest("ab", abc, "mine", "x.tiktoken");
  } catch (const Error& e) {
    message = e.what();
  }
  // SHA-256 "ab": Python's hashlib.sha256(b"ab").hexdigest().
  EXPECT_EQ(message,
            "x.tiktoken: not the published rank file of encoding mine: expected 3 bytes with SHA-256 "
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad, found 2 bytes with SHA-256 "
            "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603 (truncated?)");
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

// The built-in bytes are OpenAI's r50k_base.tiktoken: tiktoken's expected_hash for it
// (tiktoken_ext/openai_public.py). Loading gpt2 checks the same, at run time.
TEST(BuiltIn, EmbeddedBytesAreThePublishedR50kFile) {
  const std::string_view bytes(reinterpret_cast<const char*>(embedded::r50k_base_tiktoken),
                               embedded::r50k_base_tiktoken_size);
  EXPECT_EQ(io::sha256_hex(bytes), "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930");
  EXPECT_EQ(Encoding::spec_of("gpt2").rank_file_digest->sha256, io::sha256_hex(bytes));
  EXPECT_EQ(Encoding::spec_of("gpt2").rank_file_digest->size, bytes.size());
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
