#pragma once
// safetensors files (Hugging Face's format for model weights): read any, write F32 / I64.
//
// Layout (https://github.com/huggingface/safetensors, README "Format"):
//   bytes [0, 8)        N, the header length, unsigned 64-bit little-endian
//   bytes [8, 8 + N)    a JSON object, UTF-8:
//                         {"__metadata__": {"format": "pt"},            (optional, string -> string)
//                          "wte.weight": {"dtype": "F32", "shape": [50257, 768],
//                                         "data_offsets": [0, 154389504]}, ...}
//   bytes [8 + N, end)  the data buffer; data_offsets [begin, end) are relative to its start.
// Elements are little-endian and row-major; no strides.
//
// SafetensorsFile memory-maps the file and validates the whole header once, when it is
// opened, with the rules of the reference reader (safetensors' Rust crate, whose
// Metadata::validate and read_metadata define what a valid file is):
//   - N at most 100,000,000 (the reference's limit) and 8 + N within the file;
//   - the header is one JSON object (no NUL bytes, valid UTF-8, no duplicate keys);
//   - every entry has exactly "dtype" (a known name), "shape" (non-negative integers) and
//     "data_offsets" (two non-negative integers, begin <= end); "__metadata__", when
//     present, maps strings to strings;
//   - end - begin == number of elements * element size;
//   - taken in offset order the tensors tile the data buffer exactly: the first starts at
//     0, each starts where the previous one ended (no overlap, no gap), the last ends at
//     the end of the file. Header order does not matter.
// Every error names the file, the tensor (when there is one) and the problem. Tensors
// are converted only when loaded, so opening a large checkpoint to read one table reads
// little more than that table.
//
// Nothing is read outside the file's bytes whatever the header says; the tests check
// every malformed case on exact-size heap buffers (from_bytes), where AddressSanitizer
// sees any overread (it cannot see overreads of a memory map).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/shape.hpp"
#include "posemb/core/tensor.hpp"
#include "posemb/io/dtype.hpp"
#include "posemb/io/mapped_file.hpp"

namespace posemb::io {

struct SafetensorsTensorInfo {
  std::string name;
  std::string dtype_name;      // as written: "F32", "BF16", "I64", "F8_E4M3", ...
  std::optional<DType> dtype;  // nothing for valid safetensors types posemb cannot convert (F8_*, F4, F6_*, C64)
  Shape shape;
  std::uint64_t begin = 0;  // data_offsets [begin, end), relative to the data buffer
  std::uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Maps and validates the file; throws posemb::Error on any problem.
  explicit SafetensorsFile(const std::filesystem::path& path);
  // The same from a file's bytes already in memory (copied); `source` names them in errors.
  static SafetensorsFile from_bytes(std::span<const std::byte> bytes, std::string source);

  // The path, or the name given to from_bytes: what error messages start with.
  const std::string& source() const { return source_; }
  // Every tensor, in the order of their data in the file.
  const std::vector<SafetensorsTensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // Where the data buffer starts in the file (8 + header length).
  std::size_t data_start() const { return data_start_; }

  bool contains(std::string_view name) const;
  // The tensor's entry; a missing name is an error that suggests the closest name and
  // lists what the file holds.
  const SafetensorsTensorInfo& info(std::string_view name) const;
  // The tensor's stored bytes as they are in the file (little-endian, possibly unaligned).
  std::span<const std::byte> raw_bytes(std::string_view name) const;

  // A floating-point tensor (F32 as is; F16, BF16 widened exactly; F64 rounded) as
  // float32. An integer tensor is an error that points to load_ids. With expected_shape,
  // a different shape is an error naming both.
  Tensor load_tensor(std::string_view name) const;
  Tensor load_tensor(std::string_view name, const Shape& expected_shape) const;

  // An integer or BOOL tensor as int64 ids (U64 above INT64_MAX is an error).
  IdTensor load_ids(std::string_view name) const;
  IdTensor load_ids(std::string_view name, const Shape& expected_shape) const;

 private:
  SafetensorsFile() = default;
  void validate();
  std::span<const std::byte> bytes() const;

  std::string source_;
  std::optional<MappedFile> mapped_;  // a file's bytes, or
  std::vector<std::byte> owned_;      // bytes given to from_bytes
  std::size_t data_start_ = 0;
  std::vector<SafetensorsTensorInfo> tensors_;
  std::map<std::string, std::size_t, std::less<>> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// Builds a safetensors file from F32 tensors and I64 ids.
//
// The layout is deterministic whatever the order of add() calls: the header lists
// "__metadata__" first (when there is any), then the tensors in data order; the data are
// sorted by element size (I64 before F32), then by name (bytewise), and packed without
// gaps as the format requires. The header is padded with spaces to a multiple of 8 bytes,
// so that every tensor starts at a multiple of its own element size in the file (what the
// reference writer does; 8-byte alignment of every tensor would need gaps, which readers
// reject). For the same tensors the bytes are those of the reference writer, except that
// it leaves the order of several metadata keys unspecified (we sort them).
class SafetensorsWriter {
 public:
  // The views are read when bytes() or write() runs, not copied: they must outlive that
  // call. A repeated name, or the reserved name "__metadata__", is an error.
  void add(std::string name, TensorView<const float> values);
  void add(std::string name, TensorView<const std::int64_t> ids);
  void set_metadata(std::string key, std::string value);

  // The whole file.
  std::string bytes() const;
  // Writes it atomically (posemb::io::write_file_atomically).
  void write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    TensorView<const float> values;
    TensorView<const std::int64_t> ids;
  };
  void check_new_name(const std::string& name) const;

  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace posemb::io
