// The Encoding API: special-token policy, errors that name what and where, decoding, batches.
#include "posemb/tokenizer/encoding.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "posemb/core/error.hpp"

namespace posemb::tokenizer {
namespace {

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Encoding, KnownNamesAndVocabularySizes) {
  EXPECT_EQ(Encoding::known_names(), (std::vector<std::string>{"gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base"}));
  EXPECT_EQ(Encoding::load("p50k_base").n_vocab(), 50281u);
  EXPECT_EQ(Encoding::load("cl100k_base").n_vocab(), 100277u);
  EXPECT_EQ(Encoding::load("o200k_base").n_vocab(), 200019u);
  EXPECT_EQ(&Encoding::load("cl100k_base"), &Encoding::load("cl100k_base")) << "loaded once";
  EXPECT_EQ(error_of([] { (void)Encoding::load("gpt5"); }),
            "unknown encoding `gpt5` (known: gpt2, r50k_base, p50k_base, cl100k_base, o200k_base)");
  EXPECT_NE(error_of([] { (void)Encoding::load("cl100k_base", "/nonexistent-folder"); })
                .find("/nonexistent-folder/cl100k_base.tiktoken"),
            std::string::npos);
}

TEST(Encoding, SpecialTokensAreRefusedUnlessAllowed) {
  const Encoding& gpt2 = Encoding::gpt2();
  const std::string text = "hi <|endoftext|>";
  EXPECT_EQ(error_of([&] { (void)gpt2.encode(text); }),
            "text contains the special token <|endoftext|> at byte offset 3, which is not allowed here (allow it to "
            "encode it as a special token, or encode it as ordinary text)");
  const auto allowed = gpt2.encode(text, SpecialTokenSet::of({"<|endoftext|>"}));
  EXPECT_EQ(allowed.back(), 50256u);
  const auto ordinary = gpt2.encode_ordinary(text);
  EXPECT_EQ(std::count(ordinary.begin(), ordinary.end(), 50256u), 0);
  EXPECT_EQ(gpt2.encode(text, SpecialTokenSet::none(), SpecialTokenSet::none()), ordinary);
  EXPECT_EQ(gpt2.decode_bytes(allowed), text);
  EXPECT_EQ(gpt2.decode_bytes(ordinary), text);
  EXPECT_EQ(error_of([&] { (void)gpt2.encode(text, SpecialTokenSet::of({"<|im_start|>"})); }),
            "allowed special token `<|im_start|>` is not a special token of encoding gpt2");
}

// Many special tokens in one text: each is found once (the search does not restart from the
// beginning), and the text between them is encoded as ordinary text.
TEST(Encoding, ManyAllowedSpecialTokensBetweenText) {
  const Encoding& cl100k = Encoding::load("cl100k_base");
  std::string text;
  std::vector<Rank> expected;
  for (int i = 0; i < 2000; ++i) {
    const std::string word = fmt::format(" word{}", i);
    text += word + (i % 2 ? "<|fim_prefix|>" : "<|endoftext|>");
    const auto ids = cl100k.encode_ordinary(word);
    expected.insert(expected.end(), ids.begin(), ids.end());
    expected.push_back(i % 2 ? 100258u : 100257u);
  }
  EXPECT_EQ(cl100k.encode(text, SpecialTokenSet::all()), expected);
  EXPECT_EQ(cl100k.decode_bytes(expected), text);
}

TEST(Encoding, InvalidUtf8IsAnErrorNamingTheByteOffset) {
  EXPECT_EQ(error_of([] { (void)Encoding::gpt2().encode_ordinary("abc\xC3("); }),
            "text: invalid UTF-8 at byte offset 3 (bytes 0xc3 0x28)");
  EXPECT_EQ(error_of([] { (void)Encoding::gpt2().encode("\xFF"); }), "text: invalid UTF-8 at byte offset 0 (bytes 0xff)");
}

TEST(Encoding, DecodeReplacesInvalidUtf8AndRejectsUnknownIds) {
  const Encoding& gpt2 = Encoding::gpt2();
  const auto ids = gpt2.encode_ordinary("é😀");
  ASSERT_GT(ids.size(), 1u);
  const std::vector<Rank> head(ids.begin(), ids.end() - 1);  // cut inside the emoji
  EXPECT_EQ(gpt2.decode_bytes(head).substr(0, 2), "é");
  EXPECT_EQ(gpt2.decode(head).substr(gpt2.decode(head).size() - 3), "\uFFFD");
  const std::vector<Rank> bad = {31373, 50257};
  EXPECT_EQ(error_of([&] { (void)gpt2.decode_bytes(bad); }),
            "token 1 of 2: token id 50257 is out of range for encoding gpt2: its ids are 0 to 50256");
  EXPECT_EQ(gpt2.token_of("hello"), std::optional<Rank>(31373));
  EXPECT_EQ(gpt2.token_of("<|endoftext|>"), std::optional<Rank>(50256));
  EXPECT_EQ(gpt2.token_of("hello world"), std::nullopt);
}

// cl100k_base has no token at 100256 nor from 100261 to 100275: ids inside the range that
// name nothing.
TEST(Encoding, DecodingAnUnusedIdSaysWhichIdsHoldTokens) {
  const Encoding& cl100k = Encoding::load("cl100k_base");
  EXPECT_EQ(error_of([&] { (void)cl100k.decode_bytes(std::vector<Rank>{100256}); }),
            "token 0 of 1: token id 100256 is unused in encoding cl100k_base: no token has it. Its ordinary tokens "
            "are 100256 ids from 0 to 100255, its special tokens 100257 <|endoftext|>, 100258 <|fim_prefix|>, "
            "100259 <|fim_middle|>, 100260 <|fim_suffix|>, 100276 <|endofprompt|>");
  EXPECT_NE(error_of([&] { (void)cl100k.decode_bytes(std::vector<Rank>{100270}); }).find("100270 is unused"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { (void)cl100k.decode_bytes(std::vector<Rank>{100277}); }),
            "token 0 of 1: token id 100277 is out of range for encoding cl100k_base: its ids are 0 to 100276");
}

TEST(Encoding, BatchEqualsOneByOneInOrder) {
  const Encoding& encoding = Encoding::load("cl100k_base");
  std::vector<std::string> storage;
  for (int i = 0; i < 200; ++i) storage.push_back(fmt::format("text {} with {} words, ünïcode and 😀 x{}", i, i * 7, std::string(i % 13, 'z')));
  const std::vector<std::string_view> texts(storage.begin(), storage.end());
  const auto batch = encoding.encode_ordinary_batch(texts, 2);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], encoding.encode_ordinary(texts[i]));
  EXPECT_EQ(encoding.encode_batch(texts, SpecialTokenSet::none(), SpecialTokenSet::all(), 2), batch);
}

TEST(Encoding, BatchErrorNamesTheText) {
  const std::vector<std::string_view> texts = {"fine", "also fine", "bad \xFF", "<|endoftext|>"};
  EXPECT_EQ(error_of([&] { (void)Encoding::gpt2().encode_batch(texts, SpecialTokenSet::none(), SpecialTokenSet::all(), 2); }),
            "text 2: text: invalid UTF-8 at byte offset 4 (bytes 0xff)");
}

}  // namespace
}  // namespace posemb::tokenizer
