// libFuzzer target: a .npy file's bytes, read as `posemb positions rope --apply` and
// `posemb inspect` read them (decode_npy / decode_npy_ids / parse_npy_header on the bytes).
// Either posemb::Error or an array whose elements are exactly the bytes after the header.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/npy_fuzz fuzz/corpus/npy -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/npy.hpp"

using posemb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace posemb::io;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const NpyHeader header = parse_npy_header(bytes, "fuzz.npy");
    check(header.data_offset <= size);
    const auto numel = static_cast<std::size_t>(posemb::shape_numel(header.shape));
    check(numel * dtype_size(header.dtype) == size - header.data_offset);
    // What the CLI does next (positions rope --apply): view the array, whatever its shape.
    if (is_floating(header.dtype)) {
      const posemb::Tensor array = decode_npy(bytes, "fuzz.npy");
      check(array.view().shape() == header.shape);
    } else {
      const posemb::IdTensor array = decode_npy_ids(bytes, "fuzz.npy");
      check(array.view().shape() == header.shape);
    }
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
