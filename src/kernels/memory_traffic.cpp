#include "kernels/memory_traffic.hpp"

#include <unistd.h>

#include <algorithm>
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

// Linux's sysfs describes the cache this CPU sees, and which CPUs share it. Preferred over
// sysconf: in virtual machines glibc's sysconf reports what cpuid says of the host package
// (256 MiB on the development VM, whose L3 is 32 MiB).
std::int64_t largest_sysfs_cache() {
  std::int64_t largest = 0;
  for (int index = 0; index < 8; ++index) {
    const std::string folder = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::ifstream size_file(folder + "/size");
    std::string size_text, cpus_text;
    if (!(size_file >> size_text)) break;
    std::ifstream cpus_file(folder + "/shared_cpu_list");
    cpus_file >> cpus_text;
    const std::int64_t size = plausible_cache_bytes(parse_cache_size(size_text), count_cpu_list(cpus_text));
    if (size > largest) largest = size;
  }
  return largest;
}

std::atomic<std::int64_t> threshold_override{-1};

}  // namespace

int count_cpu_list(const std::string& text) {
  int count = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t used = 0;
    long first = 0, last = 0;
    try {
      first = last = std::stol(text.substr(at), &used);
    } catch (...) {
      return 0;
    }
    if (first < 0) return 0;
    at += used;
    if (at < text.size() && text[at] == '-') {
      try {
        last = std::stol(text.substr(at + 1), &used);
      } catch (...) {
        return 0;
      }
      if (last < first) return 0;
      at += 1 + used;
    }
    count += static_cast<int>(last - first + 1);
    if (at == text.size()) break;
    if (text[at] != ',') return 0;
    ++at;
    if (at == text.size()) return 0;  // a trailing comma
  }
  return count;
}

std::int64_t plausible_cache_bytes(std::int64_t reported_bytes, int sharing_cpus) {
  if (sharing_cpus <= 0) return reported_bytes;
  return std::min(reported_bytes, kMaxCacheBytesPerCpu * sharing_cpus);
}

std::int64_t last_level_cache_bytes() {
  static const std::int64_t bytes = [] {
    if (const std::int64_t from_sysfs = largest_sysfs_cache(); from_sysfs > 0) return from_sysfs;
    const auto online_cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
    for (const int level : {_SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
      const long size = sysconf(level);
      if (size > 0) return plausible_cache_bytes(static_cast<std::int64_t>(size), online_cpus);
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
