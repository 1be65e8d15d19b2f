// Our ids against tiktoken's (npm tiktoken 1.0.22) for every golden case of every encoding.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "golden_cases.hpp"
#include "posemb/core/error.hpp"

namespace posemb::tokenizer {
namespace {

using testing::load_goldens;

class GoldenTest : public ::testing::TestWithParam<std::string> {};

std::string shown(const std::string& text) {
  std::string out;
  for (unsigned char c : text.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  return out + (text.size() > 60 ? "..." : "");
}

TEST_P(GoldenTest, EncodeOrdinaryEncodeAndAllSpecialMatchTiktoken) {
  const Encoding& encoding = Encoding::load(GetParam());
  const auto goldens = load_goldens(GetParam());
  ASSERT_GT(goldens.cases.size(), 2000u);
  int mismatches = 0;  // stop after a screenful
  for (const auto& c : goldens.cases) {
    const auto ordinary = encoding.encode_ordinary(c.text);
    const auto all_special = encoding.encode(c.text, SpecialTokenSet::all());
    EXPECT_EQ(ordinary, c.ordinary) << c.name << " `" << shown(c.text) << "`";
    EXPECT_EQ(all_special, c.all_special) << c.name << " `" << shown(c.text) << "`";
    mismatches += (ordinary != c.ordinary) + (all_special != c.all_special);
    if (c.encode) {
      const auto ids = encoding.encode(c.text);
      EXPECT_EQ(ids, *c.encode) << c.name;
      mismatches += ids != *c.encode;
    } else {
      EXPECT_THROW((void)encoding.encode(c.text), Error) << c.name << ": tiktoken refuses this text";
    }
    if (mismatches > 20) FAIL() << "more than 20 mismatches; stopping";
  }
}

TEST_P(GoldenTest, AllowedAndDisallowedSpecialTokensMatchTiktoken) {
  const Encoding& encoding = Encoding::load(GetParam());
  const auto goldens = load_goldens(GetParam());
  ASSERT_FALSE(goldens.policy.empty());
  int refused = 0;
  for (const auto& c : goldens.policy) {
    if (c.ids) {
      EXPECT_EQ(encoding.encode(c.text, c.allowed, c.disallowed), *c.ids) << shown(c.text);
    } else {
      ++refused;
      EXPECT_THROW((void)encoding.encode(c.text, c.allowed, c.disallowed), Error) << shown(c.text);
    }
  }
  EXPECT_GT(refused, 0) << "the goldens should include refused texts";
}

TEST_P(GoldenTest, DecodeMatchesTiktokenBytesAndTextDecoder) {
  const Encoding& encoding = Encoding::load(GetParam());
  const auto goldens = load_goldens(GetParam());
  ASSERT_FALSE(goldens.decode.empty());
  for (const auto& c : goldens.decode) {
    EXPECT_EQ(encoding.decode_bytes(c.ids), c.bytes);
    EXPECT_EQ(encoding.decode(c.ids), c.text);
  }
}

INSTANTIATE_TEST_SUITE_P(Tiktoken, GoldenTest,
                         ::testing::Values("r50k_base", "p50k_base", "cl100k_base", "o200k_base"));

// gpt2 is r50k_base built in: same goldens, no files.
TEST(BuiltInGpt2, MatchesTheR50kGoldens) {
  const auto goldens = load_goldens("r50k_base");
  for (const auto& c : goldens.cases) EXPECT_EQ(Encoding::gpt2().encode_ordinary(c.text), c.ordinary) << c.name;
  EXPECT_EQ(Encoding::gpt2().name(), "gpt2");
  EXPECT_EQ(Encoding::gpt2().n_vocab(), 50257u);
}

}  // namespace
}  // namespace posemb::tokenizer
