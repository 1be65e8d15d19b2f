// Generator against torch 1.13's CPU generator (tests/goldens/core/random_normal.json, written
// by tools/goldens/core/random_normal.py): bit-exact, for every draw.
#include "posemb/core/random.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/core/portable_math.hpp"
#include "posemb/io/file.hpp"

namespace posemb {
namespace {

using nlohmann::json;

const json& golden() {
  static const json document = json::parse(io::read_file_bytes(POSEMB_GOLDENS_DIR "/core/random_normal.json"));
  return document;
}

std::uint64_t fnv1a64(const std::vector<std::uint32_t>& words) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const std::uint32_t w : words)
    for (int byte = 0; byte < 4; ++byte) {  // little-endian bytes, as the script hashes them
      h ^= (w >> (8 * byte)) & 0xffu;
      h *= 0x100000001b3ULL;
    }
  return h;
}

std::vector<std::uint32_t> bits_of(const std::vector<float>& values) {
  std::vector<std::uint32_t> bits;
  bits.reserve(values.size());
  for (const float v : values) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

// Compares one float32 draw with its golden; returns the number of differing values seen.
int compare_float_draw(const std::vector<float>& ours, const json& draw, const std::string& where) {
  const std::vector<std::uint32_t> bits = bits_of(ours);
  EXPECT_EQ(bits.size(), draw.at("numel").get<std::size_t>()) << where;
  int mismatches = 0;
  const auto check = [&](std::size_t index, std::uint32_t expected) {
    if (bits[index] != expected && ++mismatches <= 5)
      ADD_FAILURE() << where << ": value " << index << " is " << std::bit_cast<float>(bits[index]) << ", torch drew "
                    << std::bit_cast<float>(expected);
  };
  if (draw.contains("bits")) {
    const auto expected = draw.at("bits").get<std::vector<std::uint32_t>>();
    for (std::size_t i = 0; i < expected.size() && i < bits.size(); ++i) check(i, expected[i]);
  } else {
    const auto head = draw.at("head").get<std::vector<std::uint32_t>>();
    const auto tail = draw.at("tail").get<std::vector<std::uint32_t>>();
    for (std::size_t i = 0; i < head.size(); ++i) check(i, head[i]);
    for (std::size_t i = 0; i < tail.size(); ++i) check(bits.size() - tail.size() + i, tail[i]);
    const std::uint64_t expected_hash = std::stoull(draw.at("fnv1a64").get<std::string>(), nullptr, 16);
    if (fnv1a64(bits) != expected_hash) {
      ++mismatches;
      ADD_FAILURE() << where << ": the hash of all " << bits.size() << " values differs from torch's";
    }
  }
  return mismatches;
}

TEST(Generator, DrawsTorchsNumbersBitForBit) {
  const json& cases = golden().at("cases");
  ASSERT_GE(cases.size(), 40u);
  std::size_t draws_checked = 0;
  for (const json& c : cases) {
    const auto seed = c.at("seed").get<std::uint64_t>();
    Generator gen(seed);
    int index = 0;
    for (const json& draw : c.at("draws")) {
      const std::string where = fmt::format("seed {} draw {} ({})", seed, index++, draw.dump().substr(0, 60));
      const std::string kind = draw.at("kind").get<std::string>();
      std::vector<float> values(draw.at("numel").get<std::size_t>());
      if (kind == "normal" || kind == "embedding") {
        gen.fill_normal(values, draw.value("mean", 0.0), draw.value("std", 1.0));
      } else if (kind == "rand") {
        for (float& v : values) v = gen.uniform_float();
      } else if (kind == "rand64") {
        const auto expected = draw.at("bits").get<std::vector<std::string>>();
        for (std::size_t i = 0; i < expected.size(); ++i)
          EXPECT_EQ(std::bit_cast<std::uint64_t>(gen.uniform_double()), std::stoull(expected[i], nullptr, 16))
              << where << " value " << i;
        ++draws_checked;
        continue;
      } else {
        FAIL() << "unknown draw kind " << kind;
      }
      compare_float_draw(values, draw, where);
      ++draws_checked;
    }
  }
  EXPECT_GE(draws_checked, 60u);
}

TEST(Generator, FastBoxMullerEqualsThePlainFormula) {
  // fill_normal's loop may run a build specialised for the CPU (AVX2 + FMA clone); the
  // exported portable_math functions are built for the baseline CPU. Same bits required.
  Generator uniforms(77), normals(77);
  std::vector<float> u(4096), ours(4096);
  for (float& v : u) v = uniforms.uniform_float();
  normals.fill_normal(ours, 0.25, 1.5);
  for (std::size_t block = 0; block < u.size(); block += 16) {
    for (std::size_t j = 0; j < 8; ++j) {
      const float radius = std::sqrt(-2.0f * portable_math::cephes_log(1.0f - u[block + j]));
      const auto angle =
          portable_math::cephes_sincos(static_cast<float>(2.0 * 3.14159265358979323846) * u[block + j + 8]);
      EXPECT_EQ(std::bit_cast<std::uint32_t>(ours[block + j]),
                std::bit_cast<std::uint32_t>(std::fma(radius * angle.cos, 1.5f, 0.25f)));
      EXPECT_EQ(std::bit_cast<std::uint32_t>(ours[block + j + 8]),
                std::bit_cast<std::uint32_t>(std::fma(radius * angle.sin, 1.5f, 0.25f)));
    }
  }
}

TEST(Generator, SameSeedSameNumbers) {
  Generator a(2024), b(2024);
  std::vector<float> x(1000), y(1000);
  a.fill_normal(x);
  b.fill_normal(y);
  EXPECT_EQ(x, y);
  Generator c(2025);
  c.fill_normal(y);
  EXPECT_NE(x, y);
}

TEST(Generator, OnlyTheLow32BitsOfTheSeedMatter) {
  // torch.manual_seed(s) seeds mt19937 with s mod 2^32.
  Generator a(5), b((std::uint64_t{1} << 32) + 5);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.random32(), b.random32());
}

TEST(Generator, MersenneTwisterStandardSequence) {
  // The C++ standard's check value for mt19937 with its default seed: the 10000th output.
  Generator gen(5489);
  std::uint32_t value = 0;
  for (int i = 0; i < 10000; ++i) value = gen.random32();
  EXPECT_EQ(value, 4123659995u);
}

TEST(Generator, NormalsHaveTheRightMoments) {
  // A statistical sanity check of both paths, independent of torch.
  Generator gen(99);
  std::vector<float> big(1 << 18);
  gen.fill_normal(big, 1.5, 2.0);
  double sum = 0, sum_sq = 0;
  for (const float v : big) {
    sum += v;
    sum_sq += (v - 1.5) * (v - 1.5);
  }
  const double n = static_cast<double>(big.size());
  EXPECT_NEAR(sum / n, 1.5, 0.02);
  EXPECT_NEAR(std::sqrt(sum_sq / n), 2.0, 0.02);

  double small_sum = 0, small_sq = 0;
  const int pairs = 100000;
  for (int i = 0; i < pairs; ++i) {
    std::vector<float> two(2);
    gen.fill_normal(two);
    for (const float v : two) {
      small_sum += v;
      small_sq += v * v;
    }
  }
  EXPECT_NEAR(small_sum / (2 * pairs), 0.0, 0.01);
  EXPECT_NEAR(small_sq / (2 * pairs), 1.0, 0.02);
}

TEST(Generator, RejectsBadParameters) {
  Generator gen(1);
  std::vector<float> v(4);
  EXPECT_THROW(gen.fill_normal(v, 0.0, -1.0), Error);
  EXPECT_THROW(gen.fill_normal(v, std::nan(""), 1.0), Error);
  try {
    gen.fill_normal(v, 0.0, -2.0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("std = -2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace posemb
