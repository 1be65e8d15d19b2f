// The Unicode 16.0 class table (built from data/encodings/unicode-16.0.0-properties.txt)
// against Debian's Unicode 15.0 UnicodeData.txt and PropList.txt: every code point assigned
// in 15.0 keeps its class (general categories are stable), so a damaged or hand-edited data
// file shows here. Code points new in 15.1/16.0 are checked by the goldens against tiktoken.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "unicode_classes.hpp"

namespace posemb::tokenizer::unicode {
namespace {

std::uint8_t class_of_category(const std::string& gc) {
  if (gc == "Lu" || gc == "Lt") return kUpperLetter;
  if (gc == "Ll") return kLowerLetter;
  if (gc == "Lm" || gc == "Lo") return kOtherLetter;
  if (gc[0] == 'M') return kMark;
  if (gc[0] == 'N') return kNumber;
  return 0;
}

TEST(UnicodeTable, AgreesWithDebianUnicode15DataOnEveryCodePointAssignedThere) {
  std::ifstream data("/usr/share/unicode/UnicodeData.txt");
  ASSERT_TRUE(data) << "Debian's unicode-data package (scripts/setup.sh) is needed";
  std::vector<int> expected(0x110000, -1);  // -1: unassigned in 15.0
  std::string line;
  std::uint32_t range_first = 0;
  while (std::getline(data, line)) {
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string f; std::getline(s, f, ';');) fields.push_back(f);
    const auto cp = static_cast<std::uint32_t>(std::stoul(fields[0], nullptr, 16));
    const std::uint8_t cls = class_of_category(fields[2]);
    if (fields[1].find(", First>") != std::string::npos) {
      range_first = cp;
      continue;
    }
    const std::uint32_t first = fields[1].find(", Last>") != std::string::npos ? range_first : cp;
    for (std::uint32_t c = first; c <= cp; ++c) expected[c] = cls;
  }
  std::ifstream props("/usr/share/unicode/PropList.txt");
  ASSERT_TRUE(props);
  while (std::getline(props, line)) {
    if (line.find("; White_Space") == std::string::npos) continue;
    const auto dots = line.find("..");
    const auto first = static_cast<std::uint32_t>(std::stoul(line.substr(0, line.find_first_of(". ")), nullptr, 16));
    const auto last = dots != std::string::npos && dots < line.find(';')
                          ? static_cast<std::uint32_t>(std::stoul(line.substr(dots + 2), nullptr, 16))
                          : first;
    for (std::uint32_t c = first; c <= last; ++c) expected[c] |= kWhiteSpace;
  }
  int assigned = 0;
  for (std::uint32_t cp = 0; cp < 0x110000; ++cp) {
    if (expected[cp] < 0) continue;
    ++assigned;
    ASSERT_EQ(char_class(cp), expected[cp]) << "U+" << std::hex << cp;
  }
  EXPECT_GT(assigned, 280000);  // Unicode 15.0 assigns 289,460 code points (with private use)
}

TEST(UnicodeTable, KnowsCodePointsAssignedInUnicode16) {
  EXPECT_EQ(char_class(0x2EBF0), kOtherLetter);  // CJK Extension I (15.1)
  EXPECT_EQ(char_class(0x105C0), kOtherLetter);  // Todhri (16.0)
  EXPECT_EQ(char_class(0xA7CB), kUpperLetter);   // LATIN CAPITAL LETTER RAMS HORN (16.0)
  EXPECT_EQ(char_class(0x1CCF0), kNumber);       // OUTLINED DIGIT ZERO (16.0)
  EXPECT_EQ(char_class(0xA7CE), 0);              // assigned in 17.0: not yet for tiktoken
}

}  // namespace
}  // namespace posemb::tokenizer::unicode
