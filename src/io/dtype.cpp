#include "posemb/io/dtype.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <type_traits>

#include "posemb/io/float16.hpp"

namespace posemb::io {
namespace {

constexpr ByteOrder kHostOrder = std::endian::native == std::endian::little ? ByteOrder::kLittle : ByteOrder::kBig;

template <class Unsigned>
Unsigned byte_swapped(Unsigned value) {
  if constexpr (sizeof(Unsigned) == 1) return value;
  if constexpr (sizeof(Unsigned) == 2) return __builtin_bswap16(value);
  if constexpr (sizeof(Unsigned) == 4) return __builtin_bswap32(value);
  if constexpr (sizeof(Unsigned) == 8) return __builtin_bswap64(value);
}

// The unsigned integer stored at `p`, byte-swapped if it was stored in the other order.
// memcpy because `p` need not be aligned (safetensors headers of any length, .npy data
// after any header); it compiles to a plain load.
template <class Unsigned, bool kSwap>
Unsigned load_unsigned(const std::byte* p) {
  Unsigned value;
  std::memcpy(&value, p, sizeof(Unsigned));
  if constexpr (kSwap) value = byte_swapped(value);
  return value;
}

// Loads each stored element as an unsigned integer of its size and converts it with
// `convert`. The byte order is decided once, outside the loop, so that the loop has no
// branches and vectorises.
template <class Unsigned, bool kSwap, class Out, class Convert>
void convert_elements(std::span<const std::byte> bytes, std::span<Out> dst, Convert convert) {
  for (std::size_t i = 0; i < dst.size(); ++i)
    dst[i] = convert(load_unsigned<Unsigned, kSwap>(bytes.data() + i * sizeof(Unsigned)));
}

template <class Unsigned, class Out, class Convert>
void convert_each(std::span<const std::byte> bytes, ByteOrder order, std::span<Out> dst, Convert convert) {
  if (order == kHostOrder) {
    convert_elements<Unsigned, false>(bytes, dst, convert);
  } else {
    convert_elements<Unsigned, true>(bytes, dst, convert);
  }
}

template <class Unsigned, class Signed>
void convert_integers(std::span<const std::byte> bytes, ByteOrder order, std::span<std::int64_t> dst) {
  convert_each<Unsigned>(bytes, order, dst,
                         [](Unsigned raw) { return static_cast<std::int64_t>(std::bit_cast<Signed>(raw)); });
}

template <class T>
void append_elements(TensorView<const T> values, std::string& out) {
  using Unsigned = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  const std::size_t count = static_cast<std::size_t>(values.numel());
  const std::size_t start = out.size();
  out.resize(start + count * sizeof(T));
  char* dst = out.data() + start;
  if (kHostOrder == ByteOrder::kLittle && values.is_contiguous()) {
    if (count > 0) std::memcpy(dst, values.data(), count * sizeof(T));
    return;
  }
  values.for_each_offset([&](Index offset) {
    Unsigned bits = std::bit_cast<Unsigned>(values.data()[offset]);
    for (std::size_t i = 0; i < sizeof(T); ++i, bits >>= 8) *dst++ = static_cast<char>(bits & 0xffu);
  });
}

}  // namespace

void append_little_endian(TensorView<const float> values, std::string& out) { append_elements(values, out); }
void append_little_endian(TensorView<const std::int64_t> values, std::string& out) { append_elements(values, out); }

std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kU8:
    case DType::kI8:
      return 1;
    case DType::kU16:
    case DType::kI16:
    case DType::kF16:
    case DType::kBF16:
      return 2;
    case DType::kU32:
    case DType::kI32:
    case DType::kF32:
      return 4;
    case DType::kU64:
    case DType::kI64:
    case DType::kF64:
      return 8;
  }
  return 0;
}

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return "BOOL";
    case DType::kU8:
      return "U8";
    case DType::kI8:
      return "I8";
    case DType::kU16:
      return "U16";
    case DType::kI16:
      return "I16";
    case DType::kU32:
      return "U32";
    case DType::kI32:
      return "I32";
    case DType::kU64:
      return "U64";
    case DType::kI64:
      return "I64";
    case DType::kF16:
      return "F16";
    case DType::kBF16:
      return "BF16";
    case DType::kF32:
      return "F32";
    case DType::kF64:
      return "F64";
  }
  return "?";
}

bool is_floating(DType dtype) {
  return dtype == DType::kF16 || dtype == DType::kBF16 || dtype == DType::kF32 || dtype == DType::kF64;
}

void convert_to_float(DType dtype, ByteOrder order, std::span<const std::byte> bytes, std::span<float> dst) {
  switch (dtype) {
    case DType::kF32:
      if (order == kHostOrder) {
        if (!dst.empty()) std::memcpy(dst.data(), bytes.data(), dst.size() * sizeof(float));
        return;
      }
      convert_each<std::uint32_t>(bytes, order, dst, [](std::uint32_t bits) { return std::bit_cast<float>(bits); });
      return;
    case DType::kF64:
      convert_each<std::uint64_t>(bytes, order, dst,
                                  [](std::uint64_t bits) { return static_cast<float>(std::bit_cast<double>(bits)); });
      return;
    case DType::kF16:
      convert_each<std::uint16_t>(bytes, order, dst, [](std::uint16_t bits) { return float16_bits_to_float(bits); });
      return;
    case DType::kBF16:
      convert_each<std::uint16_t>(bytes, order, dst, [](std::uint16_t bits) { return bfloat16_bits_to_float(bits); });
      return;
    default:
      return;  // not floating: excluded by the precondition
  }
}

std::optional<std::size_t> convert_to_int64(DType dtype, ByteOrder order, std::span<const std::byte> bytes,
                                            std::span<std::int64_t> dst) {
  switch (dtype) {
    case DType::kBool:
      // numpy and torch store bools as one byte 0 or 1; any non-zero byte reads as true.
      for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = bytes[i] != std::byte{0} ? 1 : 0;
      return std::nullopt;
    case DType::kU8:
      convert_integers<std::uint8_t, std::uint8_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kI8:
      convert_integers<std::uint8_t, std::int8_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kU16:
      convert_integers<std::uint16_t, std::uint16_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kI16:
      convert_integers<std::uint16_t, std::int16_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kU32:
      convert_integers<std::uint32_t, std::uint32_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kI32:
      convert_integers<std::uint32_t, std::int32_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kI64:
      convert_integers<std::uint64_t, std::int64_t>(bytes, order, dst);
      return std::nullopt;
    case DType::kU64: {
      convert_integers<std::uint64_t, std::int64_t>(bytes, order, dst);
      // Values above INT64_MAX came out negative: find the first.
      const auto negative = std::find_if(dst.begin(), dst.end(), [](std::int64_t v) { return v < 0; });
      if (negative != dst.end()) return static_cast<std::size_t>(negative - dst.begin());
      return std::nullopt;
    }
    default:
      return std::nullopt;  // floating: excluded by the precondition
  }
}

}  // namespace posemb::io
