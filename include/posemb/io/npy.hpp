#pragma once
// NumPy's .npy files: one array per file, as written by numpy.save.
//
// Layout (numpy.lib.format): the magic "\x93NUMPY", a major and a minor version byte,
// the header length (2 bytes little-endian in version 1.0, 4 bytes in 2.0 and 3.0),
// then the header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and ended by '\n', then the elements with no padding.
//
// Reading accepts versions 1.0, 2.0 and 3.0; type strings for float16/32/64, signed and
// unsigned 8-64-bit integers and bool, in either byte order ('<', '>', or '|'/'=' for
// this machine's); and fortran_order True, whose column-major elements are transposed
// into posemb's row-major layout. Everything is validated before any element is read; a
// problem throws posemb::Error naming the file, the byte offset where it applies and what
// was wrong.
//
// Writing produces what numpy.save writes for the same array, byte for byte: '<f4' or
// '<i8', C order, format 1.0 (2.0 only if the header outgrows 1.0's 65535-byte limit).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "posemb/core/shape.hpp"
#include "posemb/core/tensor.hpp"
#include "posemb/io/dtype.hpp"

namespace posemb::io {

struct NpyHeader {
  int major_version = 1;
  int minor_version = 0;
  std::string descr;  // the type string as written, e.g. "<f4"
  DType dtype = DType::kF32;
  ByteOrder byte_order = ByteOrder::kLittle;
  bool fortran_order = false;
  Shape shape;
  std::size_t data_offset = 0;  // where the elements start, in bytes from the start of the file
};

// Reads and validates the header (including that the file holds exactly the bytes the
// shape needs) without converting any element.
NpyHeader read_npy_header(const std::filesystem::path& path);

// A float array (float16, float32 or float64) as float32. An integer array is an error
// that points to read_npy_ids.
Tensor read_npy(const std::filesystem::path& path);

// An integer or bool array as int64 (uint64 values above INT64_MAX are an error). A float
// array is an error that points to read_npy.
IdTensor read_npy_ids(const std::filesystem::path& path);

// Writes the elements of `values` (any strides) in row-major order as '<f4' / '<i8',
// atomically (posemb::io::write_file_atomically).
void write_npy(const std::filesystem::path& path, TensorView<const float> values);
void write_npy(const std::filesystem::path& path, TensorView<const std::int64_t> values);

// The same on a .npy file's bytes in memory (say, a member of an .npz archive);
// `source` names them in error messages.
NpyHeader parse_npy_header(std::span<const std::byte> bytes, std::string_view source);
Tensor decode_npy(std::span<const std::byte> bytes, std::string_view source);
IdTensor decode_npy_ids(std::span<const std::byte> bytes, std::string_view source);
std::string encode_npy(TensorView<const float> values);
std::string encode_npy(TensorView<const std::int64_t> values);

}  // namespace posemb::io
