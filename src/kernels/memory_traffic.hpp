#pragma once
// How the memory-bound elementwise kernels move their bytes: RoPE and the position-row add use
// both of the following (where RoPE streams its output it still prefetches its input; the row
// add then prefetches nothing), the relative-bias add neither (prefetching its rows measured no
// faster). Measured with bench/positional_kernels_bench.cpp:
//
// - Prefetch 8 KiB ahead of the reads, and of the writes of an output that stays in the cache,
//   when the data a call touches is larger than the last-level cache, so that it comes from
//   memory. The hardware prefetcher follows one sequential stream well but loses track of
//   RoPE's zig-zag within a head (halves: lines 0, 4, 1, 5, ...) and of the position-row add's
//   walk over several sequences of a batch side by side. Data that fits the cache is usually
//   there already (written by the layer before, as the benchmark's copy of the same tensor
//   leaves it), and there the prefetches are only extra instructions: RoPE on an 8 MiB tensor
//   ran 10-20% faster without them (A/B, 2 rounds of 16 cases). (When the benchmark's copy
//   used buffers of its own, which pushed the kernel's tensor out of the cache, prefetching
//   took RoPE in place on 8 MiB from 1.05-1.13x to 1.3-1.7x memcpy: the case of a tensor that
//   comes from memory.)
// - Streaming (non-temporal) stores for an output that is larger than the last-level cache.
//   Such an output leaves the cache before anyone reads it, and a normal store first reads the
//   destination line it overwrites; writing around the cache saves that third of the traffic
//   (out of place 1.1x -> 1.5x memcpy at 64 MiB). Smaller outputs use normal stores: the
//   caller (attention) reads them back from the cache, and streaming them measured slower.
#include <cstdint>
#include <string>

namespace posemb::kernels {

inline constexpr std::int64_t kCacheLineBytes = 64;
inline constexpr std::int64_t kPrefetchAheadBytes = 8192;

// Size of the largest cache this CPU sees (sysfs, else sysconf), or 32 MiB where neither says,
// as much of it as plausible_cache_bytes believes.
std::int64_t last_level_cache_bytes();

// No CPU made has more than 12 MiB of last-level cache per core (AMD's stacked-cache parts;
// Intel's Xeons have about 2), so a cache that claims more than kMaxCacheBytesPerCpu for each
// CPU that shares it is a virtual machine showing its host's whole cache: a 2-CPU guest on an
// Intel Xeon sees "480 MiB, shared by CPUs 0-1" and gets a small share of it, the rest being
// used by the host's other guests. There a 64 MiB output (RoPE at T = 4096) left the cache
// before anyone read it: streaming stores took RoPE out of place from 0.76x to 1.34x memcpy
// (bench/positional_kernels_bench.cpp, A/B of the threshold). Such a size is capped at
// kMaxCacheBytesPerCpu per sharing CPU; sharing_cpus <= 0 (not known) leaves it as reported.
inline constexpr std::int64_t kMaxCacheBytesPerCpu = std::int64_t{16} << 20;
std::int64_t plausible_cache_bytes(std::int64_t reported_bytes, int sharing_cpus);

// How many CPUs a Linux CPU list names ("0-1", "0,2,4-7", as sysfs writes shared_cpu_list);
// 0 for text that is not such a list.
int count_cpu_list(const std::string& text);

// Outputs of more bytes than this are written with streaming stores: last_level_cache_bytes(),
// unless set_streaming_store_threshold changed it. Tests lower it to run the streaming paths on
// small tensors; a negative value restores the default.
std::int64_t streaming_store_threshold();
void set_streaming_store_threshold(std::int64_t bytes);

// Whether an output of this many bytes should be written with streaming stores.
inline bool output_outlives_cache(std::int64_t output_bytes) { return output_bytes > streaming_store_threshold(); }

// Whether a call that touches this many bytes (inputs and output) should prefetch ahead: the
// same threshold, so that the tests that lower it run the prefetching paths too.
inline bool data_outlives_cache(std::int64_t touched_bytes) { return touched_bytes > streaming_store_threshold(); }

// Asks for the cache line at p (for reading or writing alike: prefetcht0 on x86).
inline void prefetch_line(const float* p) {
#if defined(__x86_64__) || defined(__i386__)
  // Inline assembly, not __builtin_prefetch: GCC 12 deletes a loop whose only statements are
  // __builtin_prefetch calls once it is inlined (it counts them as having no effect), and with
  // them went the whole speed-up. volatile keeps the instruction where it is written.
  asm volatile("prefetcht0 %0" : : "m"(*reinterpret_cast<const char*>(p)));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

// Asks for the cache lines of [p + kPrefetchAheadBytes, ... + count floats), clipped to end:
// a kernel that walks [begin, end) calls this for each span it is about to touch, of its input
// and, when the output stays in the cache, of its output (a store waits for its line too).
inline void prefetch_ahead(const float* p, std::int64_t count, const float* end) {
  constexpr std::int64_t kAheadFloats = kPrefetchAheadBytes / sizeof(float);
  constexpr std::int64_t kLineFloats = kCacheLineBytes / sizeof(float);
  const std::int64_t available = (end - p) - kAheadFloats;
  const std::int64_t n = count < available ? count : available;
  for (std::int64_t i = 0; i < n; i += kLineFloats) prefetch_line(p + kAheadFloats + i);
}

}  // namespace posemb::kernels
