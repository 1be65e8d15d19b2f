#pragma once
// Element types of stored tensors (.npy and safetensors files) and their conversion to
// what posemb computes in: float32 for values (posemb::Tensor), int64 for ids
// (posemb::IdTensor). Both file formats describe the same few types; the names here are
// safetensors' ("F32", "BF16", "I64"), npy's type strings map onto them in npy.cpp.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "posemb/core/tensor.hpp"

namespace posemb::io {

enum class DType : std::uint8_t {
  kBool,
  kU8,
  kI8,
  kU16,
  kI16,
  kU32,
  kI32,
  kU64,
  kI64,
  kF16,
  kBF16,
  kF32,
  kF64,
};

// Byte order of the stored elements. safetensors is always little-endian; .npy says
// which in its type string ('<' or '>').
enum class ByteOrder : std::uint8_t { kLittle, kBig };

// Bytes per element.
std::size_t dtype_size(DType dtype);

// "F32", "BF16", "I64", "BOOL", ... (safetensors' spelling).
std::string_view dtype_name(DType dtype);

// F16, BF16, F32, F64: converted to float32 by convert_to_float.
bool is_floating(DType dtype);

// Converts stored floating-point elements to float32 (F64 rounds to nearest, F16 and
// BF16 widen exactly). `bytes` holds dst.size() elements of `dtype` in `order`, with no
// alignment requirement. Precondition (checked by the callers' validation):
// is_floating(dtype) and bytes.size() == dst.size() * dtype_size(dtype).
void convert_to_float(DType dtype, ByteOrder order, std::span<const std::byte> bytes, std::span<float> dst);

// Converts stored integer or bool elements to int64. Returns the index of the first U64
// element that does not fit in int64 (nothing is promised about dst from there on), or
// nothing when all fit. Precondition: !is_floating(dtype) and the sizes agree.
std::optional<std::size_t> convert_to_int64(DType dtype, ByteOrder order, std::span<const std::byte> bytes,
                                            std::span<std::int64_t> dst);

// Appends the elements of `values` (any strides) in row-major order as little-endian
// F32 / I64 bytes: what both file formats store.
void append_little_endian(TensorView<const float> values, std::string& out);
void append_little_endian(TensorView<const std::int64_t> values, std::string& out);

}  // namespace posemb::io
