// Sizes checked before they are allocated: the arithmetic, the message, the limits read from
// the system, and tensors whose shape cannot be allocated. Nothing here allocates what it
// checks: every impossible size is refused before its memory is asked for.
#include "posemb/core/memory_budget.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <limits>

#include "posemb/core/error.hpp"
#include "posemb/core/tensor.hpp"

namespace posemb {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr double kGiB = 1024.0 * 1024 * 1024;

std::string error_of(const auto& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(CheckedProduct, MultipliesOrSaysItOverflows) {
  EXPECT_EQ(checked_product({100000, 100000, 4}), std::uint64_t{40'000'000'000});
  EXPECT_EQ(checked_product({}), std::uint64_t{1});
  EXPECT_EQ(checked_product({std::uint64_t{1} << 32, std::uint64_t{1} << 31}), std::uint64_t{1} << 63);
  EXPECT_EQ(checked_product({std::uint64_t{1} << 32, std::uint64_t{1} << 32}), std::nullopt);
  EXPECT_EQ(checked_product({std::numeric_limits<std::uint64_t>::max(), 2}), std::nullopt);
}

TEST(FormatBytes, BinaryUnitsWithThreeDigits) {
  EXPECT_EQ(format_bytes(0), "0 bytes");
  EXPECT_EQ(format_bytes(1023), "1023 bytes");
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(40e9), "37.3 GiB");
  EXPECT_EQ(format_bytes(500 * kGiB), "500 GiB");
  EXPECT_EQ(format_bytes(1023.7 * 1024), "1024 KiB");
  EXPECT_EQ(format_bytes(0x1p64), "16.0 EiB");
  EXPECT_EQ(format_bytes(0x1p80), "1.05e+06 EiB");
}

TEST(MemoryEstimate, AddsPartsAndDescribesThem) {
  MemoryEstimate need;
  need.add("the T5 buckets", {100000, 100000}, 8, "int64 values");
  EXPECT_EQ(need.bytes(), 8e10);
  EXPECT_EQ(need.describe(), "the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values)");
  need.add("a copy", {100000, 100000}, 8).add("printing them as JSON", 32e10);
  EXPECT_EQ(need.bytes(), 48e10);
  EXPECT_EQ(need.describe(),
            "the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values), a copy about 74.5 GiB more and "
            "printing them as JSON about 298 GiB more, 447 GiB in all");
}

TEST(MemoryEstimate, ProductsPastSixtyFourBitsAreLargeNotWrapped) {
  const Index huge = std::numeric_limits<Index>::max();
  MemoryEstimate need;
  need.add("a table", {huge, huge, huge}, 4, "float32 values");
  EXPECT_GT(need.bytes(), 1e57);
  EXPECT_THROW(require_memory("--length", need, MemoryLimit{1e12, "this machine has 931 GiB"}), Error);
}

TEST(MemoryEstimate, NegativeSizesCountAsNothing) {
  MemoryEstimate need;
  need.add("a table", {-5, 1000}, 4);
  EXPECT_EQ(need.bytes(), 0);
}

TEST(RequireMemory, NamesTheSubjectTheNeedAndTheLimit) {
  MemoryEstimate need;
  need.add("the T5 buckets", {100000, 100000}, 8, "int64 values");
  const MemoryLimit limit{23.5 * kGiB, "this machine has 23.5 GiB"};
  EXPECT_EQ(error_of([&] { require_memory("--length 100000", need, limit); }),
            "--length 100000: the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values); this machine has "
            "23.5 GiB");
  EXPECT_NO_THROW(require_memory("--length 100000", need, MemoryLimit{80 * kGiB, "a lot"}));
}

TEST(MemoryLimit, TheSmallestSourceWithItsReason) {
  MemorySources s;
  s.physical = 23.5 * kGiB;
  MemoryLimit limit = memory_limit(s);
  EXPECT_EQ(limit.bytes, 23.5 * kGiB);
  EXPECT_EQ(limit.reason, "this machine has 23.5 GiB");

  s.cgroup = 8 * kGiB;
  s.address_space = 100 * kGiB;
  limit = memory_limit(s);
  EXPECT_EQ(limit.bytes, 8 * kGiB);
  EXPECT_EQ(limit.reason, "this process's cgroup allows 8.00 GiB (memory.max)");

  s.address_space = 1.5 * kGiB;
  s.data_segment = 2 * kGiB;
  limit = memory_limit(s);
  EXPECT_EQ(limit.bytes, 1.5 * kGiB);
  EXPECT_EQ(limit.reason, "ulimit -v leaves 1.50 GiB of address space");

  s.data_segment = kGiB;
  EXPECT_EQ(memory_limit(s).reason, "ulimit -d leaves 1.00 GiB of data");
}

TEST(MemoryLimit, ReadsThisMachine) {
  const MemorySources s = read_memory_sources();
  EXPECT_GT(s.physical, 64.0 * 1024 * 1024);
  const MemoryLimit limit = memory_limit();
  EXPECT_GT(limit.bytes, 0);
  EXPECT_LE(limit.bytes, s.physical);
}

// Lowers this process's RLIMIT_AS for the scope, as `ulimit -v` does for a shell.
class AddressSpaceLimit {
 public:
  explicit AddressSpaceLimit(double extra_bytes) {
    ::getrlimit(RLIMIT_AS, &saved_);
    std::ifstream statm("/proc/self/statm");
    double pages = 0;
    statm >> pages;
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(pages * static_cast<double>(::sysconf(_SC_PAGESIZE)) + extra_bytes);
    if (saved_.rlim_max != RLIM_INFINITY) lowered.rlim_cur = std::min(lowered.rlim_cur, saved_.rlim_max);
    ok_ = ::setrlimit(RLIMIT_AS, &lowered) == 0;
  }
  ~AddressSpaceLimit() { ::setrlimit(RLIMIT_AS, &saved_); }
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  bool ok_ = false;
};

TEST(MemoryLimit, UlimitVIsWhatIsLeftOfTheAddressSpace) {
  double left = 0;
  std::string reason;
  {
    const AddressSpaceLimit limit(kGiB);
    ASSERT_TRUE(limit.ok());
    const MemoryLimit read = memory_limit();
    left = read.bytes;
    reason = read.reason;
  }
  EXPECT_NEAR(left, kGiB, 64.0 * 1024 * 1024);
  EXPECT_THAT(reason, StartsWith("ulimit -v leaves "));
}

TEST(TensorAllocation, AShapeTooLargeForMemoryIsAnErrorNamingIt) {
  const std::string message = error_of([] { Tensor t({Index{1} << 40, 1024}); });
  EXPECT_THAT(message, StartsWith("tensor of shape [1099511627776, 1024]: its values would take 4.00 PiB "
                                  "(1099511627776 x 1024 float32 values); "));
  EXPECT_THAT(error_of([] { IdTensor t({1000000, 1000000}); }), HasSubstr("(1000000 x 1000000 int64 values)"));
  // 2^62 floats are 2^64 bytes: more than a size_t holds (std::vector would throw length_error).
  EXPECT_THAT(error_of([] { Tensor t({Index{1} << 62}); }), HasSubstr("would take 16.0 EiB"));
  // An element count past 2^63 is refused before any byte count.
  EXPECT_THAT(error_of([] { Tensor t({Index{1} << 32, Index{1} << 32}); }), HasSubstr("has too many elements"));
  EXPECT_THAT(error_of([] { (void)Tensor::full({Index{1} << 40, 1024}, 1.0f); }), HasSubstr("tensor of shape"));
}

TEST(TensorAllocation, SmallTensorsStillWork) {
  const Tensor t({2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(Tensor::full({4}, 2.0f).values()[3], 2.0f);
}

}  // namespace
}  // namespace posemb
