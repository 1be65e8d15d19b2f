// `posemb embed` against the notebook run in torch (tests/goldens/embedding/notebook_*.txt,
// written by tools/goldens/embedding/notebook.py): same lines, character for character.
// This holds because our generator draws torch's numbers bit for bit (tests/core/random_test.cpp)
// and our printing is torch's (tests/core/tensor_print_test.cpp).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_run.hpp"
#include "posemb/io/file.hpp"

namespace posemb {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(EmbedNotebook, PrintsWhatTheTorchNotebookPrints) {
  const auto manifest = nlohmann::json::parse(io::read_file_bytes(POSEMB_GOLDENS_DIR "/embedding/notebook_cases.json"));
  ASSERT_GE(manifest.at("cases").size(), 7u);
  for (const auto& c : manifest.at("cases")) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    std::vector<std::string> args{"embed"};
    for (const auto& a : c.at("args")) args.push_back(a.get<std::string>());
    const auto run = testing::run_posemb(args);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err, "");
    const std::string expected =
        io::read_file_bytes(std::string(POSEMB_GOLDENS_DIR "/embedding/") + c.at("file").get<std::string>());
    const auto ours = lines_of(run.out), torch = lines_of(expected);
    ASSERT_EQ(ours.size(), torch.size()) << run.out;
    for (std::size_t i = 0; i < ours.size(); ++i) EXPECT_EQ(ours[i], torch[i]) << "line " << i + 1;
    EXPECT_EQ(run.out, expected);  // and nothing else (final newline included)
  }
}

TEST(EmbedNotebook, TextFromStandardInputIsTheSame) {
  const auto run = testing::run_posemb({"embed", "-"}, "Hello my name is Ajay");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, io::read_file_bytes(POSEMB_GOLDENS_DIR "/embedding/notebook_default.txt"));
}

}  // namespace
}  // namespace posemb
