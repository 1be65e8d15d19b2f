#pragma once
// A random number generator that draws PyTorch's numbers:
//
//   posemb::Generator gen(123);            torch.manual_seed(123)
//   gen.fill_normal(table.values());       torch.nn.Embedding(V, D)  (its init.normal_)
//
// gives, table for table, the numbers torch 1.13 draws on the CPU, bit for bit, and the same
// numbers on every machine (tests/core/random_test.cpp checks both against torch goldens).
//
// What torch does (ATen/core/DistributionsHelper.h, TransformationHelper.h,
// native/cpu/DistributionTemplates.h), and so what we do:
//   - mt19937 seeded with the low 32 bits of the seed; random64() joins two outputs, first high.
//   - Tensor.normal_ on >= 16 contiguous float32 elements: fill the tensor with float uniforms
//     (24 random bits), then Box–Muller in blocks of 16 (u1 from the block's first 8, u2 from
//     its last 8; cos results go to the first 8, sin to the last 8). When the size is not a
//     multiple of 16, draw 16 fresh uniforms for the last 16 elements and redo them.
//     Torch evaluates log/sin/cos here with its AVX2 Cephes code; we reproduce that arithmetic
//     in portable scalar code (portable_math.hpp). Torch's own fallback kernel (used on CPUs
//     without AVX2, or with ATEN_CPU_CAPABILITY=default) calls libm instead and differs in
//     the last bit for some values; we always give the AVX2 numbers.
//   - Fewer than 16 elements: one double-precision Box–Muller per two elements (53-bit
//     uniforms), the second value of each pair cached in the generator for the next draw.
#include <cstdint>
#include <optional>
#include <random>
#include <span>

namespace posemb {

class Generator {
 public:
  // torch.manual_seed(seed): like torch, only the low 32 bits of the seed reach mt19937.
  explicit Generator(std::uint64_t seed);

  std::uint64_t seed() const { return seed_; }

  // The next 32 bits of mt19937 (CPUGeneratorImpl::random).
  std::uint32_t random32();
  // Two outputs joined, the first in the high half (CPUGeneratorImpl::random64).
  std::uint64_t random64();
  // Uniform in [0, 1) on a 2^-24 grid, from random32() (uniform_real_distribution<float>).
  float uniform_float();
  // Uniform in [0, 1) on a 2^-53 grid, from random64() (uniform_real_distribution<double>).
  double uniform_double();
  // N(mean, std^2) in double (at::normal_distribution<double>): Box–Muller draws two values
  // and the generator keeps the second for the next call, as torch's does.
  double normal_double(double mean = 0.0, double std = 1.0);

  // Tensor.normal_(mean, std) on a contiguous float32 tensor of values.size() elements.
  // Throws posemb::Error if std is negative or either parameter is not finite.
  void fill_normal(std::span<float> values, double mean = 0.0, double std = 1.0);

 private:
  std::uint64_t seed_;
  std::mt19937 engine_;
  std::optional<double> next_double_normal_;
};

}  // namespace posemb
