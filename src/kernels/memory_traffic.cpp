#include "kernels/memory_traffic.hpp"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <string>

namespace posemb::kernels {
namespace {

// "32768K", "1M", "512" as sysfs writes a cache size; 0 if unreadable.
std::int64_t parse_cache_size(const std::string& text) {
  std::size_t used = 0;
  std::int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (...) {
    return 0;
  }
  const char unit = used < text.size() ? static_cast<char>(std::toupper(static_cast<unsigned char>(text[used]))) : ' ';
  if (unit == 'K') return value << 10;
  if (unit == 'M') return value << 20;
  if (unit == 'G') return value << 30;
  return value;
}

// Linux's sysfs describes the cache this CPU sees. Preferred over sysconf: in virtual machines
// glibc's sysconf reports what cpuid says of the host package (256 MiB on the development VM,
// whose L3 is 32 MiB).
std::int64_t largest_sysfs_cache() {
  std::int64_t largest = 0;
  for (int index = 0; index < 8; ++index) {
    std::ifstream file("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/size");
    std::string text;
    if (!(file >> text)) break;
    const std::int64_t size = parse_cache_size(text);
    if (size > largest) largest = size;
  }
  return largest;
}

std::atomic<std::int64_t> threshold_override{-1};

}  // namespace

std::int64_t last_level_cache_bytes() {
  static const std::int64_t bytes = [] {
    if (const std::int64_t from_sysfs = largest_sysfs_cache(); from_sysfs > 0) return from_sysfs;
    for (const int level : {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
      const long size = sysconf(level);
      if (size > 0) return static_cast<std::int64_t>(size);
    }
    return std::int64_t{32} << 20;
  }();
  return bytes;
}

std::int64_t streaming_store_threshold() {
  const std::int64_t bytes = threshold_override.load(std::memory_order_relaxed);
  return bytes >= 0 ? bytes : last_level_cache_bytes();
}

void set_streaming_store_threshold(std::int64_t bytes) { threshold_override.store(bytes, std::memory_order_relaxed); }

}  // namespace posemb::kernels
