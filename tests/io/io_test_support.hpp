#pragma once
// Helpers shared by the io tests: a fresh folder per test, reading committed goldens,
// and capturing the message of the posemb::Error an action throws.
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::io::testing {

// An empty folder named after the running test.
inline std::filesystem::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto dir = std::filesystem::path(::testing::TempDir()) / "posemb_io" /
                   (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path golden(std::string_view relative) {
  return std::filesystem::path(POSEMB_GOLDENS_DIR) / "io" / relative;
}

inline nlohmann::json read_json(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_file_bytes(path));
}

// The bytes of a string, copied into a vector of exactly that size: a read one past the
// end lands in AddressSanitizer's red zone.
inline std::vector<std::byte> exact_bytes(std::string_view s) {
  const auto bytes = std::as_bytes(std::span(s.data(), s.size()));
  return {bytes.begin(), bytes.end()};
}

// The message of the posemb::Error that `action` throws; a test failure if it throws
// nothing (or something else).
template <class Action>
std::string error_of(Action&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a posemb::Error";
  return {};
}

}  // namespace posemb::io::testing
