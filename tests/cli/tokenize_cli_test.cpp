// posemb tokenize / decode, run as a user would: arguments, stdin, files, exit codes.
// Expected ids come from the committed goldens (tiktoken) where the text is one of theirs.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "posemb/io/file.hpp"
#include "tokenize_run.hpp"

namespace posemb::cli {
namespace {

using testing::run_posemb;

// The tiktoken ids of a golden text, as the CLI prints them.
std::string golden_ids(const std::string& encoding, const std::string& text, const char* field = "ordinary",
                       bool json = false) {
  const auto goldens =
      nlohmann::json::parse(io::read_file_bytes(std::string(POSEMB_GOLDENS_DIR) + "/tokenizer/" + encoding + ".json"));
  for (const auto& c : goldens.at("cases")) {
    if (c.at("text") != text) continue;
    std::string out = json ? "[" : "";
    bool first = true;
    for (const auto& id : c.at(field)) {
      if (!first) out += json ? "," : " ";
      out += std::to_string(id.get<unsigned>());
      first = false;
    }
    return out + (json ? "]\n" : "\n");
  }
  ADD_FAILURE() << "no golden case for the text";
  return "";
}

const std::string kProse = "The quick brown fox jumps over the lazy dog. It's 9:45pm and I've eaten 3.5 pizzas!";

TEST(TokenizeCli, TextArgumentStdinAndFileGiveTiktokensIds) {
  const auto expected = golden_ids("r50k_base", kProse);
  const auto from_argument = run_posemb({"tokenize", kProse});
  EXPECT_EQ(from_argument.exit_code, 0) << from_argument.err;
  EXPECT_EQ(from_argument.out, expected);
  EXPECT_EQ(run_posemb({"tokenize"}, kProse).out, expected);
  EXPECT_EQ(run_posemb({"tokenize", "-"}, kProse).out, expected);
  const auto file = std::filesystem::path(::testing::TempDir()) / "posemb_tokenize_input.txt";
  io::write_file_atomically(file, kProse);
  EXPECT_EQ(run_posemb({"tokenize", "--file", file.string()}).out, expected);
}

// A folder opened for reading fails only on the first read, which was an "internal error".
TEST(TokenizeCli, AFolderGivenAsTheFileIsAnErrorSayingSo) {
  const auto folder = std::filesystem::path(::testing::TempDir()) / "posemb_tokenize_folder";
  std::filesystem::create_directories(folder);
  const auto run = run_posemb({"tokenize", "--file", folder.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "posemb: error: " + folder.string() + ": is a folder, not a file\n");
}

TEST(TokenizeCli, EncodingsFormatsAndCount) {
  for (const std::string encoding : {"cl100k_base", "o200k_base", "p50k_base"}) {
    const auto r = run_posemb({"tokenize", "-e", encoding, "--format", "json", kProse});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, golden_ids(encoding, kProse, "ordinary", true)) << encoding;
  }
  const auto count = run_posemb({"tokenize", "--count", "-e", "cl100k_base", kProse});
  const auto ids = nlohmann::json::parse(golden_ids("cl100k_base", kProse, "ordinary", true));
  EXPECT_EQ(count.out, std::to_string(ids.size()) + "\n");
}

TEST(TokenizeCli, SpecialTokensNeedAnExplicitChoice) {
  const std::string text = "hello <|endoftext|> world";
  const auto refused = run_posemb({"tokenize", text});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("<|endoftext|> at byte offset 6"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("--allow-special"), std::string::npos) << refused.err;
  EXPECT_EQ(run_posemb({"tokenize", "--allow-special", "all", text}).out, golden_ids("r50k_base", text, "all_special"));
  EXPECT_EQ(run_posemb({"tokenize", "--ordinary", text}).out, golden_ids("r50k_base", text, "ordinary"));
  const auto unknown = run_posemb({"tokenize", "--allow-special", "<|im_start|>", "x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("<|im_start|>"), std::string::npos);
}

TEST(TokenizeCli, InvalidUtf8IsAnErrorUnlessLossy) {
  const auto bad = run_posemb({"tokenize"}, "ab\xFF" "c");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "posemb: error: input: invalid UTF-8 at byte offset 2 (bytes 0xff 0x63); pass --lossy to "
                     "replace invalid bytes with U+FFFD\n");
  const auto lossy = run_posemb({"tokenize", "--lossy"}, "ab\xFF" "c");
  EXPECT_EQ(lossy.exit_code, 0);
  EXPECT_EQ(run_posemb({"decode"}, lossy.out).out, "ab\uFFFD" "c\n");
}

TEST(TokenizeCli, JsonLinesModeGivesOneArrayPerLine) {
  const std::vector<std::string> texts = {kProse, "naïve café résumé", "<|endoftext|>"};
  std::string input;
  for (const auto& t : texts) input += nlohmann::json(t).dump() + "\n";
  const auto r = run_posemb({"tokenize", "--jsonl", "--ordinary", "-j", "2"}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (const auto& t : texts) expected += golden_ids("r50k_base", t, "ordinary", true);
  EXPECT_EQ(r.out, expected);
  std::string expected_counts;
  for (const auto& t : texts)
    expected_counts += std::to_string(nlohmann::json::parse(golden_ids("r50k_base", t, "ordinary", true)).size()) + "\n";
  EXPECT_EQ(run_posemb({"tokenize", "--jsonl", "--count", "--ordinary"}, input).out, expected_counts);
  const auto refused = run_posemb({"tokenize", "--jsonl"}, input);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("text 2:"), std::string::npos) << refused.err;
  const auto not_json = run_posemb({"tokenize", "--jsonl"}, "\"ok\"\nnot json\n");
  EXPECT_EQ(not_json.exit_code, 1);
  EXPECT_NE(not_json.err.find("input:2: not JSON"), std::string::npos) << not_json.err;
}

TEST(DecodeCli, IdsToTextAndBytes) {
  const auto ids = run_posemb({"tokenize", kProse}).out;
  EXPECT_EQ(run_posemb({"decode"}, ids).out, kProse + "\n");
  EXPECT_EQ(run_posemb({"decode", "15496", "995"}).out, "Hello world\n");
  EXPECT_EQ(run_posemb({"decode", "[15496,995]"}).out, "Hello world\n");
  EXPECT_EQ(run_posemb({"decode", "--bytes", "15496", "995"}).out, "Hello world");
  EXPECT_EQ(run_posemb({"decode", "--jsonl"}, "[15496,995]\n[50256]\n").out, "\"Hello world\"\n\"<|endoftext|>\"\n");
  const auto unknown = run_posemb({"decode", "15496", "50257"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err,
            "posemb: error: token 1 of 2: token id 50257 is out of range for encoding gpt2: its ids are 0 to 50256\n");
  const auto unused = run_posemb({"decode", "-e", "cl100k_base", "100256"});
  EXPECT_EQ(unused.exit_code, 1);
  EXPECT_NE(unused.err.find("token id 100256 is unused in encoding cl100k_base: no token has it. Its ordinary tokens "
                            "are 100256 ids from 0 to 100255"),
            std::string::npos)
      << unused.err;
  const auto garbage = run_posemb({"decode", "12", "x7"});
  EXPECT_EQ(garbage.exit_code, 1);
  EXPECT_EQ(garbage.err, "posemb: error: argument 2: `x7` at byte offset 0 is not a token id\n");
}

TEST(DecodeCli, JsonLinesIdsAreJsonIntegersBelow2To32) {
  EXPECT_EQ(run_posemb({"decode", "--jsonl"}, "[15496, 995]\r\n[]\n[-0]").out, "\"Hello world\"\n\"\"\n\"!\"\n");
  // nlohmann would convert each of these to an id without a word (1.5 -> 1, true -> 1, 2^32 -> 0).
  for (const auto& [line, shown] : std::vector<std::pair<std::string, std::string>>{{"[1.5]", "1.5"},
                                                                                    {"[1.0]", "1.0"},
                                                                                    {"[true]", "true"},
                                                                                    {"[-1]", "-1"},
                                                                                    {"[4294967296]", "4294967296"},
                                                                                    {"[\"1\"]", "\"1\""},
                                                                                    {"[null]", "null"},
                                                                                    {"[[1]]", "[1]"}}) {
    const auto r = run_posemb({"decode", "--jsonl"}, "[15496]\n[995, " + line.substr(1) + "\n");
    EXPECT_EQ(r.exit_code, 1) << line;
    EXPECT_EQ(r.out, "") << line;
    EXPECT_EQ(r.err, "posemb: error: stdin:2: element 1 of the array, " + shown +
                         ", is not a token id (an integer in [0, 2^32))\n")
        << line;
  }
  const auto largest = run_posemb({"decode", "--jsonl"}, "[4294967295]\n");
  EXPECT_EQ(largest.err, "posemb: error: stdin:1: token 0 of 1: token id 4294967295 is out of range for encoding "
                         "gpt2: its ids are 0 to 50256\n");
  const auto object = run_posemb({"decode", "--jsonl"}, "{\"ids\": [1]}\n");
  EXPECT_EQ(object.exit_code, 1);
  EXPECT_EQ(object.err, "posemb: error: stdin:1: expected a JSON array of token ids, got {\"ids\":[1]}\n");
}

TEST(DecodeCli, JsonLinesBlankLineIsAnErrorAsInTokenize) {
  // Output line k is the text of input line k; a skipped blank line would shift every later one.
  for (const std::string blank : {"", " ", "\t\r"}) {
    const auto r = run_posemb({"decode", "--jsonl"}, "[15496]\n" + blank + "\n[995]\n");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "posemb: error: stdin:2: blank line; each line must be one JSON array of token ids\n");
  }
  const auto tokenize = run_posemb({"tokenize", "--jsonl"}, "\"a\"\n\n\"b\"\n");
  EXPECT_EQ(tokenize.exit_code, 1);
  EXPECT_EQ(tokenize.err, "posemb: error: input:2: blank line; each line must be one JSON string\n");
}

TEST(TokenizeCli, HelpAndUnknownEncoding) {
  const auto help = run_posemb({"tokenize", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--allow-special"), std::string::npos);
  EXPECT_EQ(run_posemb({"decode", "--help"}).exit_code, 0);
  const auto unknown = run_posemb({"tokenize", "-e", "gpt5", "x"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("unknown encoding `gpt5`"), std::string::npos);
}

// The report: `head -n 300 cl100k_base.tiktoken` in $POSEMB_ENCODINGS_DIR printed "71 72" for
// "hi" and exited 0. The file is not OpenAI's (tiktoken's expected_hash), so it is refused.
TEST(TokenizeCli, ATruncatedKnownRankFileIsRefused) {
  const std::string full = io::read_file_bytes(std::string(POSEMB_DATA_DIR) + "/encodings/cl100k_base.tiktoken");
  std::size_t end = 0;
  for (int line = 0; line < 300; ++line) end = full.find('\n', end) + 1;
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("posemb_truncated_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cl100k_base.tiktoken", std::ios::binary) << full.substr(0, end);
  ::setenv("POSEMB_ENCODINGS_DIR", dir.c_str(), 1);
  const auto r = run_posemb({"tokenize", "-e", "cl100k_base", "hi"});
  ::unsetenv("POSEMB_ENCODINGS_DIR");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  const std::string expected = (dir / "cl100k_base.tiktoken").string() +
                               ": not the published rank file of encoding cl100k_base: expected 1681126 bytes with "
                               "SHA-256 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7, found " +
                               std::to_string(end) + " bytes with SHA-256 ";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(truncated?)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace posemb::cli
