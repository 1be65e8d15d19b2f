// F16 and BF16 widening against what torch's tensor.float() gives
// (tools/goldens/io/make_float16_tables.py).
#include "posemb/io/float16.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "io_test_support.hpp"

namespace posemb::io {
namespace {

std::uint32_t little_endian_u32(const std::string& bytes, std::size_t index) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[index * 4 + static_cast<std::size_t>(i)]);
  return value;
}

TEST(Float16, EveryBitPatternWidensAsTorchDoes) {
  const std::string table = read_file_bytes(testing::golden("float16/f16_to_f32.bin"));
  ASSERT_EQ(table.size(), 65536u * 4);
  int mismatches = 0;
  for (std::uint32_t half = 0; half < 65536; ++half) {
    const std::uint32_t expected = little_endian_u32(table, half);
    const std::uint32_t got = std::bit_cast<std::uint32_t>(float16_bits_to_float(static_cast<std::uint16_t>(half)));
    if (got != expected && ++mismatches <= 10)
      ADD_FAILURE() << std::hex << "F16 0x" << half << ": got float bits 0x" << got << ", torch gives 0x" << expected;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(Float16, BFloat16SampleWidensAsTorchDoes) {
  const std::string table = read_file_bytes(testing::golden("float16/bf16_to_f32_sample.bin"));
  ASSERT_EQ(table.size() % 8, 0u);
  ASSERT_GT(table.size(), 0u);
  for (std::size_t record = 0; record < table.size() / 8; ++record) {
    const std::uint32_t bf16 = little_endian_u32(table, 2 * record);
    const std::uint32_t expected = little_endian_u32(table, 2 * record + 1);
    ASSERT_LT(bf16, 65536u);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(bfloat16_bits_to_float(static_cast<std::uint16_t>(bf16))), expected)
        << std::hex << "BF16 0x" << bf16;
  }
}

}  // namespace
}  // namespace posemb::io
