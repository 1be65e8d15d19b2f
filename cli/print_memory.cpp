#include "print_memory.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"
#include "usage_error.hpp"

namespace posemb::cli {

double print_bytes_per_value(std::string_view format, ValueKind kind) {
  if (format == "json") return kind == ValueKind::kFloat32 ? 96 : 32;
  if (format == "npy") return kind == ValueKind::kFloat32 ? 4 : 8;
  return 0;  // torch, text: summarised past 1000 values
}

void add_printed_tensor(MemoryEstimate& need, std::string what, const std::vector<Index>& sizes, ValueKind kind,
                        std::string_view format, std::string_view them) {
  const bool floating = kind == ValueKind::kFloat32;
  need.add(std::move(what), sizes, floating ? 4 : 8, floating ? "float32 values" : "int64 values");
  const double per_value = print_bytes_per_value(format, kind);
  if (per_value == 0) return;
  const std::string how = format == "json" ? "as JSON" : fmt::format("as {}", format);
  need.add(fmt::format("printing {} {}", them, how), sizes, per_value);
}

void require_memory_for(std::string_view options, const MemoryEstimate& need) {
  try {
    require_memory(options, need);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

}  // namespace posemb::cli
