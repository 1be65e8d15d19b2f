#include "posemb/io/file.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "posemb/core/error.hpp"

namespace posemb::io {
namespace {

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporary) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "posemb_file_test";
  std::filesystem::create_directories(dir);
  const auto path = dir / "out.bin";
  write_file_atomically(path, "first");
  write_file_atomically(path, std::string("second\0bytes", 12));
  EXPECT_EQ(read_file_bytes(path), std::string("second\0bytes", 12));
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) entries += e.path() == path ? 0 : 1;
  EXPECT_EQ(entries, 0) << "a temporary file was left behind";
}

TEST(AtomicWrite, MissingFolderIsAnErrorNamingThePath) {
  try {
    write_file_atomically("/nonexistent-posemb-dir/x.bin", "x");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-posemb-dir/x.bin"), std::string::npos) << e.what();
  }
}

TEST(ReadFile, MissingFileIsAnErrorNamingThePath) {
  EXPECT_THROW((void)read_file_bytes("/nonexistent-posemb-file"), Error);
}

// A folder opens for reading on Linux and fails on the first read, which libstdc++ reported
// as std::ios_base::failure ("basic_filebuf::underflow error reading the file").
TEST(ReadFile, AFolderIsAnErrorSayingSo) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  try {
    (void)read_file_bytes(dir);
    FAIL() << "read a folder";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), dir.string() + ": is a folder, not a file");
  }
}

}  // namespace
}  // namespace posemb::io
