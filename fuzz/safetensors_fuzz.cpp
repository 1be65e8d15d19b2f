// libFuzzer target: a safetensors file's bytes, read as `posemb inspect` and the weight loaders
// read them (SafetensorsFile::from_bytes runs the same checks as opening a file, on an
// exact-size heap copy where AddressSanitizer sees any overread).
// Either posemb::Error or a file whose tensors tile the data buffer, each of which loads (or
// is refused with posemb::Error: an unconvertible dtype, a U64 above INT64_MAX).
//   scripts/fuzz.sh, or: build/fuzz/fuzz/safetensors_fuzz fuzz/corpus/safetensors -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/safetensors.hpp"

using posemb::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace posemb::io;
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const SafetensorsFile file = SafetensorsFile::from_bytes(bytes, "fuzz.safetensors");
    std::uint64_t covered = 0;
    for (const SafetensorsTensorInfo& t : file.tensors()) {
      check(t.begin == covered && t.end >= t.begin);
      covered = t.end;
      check(file.raw_bytes(t.name).size() == t.end - t.begin);
      try {
        // Loaded as the CLI loads them, then viewed (as `posemb plot` does) whatever the shape.
        if (t.dtype && is_floating(*t.dtype)) {
          check(file.load_tensor(t.name, t.shape).view().shape() == t.shape);
        } else {
          check(file.load_ids(t.name).view().shape() == t.shape);
        }
      } catch (const posemb::Error&) {
      }
    }
    check(file.data_start() + covered == size);
    try {
      (void)file.info("model.wte.weight");  // a name that may be missing: the suggestion path
    } catch (const posemb::Error&) {
    }
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
