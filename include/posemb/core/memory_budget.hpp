#pragma once
// Sizes checked before they are allocated. A table, a cache or a model whose size comes from
// a caller (a command-line option, a config file) is estimated first and compared with what
// this process may use, so that an impossible size is an error that names it, not
// std::bad_alloc (or the kernel's OOM killer) after minutes of swapping:
//
//   MemoryEstimate need;
//   need.add("the T5 buckets", {length, length}, 8, "int64 values");
//   need.add("printing them as JSON", {length, length}, 32);
//   require_memory(fmt::format("--length {}", length), need);
//   // --length 100000: the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values) and
//   // printing them as JSON about 298 GiB more, 373 GiB in all; this machine has 23.5 GiB
//
// Estimates are sums of doubles: a product of sizes that would overflow 64-bit integers is
// simply a very large number of bytes, never a wrapped small one.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/shape.hpp"

namespace posemb {

// a x b x ... when it fits in 64 bits; nothing on overflow.
std::optional<std::uint64_t> checked_product(std::initializer_list<std::uint64_t> factors);

// The most this process may allocate, and the sentence that says why, e.g. "this machine has
// 23.5 GiB", "its cgroup's memory limit is 2.00 GiB", "ulimit -v leaves 1.80 GiB".
struct MemoryLimit {
  double bytes = 0;
  std::string reason;
};

// What bounds this process's memory, read from the system. Each is absent when not set.
struct MemorySources {
  double physical = 0;           // sysconf(_SC_PHYS_PAGES) x _SC_PAGESIZE
  std::optional<double> cgroup;  // cgroup v2 memory.max (or v1 memory.limit_in_bytes), this group and its parents
  std::optional<double> address_space;  // RLIMIT_AS, less the address space already mapped
  std::optional<double> data_segment;   // RLIMIT_DATA, less the data already mapped
};
MemorySources read_memory_sources();

// The smallest of the sources (physical memory when none is smaller).
MemoryLimit memory_limit(const MemorySources& sources);
// memory_limit(read_memory_sources()).
MemoryLimit memory_limit();

// Bytes as people read them, in binary units: "512 bytes", "3.0 KiB", "40.0 MiB", "74.5 GiB",
// "16.0 EiB".
std::string format_bytes(double bytes);

// A sum of parts, each a number of values (a product of sizes) times the bytes of one value.
class MemoryEstimate {
 public:
  // Adds sizes[0] x sizes[1] x ... values of `bytes_each` bytes. `what` names the part ("the
  // T5 buckets"); `values` names the values ("int64 values") when the sizes are worth saying,
  // as for the first part of a message. A negative size counts as 0 (sizes are validated
  // elsewhere).
  MemoryEstimate& add(std::string what, std::vector<Index> sizes, double bytes_each, std::string values = {});
  // Adds a part already counted in bytes.
  MemoryEstimate& add(std::string what, double bytes);

  double bytes() const;
  bool empty() const { return parts_.empty(); }
  // "the T5 buckets would take 74.5 GiB (100000 x 100000 int64 values) and printing them as
  // JSON about 447 GiB more, 522 GiB in all"
  std::string describe() const;

 private:
  struct Part {
    std::string what;
    std::vector<Index> sizes;
    std::string values;
    double bytes = 0;
  };
  std::vector<Part> parts_;
};

// Throws posemb::Error "{subject}: {need.describe()}; {limit.reason}" when the estimate is
// more than the limit. `subject` names what the size came from: an option and its value, a
// parameter, a file.
void require_memory(std::string_view subject, const MemoryEstimate& need, const MemoryLimit& limit);
void require_memory(std::string_view subject, const MemoryEstimate& need);

// For allocations inside the library: checks `bytes` against memory_limit() only when it is
// at least kCheckedAllocationBytes, so that small allocations never read the system's limits.
inline constexpr double kCheckedAllocationBytes = 256.0 * 1024 * 1024;
void require_allocation(std::string_view subject, const MemoryEstimate& need);

}  // namespace posemb
