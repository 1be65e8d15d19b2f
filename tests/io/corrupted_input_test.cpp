// Corrupted files, many at a time: every committed fixture with random bytes overwritten
// and cut at random lengths. Each must either load or throw posemb::Error; never crash,
// abort or read outside its bytes (the buffers are exact-size heap copies, so the asan
// preset catches any overread). A deterministic sweep, not a fuzzer: the seed is fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io_test_support.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/io/safetensors.hpp"

namespace posemb::io {
namespace {

enum class Outcome { kLoaded, kRejected };

// Opens the bytes and loads every tensor they hold; posemb::Error means rejected, any
// other exception fails the test.
Outcome load_everything(const std::string& bytes, bool npy) {
  try {
    const std::vector<std::byte> exact = testing::exact_bytes(bytes);
    if (npy) {
      const NpyHeader header = parse_npy_header(exact, "corrupted.npy");
      if (is_floating(header.dtype)) {
        (void)decode_npy(exact, "corrupted.npy");
      } else {
        (void)decode_npy_ids(exact, "corrupted.npy");
      }
      return Outcome::kLoaded;
    }
    const auto file = SafetensorsFile::from_bytes(exact, "corrupted.safetensors");
    for (const auto& t : file.tensors()) {
      if (!t.dtype) continue;
      if (is_floating(*t.dtype)) {
        (void)file.load_tensor(t.name);
      } else {
        (void)file.load_ids(t.name);
      }
    }
    return Outcome::kLoaded;
  } catch (const Error&) {
    return Outcome::kRejected;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a posemb::Error: " << e.what();
    return Outcome::kRejected;
  }
}

std::vector<std::filesystem::path> fixtures(std::string_view folder, std::string_view extension) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(testing::golden(folder)))
    if (entry.path().extension() == extension) paths.push_back(entry.path());
  std::sort(paths.begin(), paths.end());
  return paths;
}

void sweep(std::string_view folder, std::string_view extension, bool npy, int trials_per_file) {
  std::mt19937_64 random(20240601);
  int loaded = 0, rejected = 0;
  const auto paths = fixtures(folder, extension);
  ASSERT_FALSE(paths.empty());
  for (const auto& path : paths) {
    SCOPED_TRACE(path.string());
    const std::string original = read_file_bytes(path);
    for (int trial = 0; trial < trials_per_file; ++trial) {
      std::string bytes = original;
      // Overwrite 1-3 bytes, biased to the header where the structure is.
      const int flips = 1 + static_cast<int>(random() % 3);
      for (int f = 0; f < flips; ++f) {
        const std::size_t limit = random() % 4 == 0 ? bytes.size() : std::min<std::size_t>(bytes.size(), 160);
        bytes[random() % limit] = static_cast<char>(random() & 0xff);
      }
      if (random() % 4 == 0) bytes.resize(random() % (bytes.size() + 1));
      (load_everything(bytes, npy) == Outcome::kLoaded ? loaded : rejected)++;
    }
  }
  // Both outcomes occur, so the sweep exercises the checks and the loads.
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

TEST(CorruptedInput, SafetensorsFixturesLoadOrThrowPosembError) { sweep("safetensors", ".safetensors", false, 1000); }

TEST(CorruptedInput, NpyFixturesLoadOrThrowPosembError) { sweep("npy", ".npy", true, 200); }

}  // namespace
}  // namespace posemb::io
