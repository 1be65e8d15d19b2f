#include "posemb/data/token_cache.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::data {
namespace {

class TokenCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One folder per test: ctest runs the tests of this fixture as parallel processes.
    dir_ = std::filesystem::path(::testing::TempDir()) / "posemb_token_cache_test" /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

void expect_error_containing(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST_F(TokenCacheTest, BuildsOnceAndReopens) {
  const auto text = dir_ / "text.txt", cache = dir_ / "text.tokens";
  io::write_file_atomically(text, "héllo\n");
  const auto bytes = TextTokenizer::from_name("bytes");
  {
    const TokenCache c = TokenCache::open_or_build(text, bytes, cache);
    EXPECT_TRUE(c.was_built());
    EXPECT_EQ(std::vector<std::uint32_t>(c.tokens().begin(), c.tokens().end()),
              (std::vector<std::uint32_t>{'h', 0xc3, 0xa9, 'l', 'l', 'o', '\n'}));
    EXPECT_EQ(c.vocab_size(), 256);
    EXPECT_EQ(c.tokenizer_name(), "bytes");
  }
  const TokenCache again = TokenCache::open_or_build(text, bytes, cache);
  EXPECT_FALSE(again.was_built());
  EXPECT_EQ(again.tokens().size(), 7u);
}

TEST_F(TokenCacheTest, AChangedSourceRebuildsTheCache) {
  const auto text = dir_ / "text.txt", cache = dir_ / "text.tokens";
  const auto bytes = TextTokenizer::from_name("bytes");
  io::write_file_atomically(text, "abc");
  (void)TokenCache::open_or_build(text, bytes, cache);
  io::write_file_atomically(text, "abd");  // same size, different bytes
  const TokenCache c = TokenCache::open_or_build(text, bytes, cache);
  EXPECT_TRUE(c.was_built());
  EXPECT_EQ(c.tokens()[2], std::uint32_t('d'));
}

TEST_F(TokenCacheTest, DamagedCachesAreErrorsNamingTheFile) {
  const auto cache = dir_ / "x.tokens";
  const auto bytes = TextTokenizer::from_name("bytes");
  TokenCache::write(cache, "abcdef", bytes);
  const std::string good = io::read_file_bytes(cache);

  io::write_file_atomically(cache, "NOTATOKENCACHE..");
  expect_error_containing([&] { (void)TokenCache::open(cache); }, "x.tokens: not a posemb token cache");

  io::write_file_atomically(cache, good.substr(0, good.size() - 2));  // truncated
  expect_error_containing([&] { (void)TokenCache::open(cache); }, "6 tokens (24 bytes) but 22 bytes follow");

  std::string big_token = good;
  big_token[big_token.size() - 3] = 1;  // the last token becomes 'f' + 256
  io::write_file_atomically(cache, big_token);
  expect_error_containing([&] { (void)TokenCache::open(cache); }, "at index 5");

  std::string bad_length = good;
  bad_length[8] = char(0xff);
  io::write_file_atomically(cache, bad_length);
  expect_error_containing([&] { (void)TokenCache::open(cache); }, "does not fit");

  // open_or_build replaces a damaged cache instead of failing.
  io::write_file_atomically(dir_ / "t.txt", "abcdef");
  io::write_file_atomically(cache, "garbage");
  EXPECT_TRUE(TokenCache::open_or_build(dir_ / "t.txt", bytes, cache).was_built());
}

TEST_F(TokenCacheTest, FromBytesChecksWhatOpenChecks) {
  const auto cache = dir_ / "x.tokens";
  TokenCache::write(cache, "abcdef", TextTokenizer::from_name("bytes"));
  const std::string good = io::read_file_bytes(cache);
  const TokenCache c = TokenCache::from_bytes(good, "in memory");
  EXPECT_EQ(std::vector<std::uint32_t>(c.tokens().begin(), c.tokens().end()),
            (std::vector<std::uint32_t>{'a', 'b', 'c', 'd', 'e', 'f'}));
  EXPECT_EQ(c.source_hash(), TokenCache::open(cache).source_hash());
  expect_error_containing([&] { (void)TokenCache::from_bytes(good.substr(0, good.size() - 2), "in memory"); },
                          "in memory: header says 6 tokens (24 bytes) but 22 bytes follow");
}

// A cache file with this header text and these token bytes, laid out as write() lays one out.
std::string cache_bytes(std::string header, const std::string& tokens) {
  while ((16 + header.size()) % 8 != 0) header += ' ';
  std::string out = "PSMBTOK1";
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + tokens;
}

std::string header_with(const std::string& field, const std::string& value) {
  std::string header = R"({"tokenizer":"bytes","vocab_size":256,"token_count":2,"source_size":2,)"
                       R"("source_fnv1a64":"0123456789abcdef"})";
  const std::size_t at = header.find("\"" + field + "\":") + field.size() + 3;
  return header.replace(at, header.find_first_of(",}", at) - at, value);
}

TEST(TokenCache, HeaderNumbersAreCheckedBeforeUse) {
  // Found writing fuzz/training_text_fuzz.cpp, each one crashing it: std::stoull threw
  // out_of_range, get<std::uint64_t>() converted 1e30 with undefined behaviour.
  const std::string two_tokens("a\0\0\0b\0\0\0", 8);
  EXPECT_EQ(TokenCache::from_bytes(cache_bytes(header_with("token_count", "2"), two_tokens), "c").tokens().size(), 2u);
  const auto error = [&](const std::string& field, const std::string& value) {
    try {
      (void)TokenCache::from_bytes(cache_bytes(header_with(field, value), two_tokens), "c.tokens");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("source_fnv1a64", "\"ffffffffffffffffffff\""),
            "c.tokens: header field source_fnv1a64 is not 16 hexadecimal digits (is \"ffffffffffffffffffff\")");
  EXPECT_EQ(error("source_fnv1a64", "\"-1\""),
            "c.tokens: header field source_fnv1a64 is not 16 hexadecimal digits (is \"-1\")");
  EXPECT_EQ(error("source_fnv1a64", "\"0X23456789ABCDEF\""),
            "c.tokens: header field source_fnv1a64 is not 16 hexadecimal digits (is \"0X23456789ABCDEF\")");
  EXPECT_EQ(error("token_count", "1e30"), "c.tokens: header field token_count is not an integer ≥ 0 (is 1e+30)");
  EXPECT_EQ(error("token_count", "2.0"), "c.tokens: header field token_count is not an integer ≥ 0 (is 2.0)");
  EXPECT_EQ(error("vocab_size", "1e30"), "c.tokens: header field vocab_size is not an integer (is 1e+30)");
  EXPECT_EQ(error("source_size", "-2"), "c.tokens: header field source_size is not an integer ≥ 0 (is -2)");
}

TEST(TokenCache, ATokenCountWhoseByteCountWrapsIsAnError) {
  // 4 * (2^62 + 2) wraps to the 8 bytes there: the tokens spanned 2^62 + 2 of them and the
  // vocabulary check read past the buffer (AddressSanitizer, fuzz/training_text_fuzz.cpp).
  const std::string two_tokens("a\0\0\0b\0\0\0", 8);
  try {
    (void)TokenCache::from_bytes(cache_bytes(header_with("token_count", "4611686018427387906"), two_tokens), "c");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "c: header says 4611686018427387906 tokens (more than 2^64 bytes) but 8 bytes follow it");
  }
  EXPECT_THROW((void)TokenCache::from_bytes(cache_bytes(header_with("token_count", "2"), two_tokens + "x"), "c"),
               Error);
}

TEST_F(TokenCacheTest, InvalidUtf8IsAnErrorNamingTheTextFile) {
  // It named "text" (seen in fuzz/training_text_fuzz.cpp's refusals).
  const auto text = dir_ / "corpus.txt";
  io::write_file_atomically(text, "ab\xff" "c\n");
  expect_error_containing([&] { (void)TokenCache::open_or_build(text, TextTokenizer::from_name("gpt2"), dir_ / "c"); },
                          text.string() + ": invalid UTF-8 at byte offset 2");
  EXPECT_EQ(TokenCache::open_or_build(text, TextTokenizer::from_name("bytes"), dir_ / "c").tokens().size(), 5u);
}

TEST(TextTokenizer, Gpt2TokensAreTiktokens) {
  const auto gpt2 = TextTokenizer::from_name("gpt2");
  EXPECT_EQ(gpt2.vocab_size(), 50257);
  // tiktoken: tiktoken.get_encoding("gpt2").encode("Hello world") == [15496, 995]
  EXPECT_EQ(gpt2.encode("Hello world"), (std::vector<std::uint32_t>{15496, 995}));
  const std::vector<std::uint32_t> ids{15496, 995};
  EXPECT_EQ(gpt2.decode(ids), "Hello world");
  // Special tokens are plain text in a training corpus.
  EXPECT_GT(gpt2.encode("<|endoftext|>").size(), 1u);
}

TEST(TextTokenizer, UnknownNameIsAnError) {
  expect_error_containing([] { (void)TextTokenizer::from_name("letters"); }, "unknown tokenizer 'letters'");
  const auto bytes = TextTokenizer::from_name("bytes");
  const std::vector<std::uint32_t> ids{104, 105};
  EXPECT_EQ(bytes.decode(ids), "hi");
}

// A rank file of one's own has no published hash to match: gpt2's is not applied to it.
TEST_F(TokenCacheTest, AnyRankFileIsATokenizerWithoutAHashCheck) {
  const std::string r50k = io::read_file_bytes(std::filesystem::path(POSEMB_DATA_DIR) / "encodings/r50k_base.tiktoken");
  std::size_t end = 0;
  for (int line = 0; line < 300; ++line) end = r50k.find('\n', end) + 1;  // the 256 bytes and 44 merges
  io::write_file_atomically(dir_ / "small.tiktoken", r50k.substr(0, end));
  const auto small = TextTokenizer::from_name((dir_ / "small.tiktoken").string());
  EXPECT_EQ(small.vocab_size(), 300);
  EXPECT_EQ(small.name(), "small");
}

TEST(Fnv1a, KnownValues) {
  // Reference values of FNV-1a 64 (Fowler, Noll, Vo): "" and "a".
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace posemb::data
