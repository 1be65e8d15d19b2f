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

TEST(Fnv1a, KnownValues) {
  // Reference values of FNV-1a 64 (Fowler, Noll, Vo): "" and "a".
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace posemb::data
