#include "posemb/data/brown_corpus.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::data {
namespace {

TEST(BrownCorpus, StripsTagsAndWritesQuotesAsText) {
  EXPECT_EQ(strip_brown_tags("\tThe/at Fulton/np-tl County/nn-tl ``/`` no/at evidence/nn ''/'' ./."),
            "The Fulton County \" no evidence \" .");
  EXPECT_EQ(strip_brown_tags("Atlanta's/np$ 1/2/cd"), "Atlanta's 1/2");  // only the last '/' starts the tag
  EXPECT_EQ(strip_brown_tags("   "), "");
}

TEST(BrownCorpus, ReadsOnlyCorpusFilesInOrderAndHoldsOutEveryTenth) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "posemb_brown_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int i = 1; i <= 12; ++i)
    io::write_file_atomically(dir / (i < 10 ? "ca0" + std::to_string(i) : "ca" + std::to_string(i)),
                              "\n\n\tWord" + std::to_string(i) + "/nn ./.\n\n");
  io::write_file_atomically(dir / "README", "not a corpus file");
  io::write_file_atomically(dir / "cats.txt", "ca01 news");
  const auto docs = read_brown_documents(dir);
  ASSERT_EQ(docs.size(), 12u);
  EXPECT_EQ(docs[0].name, "ca01");
  EXPECT_EQ(docs[0].text, "Word1 .\n");
  std::size_t held_out = 0;
  const std::string text = brown_corpus_text(docs, &held_out);
  // ca10 (the tenth) goes last; everything else keeps its order.
  EXPECT_EQ(text.substr(held_out), "\nWord10 .\n");
  EXPECT_EQ(text.find("Word9 .\n\nWord11 .\n") != std::string::npos, true) << text;
  std::filesystem::remove_all(dir);
}

TEST(BrownCorpus, MissingFolderSaysHowToInstallIt) {
  try {
    read_brown_documents("/nonexistent-posemb-corpus");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fetch-corpus.sh"), std::string::npos) << e.what();
  }
}

TEST(BrownCorpus, TheInstalledCorpusIsWhole) {
  const auto folder = default_brown_folder();
  if (!std::filesystem::exists(folder / "ca01"))
    GTEST_SKIP() << "corpus not installed at " << folder << " (scripts/fetch-corpus.sh)";
  const auto docs = read_brown_documents(folder);
  EXPECT_EQ(docs.size(), 500u);
  std::size_t held_out = 0;
  const std::string text = brown_corpus_text(docs, &held_out);
  EXPECT_GT(text.size(), 5'000'000u);
  EXPECT_NEAR(double(text.size() - held_out) / double(text.size()), 0.1, 0.02);
  EXPECT_EQ(text.find("/at "), std::string::npos) << "a tag survived";
  EXPECT_EQ(text.rfind("The Fulton County Grand Jury said Friday", 0), 0u);
}

}  // namespace
}  // namespace posemb::data
