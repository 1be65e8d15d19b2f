#include "posemb/io/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <thread>

#include "posemb/core/error.hpp"

namespace posemb::io {
namespace {

namespace fs = std::filesystem;

// A fresh folder per test (ctest runs test processes in parallel).
fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = fs::path(::testing::TempDir()) /
                   ("posemb_file_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no posemb::Error was thrown";
  return "";
}

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporary) {
  const auto dir = fresh_dir();
  const auto path = dir / "out.bin";
  write_file_atomically(path, "first");
  write_file_atomically(path, std::string("second\0bytes", 12));
  EXPECT_EQ(read_file_bytes(path), std::string("second\0bytes", 12));
  EXPECT_EQ(entries(dir), std::vector<std::string>{"out.bin"}) << "a temporary file was left behind";
}

TEST(AtomicWrite, KeepsTheReplacedFilesPermissions) {
  const auto dir = fresh_dir();
  const auto path = dir / "script.sh";
  write_file_atomically(path, "old");
  ASSERT_EQ(::chmod(path.c_str(), 0751), 0);
  write_file_atomically(path, "new");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0751u);
}

TEST(AtomicWrite, FollowsASymlinkAndKeepsIt) {
  const auto dir = fresh_dir();
  fs::create_directories(dir / "elsewhere");
  write_file_atomically(dir / "elsewhere" / "target.json", "old");
  fs::create_symlink("elsewhere/target.json", dir / "link.json");  // relative to the link's folder
  write_file_atomically(dir / "link.json", "new");
  EXPECT_TRUE(fs::is_symlink(dir / "link.json"));
  EXPECT_EQ(read_file_bytes(dir / "elsewhere" / "target.json"), "new");
  EXPECT_EQ(entries(dir / "elsewhere"), std::vector<std::string>{"target.json"});
  EXPECT_EQ(entries(dir), (std::vector<std::string>{"elsewhere", "link.json"}));
}

TEST(AtomicWrite, FollowsAChainOfSymlinksAndADanglingOne) {
  const auto dir = fresh_dir();
  fs::create_symlink(dir / "b", dir / "a");  // a -> b -> c, c missing
  fs::create_symlink("c", dir / "b");
  write_file_atomically(dir / "a", "bytes");
  EXPECT_TRUE(fs::is_symlink(dir / "a"));
  EXPECT_TRUE(fs::is_symlink(dir / "b"));
  EXPECT_EQ(read_file_bytes(dir / "c"), "bytes");
}

TEST(AtomicWrite, ASymlinkLoopIsAnError) {
  const auto dir = fresh_dir();
  fs::create_symlink("loop2", dir / "loop1");
  fs::create_symlink("loop1", dir / "loop2");
  const std::string message = message_of([&] { write_file_atomically(dir / "loop1", "x"); });
  EXPECT_NE(message.find("loop1: too many levels of symbolic links"), std::string::npos) << message;
}

TEST(AtomicWrite, WritesADeviceInPlace) {
  write_file_atomically("/dev/null", "discarded");
  struct stat info {};
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode)) << "/dev/null was replaced";
}

TEST(AtomicWrite, WritesAFifoInPlace) {
  const auto dir = fresh_dir();
  const auto fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] { received = read_file_bytes(fifo); });
  write_file_atomically(fifo, "through the pipe");
  reader.join();
  EXPECT_EQ(received, "through the pipe");
  struct stat info {};
  ASSERT_EQ(::lstat(fifo.c_str(), &info), 0);
  EXPECT_TRUE(S_ISFIFO(info.st_mode)) << "the FIFO was replaced";
  EXPECT_EQ(entries(dir), std::vector<std::string>{"pipe"});
}

TEST(AtomicWrite, AFullDeviceIsAnErrorNamingIt) {
  const std::string message = message_of([] { write_file_atomically("/dev/full", "x"); });
  EXPECT_NE(message.find("/dev/full: write failed: No space left on device"), std::string::npos) << message;
}

TEST(AtomicWrite, AFolderIsAnError) {
  const auto dir = fresh_dir();
  const std::string message = message_of([&] { write_file_atomically(dir, "x"); });
  EXPECT_NE(message.find("is a folder, not a file"), std::string::npos) << message;
}

TEST(AtomicWrite, MissingFolderIsAnErrorNamingTheUsersPath) {
  const std::string message = message_of([] { write_file_atomically("/nonexistent-posemb-dir/x.bin", "x"); });
  EXPECT_NE(message.find("/nonexistent-posemb-dir/x.bin: cannot write: the folder /nonexistent-posemb-dir does not exist"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find(".tmp"), std::string::npos) << "the message names the temporary file: " << message;
}

TEST(AppendFile, AppendsAndChecksEveryWrite) {
  const auto dir = fresh_dir();
  {
    AppendFile log(dir / "log.csv");
    EXPECT_TRUE(log.was_empty());
    log.append("a\n");
  }
  AppendFile log(dir / "log.csv");
  EXPECT_FALSE(log.was_empty());
  log.append("b\n");
  EXPECT_EQ(read_file_bytes(dir / "log.csv"), "a\nb\n");

  AppendFile full("/dev/full");
  const std::string message = message_of([&] { full.append("x"); });
  EXPECT_NE(message.find("/dev/full: write failed"), std::string::npos) << message;
}

TEST(ReadFile, MissingFileIsAnErrorNamingThePath) {
  const std::string message = message_of([] { (void)read_file_bytes("/nonexistent-posemb-file"); });
  EXPECT_NE(message.find("/nonexistent-posemb-file"), std::string::npos) << message;
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
