#include "posemb/io/mapped_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "io_test_support.hpp"

namespace posemb::io {
namespace {

using ::testing::HasSubstr;

TEST(MappedFile, HoldsTheFileBytes) {
  const auto path = testing::fresh_dir() / "data.bin";
  const std::string content("abc\0def\xff", 8);
  write_file_atomically(path, content);
  const MappedFile file(path);
  EXPECT_EQ(file.size(), content.size());
  EXPECT_EQ(file.chars(), content);
  EXPECT_EQ(file.path(), path);
}

TEST(MappedFile, EmptyFileHasNoBytes) {
  const auto path = testing::fresh_dir() / "empty.bin";
  write_file_atomically(path, "");
  const MappedFile file(path);
  EXPECT_EQ(file.size(), 0u);
  EXPECT_TRUE(file.bytes().empty());
}

TEST(MappedFile, MovedFromIsEmptyAndTheTargetKeepsTheBytes) {
  const auto dir = testing::fresh_dir();
  write_file_atomically(dir / "a.bin", "first");
  write_file_atomically(dir / "b.bin", "second");
  MappedFile a(dir / "a.bin");
  MappedFile b(dir / "b.bin");
  b = std::move(a);
  EXPECT_EQ(b.chars(), "first");
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  MappedFile c(std::move(b));
  EXPECT_EQ(c.chars(), "first");
}

TEST(MappedFile, MissingFileIsAnErrorNamingThePath) {
  const auto path = testing::fresh_dir() / "missing.bin";
  EXPECT_THAT(testing::error_of([&] { MappedFile file(path); }),
              ::testing::AllOf(HasSubstr(path.string()), HasSubstr("cannot open")));
}

TEST(MappedFile, FolderIsNotARegularFile) {
  const auto dir = testing::fresh_dir();
  EXPECT_THAT(testing::error_of([&] { MappedFile file(dir); }),
              ::testing::AllOf(HasSubstr(dir.string()), HasSubstr("not a regular file")));
}

}  // namespace
}  // namespace posemb::io
