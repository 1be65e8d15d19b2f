// The known encodings' rank files are OpenAI's published files, checked by size and SHA-256 as
// tiktoken checks them (load_tiktoken_bpe(..., expected_hash=...)); a truncated or edited copy is
// refused instead of loading into a tokenizer that is wrong without a word.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer {
namespace {

namespace fs = std::filesystem;

const fs::path kEncodings = fs::path(POSEMB_DATA_DIR) / "encodings";

// expected_hash in tiktoken's tiktoken_ext/openai_public.py (gpt2 is r50k_base's file).
const std::map<std::string, std::string> kTiktokenHash = {
    {"gpt2", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"},
    {"r50k_base", "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"},
    {"p50k_base", "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"},
    {"cl100k_base", "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"},
    {"o200k_base", "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"},
};

// An empty folder named after the running test.
fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = fs::path(::testing::TempDir()) / "posemb_tokenizer" /
                   (std::string(info->test_suite_name()) + "." + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// The message for `path` when it is not the published cl100k_base file, up to the actual hash,
// which is checked to be 64 hex digits other than the expected ones.
void expect_refused(const std::string& message, const fs::path& path, std::size_t actual_size, std::string_view hint) {
  const std::string expected_hash = kTiktokenHash.at("cl100k_base");
  const std::string head = fmt::format(
      "{}: not the published rank file of encoding cl100k_base: expected 1681126 bytes with SHA-256 {}, found {} "
      "bytes with SHA-256 ",
      path.string(), expected_hash, actual_size);
  const std::string tail = fmt::format(" ({})", hint);
  ASSERT_EQ(message.size(), head.size() + 64 + tail.size()) << message;
  EXPECT_EQ(message.substr(0, head.size()), head);
  EXPECT_EQ(message.substr(head.size() + 64), tail);
  const std::string actual_hash = message.substr(head.size(), 64);
  for (const char c : actual_hash)
    EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c)))
        << actual_hash;
  EXPECT_NE(actual_hash, expected_hash);
}

TEST(KnownRankFiles, EachKnownEncodingExpectsTiktokensHash) {
  for (const auto& name : Encoding::known_names()) {
    const auto& digest = Encoding::spec_of(name).rank_file_digest;
    ASSERT_TRUE(digest.has_value()) << name;
    EXPECT_EQ(digest->sha256, kTiktokenHash.at(name)) << name;
    // The committed file is that file, and loads.
    const fs::path file = kEncodings / Encoding::spec_of(name).rank_file;
    EXPECT_EQ(fs::file_size(file), digest->size) << name;
    EXPECT_NO_THROW((void)Encoding::load(name, kEncodings)) << name;
  }
}

// The report: `head -n 300 cl100k_base.tiktoken` loaded and tokenized "hi" as "71 72".
TEST(KnownRankFiles, ATruncatedCopyIsRefused) {
  const std::string full = io::read_file_bytes(kEncodings / "cl100k_base.tiktoken");
  std::size_t end = 0;
  for (int line = 0; line < 300; ++line) end = full.find('\n', end) + 1;
  const std::string truncated = full.substr(0, end);
  const fs::path dir = fresh_dir();
  write(dir / "cl100k_base.tiktoken", truncated);

  expect_refused(error_of([&] { (void)Encoding::load("cl100k_base", dir); }), dir / "cl100k_base.tiktoken",
                 truncated.size(), "truncated?");
  // What the check prevents: without it, the first 300 ranks make a valid, wrong tokenizer.
  // The published file has "hi" as one token (`aGk= 6151`); the copy has only its bytes
  // (`aA== 71`, `aQ== 72`).
  EncodingSpec unchecked = Encoding::spec_of("cl100k_base");
  unchecked.rank_file_digest.reset();
  const Encoding wrong = Encoding::from_rank_file(unchecked, dir / "cl100k_base.tiktoken");
  EXPECT_EQ(wrong.encode("hi"), (std::vector<Rank>{71, 72}));
  EXPECT_EQ(Encoding::load("cl100k_base", kEncodings).encode("hi"), (std::vector<Rank>{6151}));
}

TEST(KnownRankFiles, OneAlteredByteIsRefused) {
  std::string bytes = io::read_file_bytes(kEncodings / "cl100k_base.tiktoken");
  // A base64 letter in the middle of the file: same size, a different token.
  std::size_t at = bytes.find('\n', bytes.size() / 2) + 1;
  bytes[at] = bytes[at] == 'Q' ? 'R' : 'Q';
  const fs::path dir = fresh_dir();
  write(dir / "cl100k_base.tiktoken", bytes);
  expect_refused(error_of([&] { (void)Encoding::load("cl100k_base", dir); }), dir / "cl100k_base.tiktoken",
                 bytes.size(), "altered?");
  bytes += "IQ== 999999\n";
  write(dir / "cl100k_base.tiktoken", bytes);
  expect_refused(error_of([&] { (void)Encoding::load("cl100k_base", dir); }), dir / "cl100k_base.tiktoken",
                 bytes.size(), "something appended?");
}

}  // namespace
}  // namespace posemb::tokenizer
