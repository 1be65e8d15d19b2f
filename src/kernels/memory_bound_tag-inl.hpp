// The vectors of the memory-bound elementwise kernels (RoPE, the position-row add, the
// relative-bias add): at most 256 bits, whatever the target offers. These kernels do a few
// operations per float, so their speed is how fast bytes move between the caches and the core,
// and 512-bit vectors do not move them faster. On AMD Zen 4 (AVX-512 split into 256-bit
// halves) they moved them slower: with the tensor in the L3 cache (T = 512 in
// bench/positional_kernels_bench.cpp), RoPE out of place went from 0.84-0.91x to
// 1.02-1.06x memcpy on 1 thread, the bias add from 1.20x to 1.37-1.39x, the sinusoidal add
// (batch 1, out of place) from 0.70-0.81x to 0.92-0.97x, when we made Highway skip its
// AVX-512 target (2 alternating runs); with the tensor in memory (T = 4096) within noise.
// Per-target header: include it after hwy/highway.h in a file that foreach_target.h
// compiles once per target.
#if defined(POSEMB_KERNELS_MEMORY_BOUND_TAG_INL_HPP_) == defined(HWY_TARGET_TOGGLE)
#ifdef POSEMB_KERNELS_MEMORY_BOUND_TAG_INL_HPP_
#undef POSEMB_KERNELS_MEMORY_BOUND_TAG_INL_HPP_
#else
#define POSEMB_KERNELS_MEMORY_BOUND_TAG_INL_HPP_
#endif

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {

// Floats per vector: 8 (AVX2, AVX-512), 4 (SSE4, NEON), the hardware's up to 8 (SVE, RVV).
using MemoryBoundTag = hwy::HWY_NAMESPACE::CappedTag<float, 8>;

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // per-target include guard
