// How much of a reported cache the kernels plan with: sysfs's CPU lists, and the cap on caches
// that claim more per CPU than any CPU has (a virtual machine showing its host's cache).
#include "kernels/memory_traffic.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace posemb::kernels {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;

TEST(CountCpuList, CountsSinglesAndRanges) {
  EXPECT_EQ(count_cpu_list("0"), 1);
  EXPECT_EQ(count_cpu_list("0-1"), 2);
  EXPECT_EQ(count_cpu_list("0,2,4-7"), 6);
  EXPECT_EQ(count_cpu_list("0-63,128-191"), 128);
}

TEST(CountCpuList, RejectsWhatIsNotAList) {
  EXPECT_EQ(count_cpu_list(""), 0);
  EXPECT_EQ(count_cpu_list("cpu"), 0);
  EXPECT_EQ(count_cpu_list("3-1"), 0);
  EXPECT_EQ(count_cpu_list("0,"), 0);
  EXPECT_EQ(count_cpu_list("0;1"), 0);
  EXPECT_EQ(count_cpu_list("0-"), 0);
}

TEST(PlausibleCacheBytes, KeepsWhatRealCpusHave) {
  EXPECT_EQ(plausible_cache_bytes(32 * kMiB, 16), 32 * kMiB);   // Zen 3: 8 cores, 16 threads
  EXPECT_EQ(plausible_cache_bytes(96 * kMiB, 16), 96 * kMiB);   // stacked cache, 12 MiB per core
  EXPECT_EQ(plausible_cache_bytes(32 * kMiB, 2), 32 * kMiB);    // a 2-CPU guest on a 32 MiB L3
  EXPECT_EQ(plausible_cache_bytes(2 * kMiB, 1), 2 * kMiB);      // a private L2
}

TEST(PlausibleCacheBytes, CapsAHostsCacheSeenFromAGuest) {
  EXPECT_EQ(plausible_cache_bytes(480 * kMiB, 2), 2 * kMaxCacheBytesPerCpu);
  EXPECT_LT(plausible_cache_bytes(480 * kMiB, 2), 64 * kMiB);  // RoPE's output at T = 4096 streams
}

TEST(PlausibleCacheBytes, LeavesASizeWhoseSharingIsUnknown) {
  EXPECT_EQ(plausible_cache_bytes(480 * kMiB, 0), 480 * kMiB);
}

TEST(LastLevelCacheBytes, IsPositiveAndIsTheDefaultThreshold) {
  const std::int64_t bytes = last_level_cache_bytes();
  EXPECT_GT(bytes, 0);
  EXPECT_EQ(streaming_store_threshold(), bytes);
}

}  // namespace
}  // namespace posemb::kernels
