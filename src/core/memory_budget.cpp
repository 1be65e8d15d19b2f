#include "posemb/core/memory_budget.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "posemb/core/error.hpp"

namespace posemb {
namespace {

// cgroup v1 writes "no limit" as the largest page-aligned 63-bit number; anything this large
// is no limit.
constexpr double kNoLimit = 0x1p62;

std::optional<double> read_limit_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string text;
  if (!in || !(in >> text) || text == "max") return std::nullopt;
  try {
    const double value = std::stod(text);
    if (value >= kNoLimit) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The smallest `file` in the cgroup's folder and its parents, up to the hierarchy's root: a
// parent's limit holds for every group below it. A folder that is not mounted here (a
// container sees only its own part of the tree) is skipped.
std::optional<double> smallest_in_hierarchy(const std::filesystem::path& root, const std::string& group,
                                            const char* file) {
  std::optional<double> smallest;
  std::filesystem::path relative = std::filesystem::path(group).relative_path();
  while (true) {
    if (const auto limit = read_limit_file(root / relative / file))
      smallest = std::min(smallest.value_or(*limit), *limit);
    if (relative.empty()) break;
    relative = relative.parent_path();
  }
  return smallest;
}

// /proc/self/cgroup: "0::/path" (v2), "4:memory:/path" (v1's memory controller).
std::optional<double> cgroup_limit() {
  std::ifstream in("/proc/self/cgroup");
  std::optional<double> smallest;
  const auto take = [&](std::optional<double> limit) {
    if (limit) smallest = std::min(smallest.value_or(*limit), *limit);
  };
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string group = line.substr(second + 1);
    if (controllers.empty()) {
      take(smallest_in_hierarchy("/sys/fs/cgroup", group, "memory.max"));
    } else {
      std::stringstream list(controllers);
      for (std::string c; std::getline(list, c, ',');)
        if (c == "memory") take(smallest_in_hierarchy("/sys/fs/cgroup/memory", group, "memory.limit_in_bytes"));
    }
  }
  return smallest;
}

// Field `index` of /proc/self/statm (0: the address space, 5: data + stack), in bytes.
double mapped_bytes(int index) {
  std::ifstream in("/proc/self/statm");
  double pages = 0;
  for (int i = 0; i <= index; ++i)
    if (!(in >> pages)) return 0;
  return pages * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

std::optional<double> rlimit_left(int resource, int statm_field) {
  rlimit limit{};
  if (::getrlimit(resource, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return std::max(0.0, static_cast<double>(limit.rlim_cur) - mapped_bytes(statm_field));
}

}  // namespace

std::optional<std::uint64_t> checked_product(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t product = 1;
  for (const std::uint64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product)) return std::nullopt;
  return product;
}

MemorySources read_memory_sources() {
  MemorySources s;
  s.physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  s.cgroup = cgroup_limit();
  s.address_space = rlimit_left(RLIMIT_AS, 0);
  s.data_segment = rlimit_left(RLIMIT_DATA, 5);
  return s;
}

MemoryLimit memory_limit(const MemorySources& s) {
  MemoryLimit limit{s.physical, fmt::format("this machine has {}", format_bytes(s.physical))};
  const auto take = [&](const std::optional<double>& bytes, const char* reason) {
    if (bytes && *bytes < limit.bytes) limit = {*bytes, fmt::format(fmt::runtime(reason), format_bytes(*bytes))};
  };
  take(s.cgroup, "this process's cgroup allows {} (memory.max)");
  take(s.address_space, "ulimit -v leaves {} of address space");
  take(s.data_segment, "ulimit -d leaves {} of data");
  return limit;
}

MemoryLimit memory_limit() { return memory_limit(read_memory_sources()); }

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return fmt::format("{:.0f} bytes", bytes);
  int unit = -1;
  while (unit < 5 && bytes >= 1024) {
    bytes /= 1024;
    ++unit;
  }
  const char* name = kUnits[unit];
  if (bytes >= 10000) return fmt::format("{:.3g} {}", bytes, name);  // past 10000 EiB
  if (bytes >= 100) return fmt::format("{:.0f} {}", bytes, name);
  if (bytes >= 10) return fmt::format("{:.1f} {}", bytes, name);
  return fmt::format("{:.2f} {}", bytes, name);
}

MemoryEstimate& MemoryEstimate::add(std::string what, std::vector<Index> sizes, double bytes_each, std::string values) {
  double bytes = bytes_each;
  for (const Index size : sizes) bytes *= static_cast<double>(std::max<Index>(size, 0));
  parts_.push_back({std::move(what), std::move(sizes), std::move(values), bytes});
  return *this;
}

MemoryEstimate& MemoryEstimate::add(std::string what, double bytes) {
  parts_.push_back({std::move(what), {}, {}, std::max(bytes, 0.0)});
  return *this;
}

double MemoryEstimate::bytes() const {
  double total = 0;
  for (const Part& p : parts_) total += p.bytes;
  return total;
}

std::string MemoryEstimate::describe() const {
  if (parts_.empty()) return "nothing";
  const Part& first = parts_.front();
  std::string out = fmt::format("{} would take {}", first.what, format_bytes(first.bytes));
  if (!first.values.empty()) out += fmt::format(" ({} {})", fmt::join(first.sizes, " x "), first.values);
  for (std::size_t i = 1; i < parts_.size(); ++i)
    out += fmt::format("{}{} about {} more", i + 1 == parts_.size() ? " and " : ", ", parts_[i].what,
                       format_bytes(parts_[i].bytes));
  if (parts_.size() > 1) out += fmt::format(", {} in all", format_bytes(bytes()));
  return out;
}

void require_memory(std::string_view subject, const MemoryEstimate& need, const MemoryLimit& limit) {
  if (need.bytes() <= limit.bytes) return;
  throw Error(fmt::format("{}: {}; {}", subject, need.describe(), limit.reason));
}

void require_memory(std::string_view subject, const MemoryEstimate& need) {
  require_memory(subject, need, memory_limit());
}

void require_allocation(std::string_view subject, const MemoryEstimate& need) {
  if (need.bytes() < kCheckedAllocationBytes) return;
  require_memory(subject, need);
}

}  // namespace posemb
