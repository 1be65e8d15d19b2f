#pragma once
// What a subcommand will allocate to compute and print its tensors, checked before it starts
// (posemb/core/memory_budget.hpp): a size given on the command line that cannot fit is a usage
// error that names the option, not "out of memory" after minutes of swapping.
//
// Printing costs more than the tensor. Measured on `posemb positions` (peak resident memory
// less an empty run's, tables of 16 million values; scripts/measure-print-memory.sh), with
// the tensor's own 4 or 8 bytes included:
//   json   77 to 88 bytes a float32 value, 31 to 33 an int64: the nlohmann::ordered_json tree
//          (16 bytes a value) and the dumped text (a float32 value prints with up to 17
//          significant digits, about 20 characters; a bucket or index 1 to 4), which the
//          rendering holds up to four times while it joins the keys. Counted as 96 and 32
//          bytes beyond the tensor: a little more than measured, for longer numbers.
//   torch  PyTorch's printing summarises a tensor past 1000 values: a few kilobytes.
//   npy    the file's bytes, built in memory before the write: the tensor's size again.
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/memory_budget.hpp"

namespace posemb::cli {

enum class ValueKind { kFloat32, kInt64 };

// Bytes per value that printing a tensor in `format` ("json", "torch", "text", "npy") takes,
// beyond the tensor itself.
double print_bytes_per_value(std::string_view format, ValueKind kind);

// Adds a tensor of `sizes` values named `what` ("the T5 buckets"), then what printing it in
// `format` costs, described as "printing {them} as JSON".
void add_printed_tensor(MemoryEstimate& need, std::string what, const std::vector<Index>& sizes, ValueKind kind,
                        std::string_view format, std::string_view them = "them");

// Throws UsageError "{options}: {need.describe()}; this machine has ..." when the estimate is
// more than this process may use. `options` names the options and values the sizes came from.
void require_memory_for(std::string_view options, const MemoryEstimate& need);

}  // namespace posemb::cli
