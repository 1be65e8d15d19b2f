// The fast byte-pair merge (array scan, heap) against the plain reference loop.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>

#include "posemb/tokenizer/byte_pair_merge.hpp"
#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/rank_file.hpp"
#include "posemb/io/file.hpp"

namespace posemb::tokenizer {
namespace {

class BytePairMergeTest : public ::testing::TestWithParam<std::string> {
 protected:
  static const RankTable& ranks(const std::string& name) {
    static std::map<std::string, std::unique_ptr<RankTable>> tables;
    auto& table = tables[name];
    if (!table) {
      const std::string path = std::string(POSEMB_DATA_DIR) + "/encodings/" + name + ".tiktoken";
      table = std::make_unique<RankTable>(parse_tiktoken_ranks(io::read_file_bytes(path), path), path);
    }
    return *table;
  }
};

// Pieces that merge a lot: words, repeated characters, digits, multi-byte characters.
std::string random_piece(std::mt19937& random, std::size_t length) {
  static const std::vector<std::string> parts = {"a", "b", "e", "th", "in", "er", " ", "1", "0", "é", "中", "😀",
                                                 "\xE0\xA4\x95", "ing", "tion", "=", "-", "\xFF", "\x80"};
  std::string piece;
  const std::size_t pool = 1 + random() % parts.size();  // some pieces use few distinct parts
  while (piece.size() < length) piece += parts[random() % pool];
  return piece;
}

TEST_P(BytePairMergeTest, ScanAndHeapEqualTheReference) {
  const RankTable& table = ranks(GetParam());
  std::mt19937 random(12345);
  for (int round = 0; round < 400; ++round) {
    const std::string piece = random_piece(random, 1 + random() % (round < 300 ? 40 : 400));
    std::vector<Rank> expected, scan, heap, fast;
    byte_pair_encode_reference(piece, table, expected);
    byte_pair_encode_scan(piece, table, scan);
    byte_pair_encode_heap(piece, table, heap);
    byte_pair_encode(piece, table, fast);
    ASSERT_EQ(scan, expected) << piece;
    ASSERT_EQ(heap, expected) << piece;
    ASSERT_EQ(fast, expected) << piece;
  }
}

TEST_P(BytePairMergeTest, LongRunsOfOneCharacterEqualTheReference) {
  const RankTable& table = ranks(GetParam());
  for (const std::string unit : {"a", " ", "1", "\xC3\xA9", "\xF0\x9F\x98\x80", "ab", "\n"}) {
    std::string piece;
    for (int i = 0; i < 300; ++i) piece += unit;
    std::vector<Rank> expected, heap;
    byte_pair_encode_reference(piece, table, expected);
    byte_pair_encode_heap(piece, table, heap);
    EXPECT_EQ(heap, expected) << unit;
  }
}

INSTANTIATE_TEST_SUITE_P(Encodings, BytePairMergeTest,
                         ::testing::Values("r50k_base", "p50k_base", "cl100k_base", "o200k_base"));

// 1 MB of one character is one piece in every encoding: the heap merge must handle it
// (tiktoken's quadratic loop would take minutes). No timing here; see bench/.
TEST(LongPieces, OneMegabyteOfOneCharacterRoundTrips) {
  for (const auto& name : {"gpt2", "cl100k_base", "o200k_base"}) {
    const Encoding& encoding = Encoding::load(name);
    for (const char c : {'a', ' ', '7'}) {
      const std::string text(1 << 20, c);
      const auto ids = encoding.encode_ordinary(text);
      EXPECT_EQ(encoding.decode_bytes(ids), text) << name << " '" << c << "'";
    }
  }
}

}  // namespace
}  // namespace posemb::tokenizer
