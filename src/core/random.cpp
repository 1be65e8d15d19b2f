#include "posemb/core/random.hpp"

// The sampling algorithms of torch 1.13's CPU generator, written again in scalar C++; see the
// header for what torch does. Built with -ffp-contract=off (src/core/CMakeLists.txt): every
// rounding below is the one we wrote. (-fno-math-errno there only lets std::sqrt be one
// instruction; it changes no value.)
#include <fmt/format.h>

#include <cmath>
#include <cstddef>

#include "cephes_float.hpp"
#include "posemb/core/error.hpp"
#include "posemb/core/portable_math.hpp"

namespace posemb {
namespace {

// c10::pi<double>; torch forms 2*pi in double and rounds it to float for the AVX2 kernel.
constexpr double kPi = 3.14159265358979323846;
constexpr float kTwoPiFloat = static_cast<float>(2.0 * kPi);

// On x86-64 Linux the Box–Muller loop is also compiled for AVX2 + FMA CPUs and chosen at
// load time: std::fma then becomes one instruction instead of a libm call (3-4x faster).
// Both versions execute the same IEEE operations, so they give the same bits.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define POSEMB_CLONE_FOR_AVX2 __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define POSEMB_CLONE_FOR_AVX2
#endif

// torch's vectorised Box–Muller (normal_fill_16_AVX2) on `blocks` blocks of 16 values. On
// entry each block holds uniforms u[0..16) in [0, 1); on exit, normals:
//   block[j]     = sqrt(-2 log(1 - u[j])) * cos(2 pi u[j + 8]) * std + mean
//   block[j + 8] = sqrt(-2 log(1 - u[j])) * sin(2 pi u[j + 8]) * std + mean   (j < 8)
POSEMB_CLONE_FOR_AVX2
void box_muller_blocks(float* values, std::size_t blocks, float mean, float std) {
  for (std::size_t b = 0; b < blocks; ++b) {
    float* block = values + 16 * b;
    for (int j = 0; j < 8; ++j) {
      const float u1 = 1.0f - block[j];  // (0, 1], so the log is finite
      const float u2 = block[j + 8];
      const float radius = std::sqrt(-2.0f * portable_math::detail::cephes_log(u1));
      const portable_math::SinCos<float> angle = portable_math::detail::cephes_sincos(kTwoPiFloat * u2);
      block[j] = std::fma(radius * angle.cos, std, mean);
      block[j + 8] = std::fma(radius * angle.sin, std, mean);
    }
  }
}

}  // namespace

Generator::Generator(std::uint64_t seed) : seed_(seed), engine_(static_cast<std::uint32_t>(seed & 0xffffffffu)) {}

std::uint32_t Generator::random32() { return static_cast<std::uint32_t>(engine_()); }

std::uint64_t Generator::random64() {
  const std::uint64_t high = random32();
  const std::uint64_t low = random32();
  return (high << 32) | low;
}

float Generator::uniform_float() {
  // The low 24 bits (float's significand) times 2^-24: exact.
  return static_cast<float>(random32() & 0xffffffu) * 0x1p-24f;
}

double Generator::uniform_double() { return static_cast<double>(random64() & 0x1fffffffffffffULL) * 0x1p-53; }

double Generator::normal_double(double mean, double std) {
  if (next_double_normal_) {
    const double cached = *next_double_normal_;
    next_double_normal_.reset();
    return std::fma(cached, std, mean);
  }
  const double u1 = uniform_double();
  const double u2 = uniform_double();
  const double radius = std::sqrt(-2.0 * portable_math::log(1.0 - u2));
  const double theta = 2.0 * kPi * u1;
  const portable_math::SinCos<double> angle = portable_math::sincos(theta);
  next_double_normal_ = radius * angle.sin;
  return std::fma(radius * angle.cos, std, mean);
}

void Generator::fill_normal(std::span<float> values, double mean, double std) {
  if (!std::isfinite(mean) || !std::isfinite(std) || std < 0.0)
    throw Error(fmt::format("normal distribution needs a finite mean and a finite std >= 0, got mean = {}, std = {}",
                            mean, std));
  const std::size_t size = values.size();
  if (size < 16) {
    // torch's scalar path: double precision, one value at a time (pairs through the cache).
    for (float& v : values) v = static_cast<float>(normal_double(mean, std));
    return;
  }
  const auto mean_f = static_cast<float>(mean);
  const auto std_f = static_cast<float>(std);
  for (float& v : values) v = uniform_float();
  box_muller_blocks(values.data(), size / 16, mean_f, std_f);
  if (size % 16 != 0) {
    // The last partial block: torch draws 16 new uniforms over the last 16 elements (some of
    // them already normals) and transforms them again.
    float* tail = values.data() + size - 16;
    for (std::size_t i = 0; i < 16; ++i) tail[i] = uniform_float();
    box_muller_blocks(tail, 1, mean_f, std_f);
  }
}

}  // namespace posemb
