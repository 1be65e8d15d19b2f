#pragma once
// Widening IEEE half precision (F16) and bfloat16 (BF16) to float32, exactly as
// PyTorch's `tensor.float()` does (checked against torch for all 65536 bit patterns of
// each: tests/io/float16_test.cpp). Widening is exact: every F16 and BF16 value is a
// float32 value, so there is no rounding to get wrong; the traps are subnormal F16
// inputs and NaN payloads.
#include <bit>
#include <cstdint>

namespace posemb::io {

// F16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
inline float float16_bits_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000u) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fu;
  const std::uint32_t mantissa = half & 0x3ffu;
  if (exponent == 0x1f) {
    // Inf, or NaN with its payload moved to the top of the float mantissa. The quiet bit
    // is set as the x86 conversion (and so torch) does: a signalling F16 NaN comes out quiet.
    const std::uint32_t quiet = mantissa != 0 ? 0x00400000u : 0u;
    return std::bit_cast<float>(sign | 0x7f800000u | quiet | (mantissa << 13));
  }
  if (exponent != 0) {
    // Normal: rebias the exponent from 15 to 127.
    return std::bit_cast<float>(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  }
  // Zero or subnormal: mantissa * 2^-24, which float32 holds exactly as a normal number.
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
  return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(magnitude));
}

// BF16 is the top half of a float32, so widening is a shift (NaN payloads kept as they are).
inline float bfloat16_bits_to_float(std::uint16_t bf16) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(bf16) << 16);
}

}  // namespace posemb::io
