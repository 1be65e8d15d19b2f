// Compares portable_math::cephes_log / cephes_sincos with torch 1.13's own AVX2 code
// (log256_ps / sincos256_ps from the installed ATen/native/cpu/avx_mathfun.h, compiled the
// way torch's AVX2 kernels are: g++ -mavx2 -mfma, multiply-add contraction on) for every
// input torch's Box–Muller can give them: 1 - u and float(2 pi) * u for all 2^24 uniforms u.
// Built and run by check_torch_avx2_math.sh; prints the number of differing results.
#define CPU_CAPABILITY_AVX2
#include <immintrin.h>

#include <bit>
#include <cstdint>
#include <cstdio>

#include "posemb/core/portable_math.hpp"

#define ATen_native_cpu_Intrinsics_h  // avx_mathfun.h only needs <immintrin.h>
#include <ATen/native/cpu/avx_mathfun.h>

int main() {
  long log_mismatches = 0, sin_mismatches = 0, cos_mismatches = 0;
  const float two_pi = static_cast<float>(2.0 * 3.14159265358979323846);
  for (std::uint32_t base = 0; base < (1u << 24); base += 8) {
    alignas(32) float u1[8], theta[8], log_out[8], sin_out[8], cos_out[8];
    for (int k = 0; k < 8; ++k) {
      const float u = static_cast<float>(base + k) * 0x1p-24f;
      u1[k] = 1.0f - u;
      theta[k] = two_pi * u;
    }
    _mm256_store_ps(log_out, log256_ps(_mm256_load_ps(u1)));
    __m256 s, c;
    sincos256_ps(_mm256_load_ps(theta), &s, &c);
    _mm256_store_ps(sin_out, s);
    _mm256_store_ps(cos_out, c);
    for (int k = 0; k < 8; ++k) {
      const auto sc = posemb::portable_math::cephes_sincos(theta[k]);
      log_mismatches += std::bit_cast<std::uint32_t>(posemb::portable_math::cephes_log(u1[k])) !=
                        std::bit_cast<std::uint32_t>(log_out[k]);
      sin_mismatches += std::bit_cast<std::uint32_t>(sc.sin) != std::bit_cast<std::uint32_t>(sin_out[k]);
      cos_mismatches += std::bit_cast<std::uint32_t>(sc.cos) != std::bit_cast<std::uint32_t>(cos_out[k]);
    }
  }
  std::printf("inputs: 2^24 each; log mismatches: %ld, sin mismatches: %ld, cos mismatches: %ld\n", log_mismatches,
              sin_mismatches, cos_mismatches);
  return (log_mismatches || sin_mismatches || cos_mismatches) ? 1 : 0;
}
