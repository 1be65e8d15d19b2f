// decode(encode(x)) == x for random valid UTF-8 in every encoding (deterministic seeds).
#include <gtest/gtest.h>

#include <random>

#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/utf8.hpp"

namespace posemb::tokenizer {
namespace {

std::string encode_utf8(std::uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Random text: mostly ASCII, then anything in the code space but surrogates.
std::string random_text(std::mt19937& random) {
  std::string text;
  const std::size_t length = random() % 64;
  for (std::size_t i = 0; i < length; ++i) {
    std::uint32_t cp;
    switch (random() % 4) {
      case 0: cp = 0x20 + random() % 0x5F; break;
      case 1: cp = " \t\n\r'sS"[random() % 7]; break;
      case 2: cp = 0x80 + random() % 0x3000; break;
      default: cp = random() % 0x110000; break;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    text += encode_utf8(cp);
  }
  return text;
}

TEST(RoundTrip, RandomValidUtf8DecodesToItselfInEveryEncoding) {
  for (const auto& name : Encoding::known_names()) {
    const Encoding& encoding = Encoding::load(name);
    std::mt19937 random(2024);
    for (int round = 0; round < 3000; ++round) {
      const std::string text = random_text(random);
      const auto ids = encoding.encode_ordinary(text);
      ASSERT_EQ(encoding.decode_bytes(ids), text) << name;
      ASSERT_EQ(encoding.decode(ids), text) << name;
      ASSERT_EQ(encoding.encode(text, SpecialTokenSet::all()), ids) << name << ": no special tokens in random text";
    }
  }
}

TEST(RoundTrip, LossyConversionOfRandomBytesEncodesAndRoundTrips) {
  std::mt19937 random(99);
  for (int round = 0; round < 3000; ++round) {
    std::string bytes(random() % 48, '\0');
    for (auto& b : bytes) b = static_cast<char>(random() % 3 ? random() % 256 : 'a');
    const std::string text = to_valid_utf8(bytes);
    ASSERT_EQ(first_invalid_utf8(text), std::nullopt);
    if (first_invalid_utf8(bytes) == std::nullopt) {
      EXPECT_EQ(text, bytes);
    }
    EXPECT_EQ(Encoding::gpt2().decode_bytes(Encoding::gpt2().encode_ordinary(text)), text);
  }
}

}  // namespace
}  // namespace posemb::tokenizer
