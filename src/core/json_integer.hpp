#pragma once
// Integers read from JSON files posemb did not write itself (checkpoint.json, configs, caches).
// nlohmann's get<std::int64_t>() truncates 1.5 to 1, wraps 2^64 - 1 to -1, and converts 1e30
// with undefined behaviour; json_integer accepts a JSON integer that T holds, nothing else.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

namespace posemb {

template <class T>
std::optional<T> json_integer(const nlohmann::json& value) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  } else if (value.is_number_integer()) {
    const auto n = value.get<std::int64_t>();
    if (std::in_range<T>(n)) return static_cast<T>(n);
  }
  return std::nullopt;
}

}  // namespace posemb
