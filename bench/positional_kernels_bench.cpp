// The positional kernels against memcpy of the same bytes, measured in the same run.
//   build/release/bench/positional_kernels_bench        (scripts/bench-positional.sh prints a table)
//
// These ops are memory-bound, so the yardstick is a copy: for each case, rounds alternate one
// memcpy of the kernel's own input tensor (x -> out, split over the same threads) and one
// kernel call, and the best time of each is kept. As issue #4 defines it, `x_memcpy` is the
// kernel's effective GB/s as a fraction of the copy's: the bytes the kernel has to move (its
// tensor read and written, plus the tables it reads: cos/sin rows, position rows, bias
// windows), over its time, against the copy's bytes over the copy's time. 1.0 moves bytes as
// fast as a copy; an in-place pass can beat a copy (it reads each line once, writes it back,
// and does not read the destination before writing it). `time_x_memcpy` = copy time / kernel
// time, the same ratio without the tables' bytes; the two differ for the sinusoidal add, whose
// table is as large as x with batch 1.
//
// The copy reads the very bytes the kernel reads, so both find them where the other left them:
// in the cache at T = 512 (8 MiB), in memory at T = 4096 (64 MiB). (Until 2026-11-29 the copy
// had buffers of its own; their 16 MiB pushed the kernel's tensor out of the cache between
// rounds, so at T = 512 both ran from memory, where the kernels' prefetches pay, and the ratios
// were higher than with the tensor in the cache, as it is in a model.)
//
//   RoPE        x [T, 32 heads, 128]             cos/sin cached for T positions (default or YaRN)
//   sinusoidal  x [T, 4096] += table[pos, :]     the same bytes as RoPE's x; batch 1, so the
//               table is as large as x (the kernel moves 1.5x the bytes of the copy)
//               x [4, T, 1024], the table shared by the 4 sequences (1.125x the bytes of the copy)
//   bias        scores [32 heads, 64 queries, T keys] += ALiBi/T5 bias by distance
//
// Yardsticks, to tell the hardware's limit from the kernel's: the same work written as the
// plainest loop, measured in the same way (the "plain loop" rows of scripts/bench-positional.sh);
// and out = -x over RoPE's tensor, the least work a pass that reads and writes every float can
// do. The loops are compiled for AVX2 as well as the baseline and run the AVX2 clone where the
// CPU has it, so that they use vectors as wide as the kernels' (an SSE2 loop would understate
// what the hardware allows).
//
//   POSEMB_STREAMING_THRESHOLD=0 build/release/bench/positional_kernels_bench   (A/B: always stream)
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "posemb/core/aligned_allocator.hpp"
#include "posemb/kernels/matmul.hpp"  // set_kernel_threads
#include "posemb/kernels/position_rows.hpp"
#include "posemb/kernels/relative_bias.hpp"
#include "posemb/kernels/rope.hpp"
#include "posemb/positional/rope.hpp"
#include "kernels/memory_traffic.hpp"  // set_streaming_store_threshold

namespace {

namespace k = posemb::kernels;
namespace pos = posemb::positional;
using Index = std::int64_t;

constexpr Index kHeads = 32, kHeadDim = 128, kQueries = 64;

// Buffers are aligned as posemb's tensors are (64 bytes; a plain std::vector of this size comes
// from mmap 16 bytes past a page, and every other vector load then straddles two cache lines).
// Fresh memory is slow on first touch (a page fault per 4 KiB): every buffer is written once
// before anything is timed.
using Buffer = std::vector<float, posemb::AlignedAllocator<float>>;
Buffer warm(std::size_t n, float value) { return Buffer(n, value); }

// piece(first, last) over [0, n) on `threads` threads, one contiguous piece each, as the kernels
// split a tensor.
template <class Piece>
void for_thread_pieces(std::size_t n, int threads, Piece&& piece) {
#pragma omp parallel num_threads(threads)
  {
    const std::size_t id = static_cast<std::size_t>(omp_get_thread_num()), count = omp_get_num_threads();
    piece(n * id / count, n * (id + 1) / count);
  }
}

// memcpy over the same threads as the kernels.
void parallel_copy(float* dst, const float* src, std::size_t n, int threads) {
  for_thread_pieces(n, threads, [&](std::size_t first, std::size_t last) {
    std::memcpy(dst + first, src + first, (last - first) * sizeof(float));
  });
}

// The plain loops, one contiguous span each, vectorised by the compiler for the widest target
// the CPU has (GCC picks the clone at load time). In place and out of place are separate
// functions with unaliased pointers: with out == x the compiler's runtime overlap check would
// send a loop with two pointers to its scalar version.
#define POSEMB_WIDEST_VECTORS __attribute__((target_clones("avx2", "default")))

POSEMB_WIDEST_VECTORS void negate_span(const float* __restrict x, float* __restrict out, Index n) {
  for (Index i = 0; i < n; ++i) out[i] = -x[i];
}

POSEMB_WIDEST_VECTORS void negate_span_in_place(float* x, Index n) {
  for (Index i = 0; i < n; ++i) x[i] = -x[i];
}

POSEMB_WIDEST_VECTORS void add_span(const float* __restrict x, const float* __restrict row, float* __restrict out,
                                    Index n) {
  for (Index i = 0; i < n; ++i) out[i] = x[i] + row[i];
}

POSEMB_WIDEST_VECTORS void add_span_in_place(float* __restrict x, const float* __restrict row, Index n) {
  for (Index i = 0; i < n; ++i) x[i] += row[i];
}

POSEMB_WIDEST_VECTORS void accumulate_span(float* __restrict scores, const float* __restrict window, Index n) {
  for (Index j = 0; j < n; ++j) scores[j] += window[j];
}

double seconds(const std::function<void()>& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  benchmark::ClobberMemory();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Alternates copy and kernel; reports the kernel's best time as the iteration time, and its
// effective GB/s (x read and written once, plus table_bytes read) against the copy's.
void measure(benchmark::State& state, const Buffer& x, Buffer& copy_of_x, double table_bytes,
             const std::function<void()>& kernel) {
  const int threads = static_cast<int>(state.range(1));
  k::set_kernel_threads(threads);
  const std::size_t floats = x.size();
  double best_copy = 1e30, best_kernel = 1e30;
  for (auto _ : state) {
    best_copy = std::min(best_copy, seconds([&] { parallel_copy(copy_of_x.data(), x.data(), floats, threads); }));
    const double t = seconds(kernel);
    best_kernel = std::min(best_kernel, t);
    state.SetIterationTime(t);
  }
  const double copied_bytes = 2.0 * static_cast<double>(floats) * sizeof(float);  // read once, write once
  const double moved_bytes = copied_bytes + table_bytes;
  state.counters["GB/s"] = moved_bytes / best_kernel / 1e9;
  state.counters["memcpy_GB/s"] = copied_bytes / best_copy / 1e9;
  state.counters["x_memcpy"] = (moved_bytes / best_kernel) / (copied_bytes / best_copy);
  state.counters["time_x_memcpy"] = best_copy / best_kernel;
}

pos::RopeCache rope_cache(Index positions, bool yarn) {
  pos::RopeParams params;
  params.head_dim = params.rotary_dim = kHeadDim;
  params.max_position_embeddings = 4 * positions;
  if (yarn) {
    params.scaling.type = pos::RopeType::kYarn;
    params.scaling.factor = 4.0;
    params.scaling.original_max_position_embeddings = positions;
  }
  return pos::build_rope_cache(pos::compute_rope_frequencies(params), positions);
}

// range(0) = T, range(1) = threads, range(2) = interleaved, range(3) = in place, range(4) = yarn
void BM_Rope(benchmark::State& state) {
  const Index tokens = state.range(0);
  const auto pairing = state.range(2) ? k::RopePairing::kInterleaved : k::RopePairing::kHalves;
  const bool in_place = state.range(3) != 0;
  const pos::RopeCache cache = rope_cache(tokens, state.range(4) != 0);
  const std::size_t floats = static_cast<std::size_t>(tokens * kHeads * kHeadDim);
  auto x = warm(floats, 0.5f), out = warm(floats, 0.0f);
  std::vector<Index> positions(static_cast<std::size_t>(tokens));
  for (Index t = 0; t < tokens; ++t) positions[static_cast<std::size_t>(t)] = t;
  const k::RopeLayout layout{tokens, kHeads, kHeadDim, 0, kHeadDim, pairing};
  const double cos_sin_bytes = 2.0 * static_cast<double>(tokens * kHeadDim / 2) * sizeof(float);
  measure(state, x, out, cos_sin_bytes, [&] {
    k::rope_apply(x.data(), in_place ? x.data() : out.data(), layout, positions.data(), cache.cos.data(),
                  cache.sin.data(), k::RotationDirection::kForward);
  });
}

// x [batch, T, 4096 / batch] += table[T, 4096 / batch] (add_position_rows_to_batch, as the GPT
// adds its input rows). range(0) = T, range(1) = threads, range(2) = in place, range(3) = batch,
// range(4) = the plain loop instead of the kernel.
void BM_SinusoidalAdd(benchmark::State& state) {
  const Index seq = state.range(0), batch = state.range(3), dim = kHeads * kHeadDim / batch;
  const bool in_place = state.range(2) != 0, plain = state.range(4) != 0;
  const std::size_t floats = static_cast<std::size_t>(batch * seq * dim);
  auto x = warm(floats, 0.5f), out = warm(floats, 0.0f), table = warm(static_cast<std::size_t>(seq * dim), 0.25f);
  std::vector<Index> positions(static_cast<std::size_t>(seq));
  for (Index t = 0; t < seq; ++t) positions[static_cast<std::size_t>(t)] = t;
  float* destination = in_place ? x.data() : out.data();
  const double table_bytes = static_cast<double>(table.size()) * sizeof(float);  // each row read at least once
  measure(state, x, out, table_bytes, [&] {
    if (!plain) {
      k::add_position_rows_to_batch(x.data(), destination, batch, seq, dim, table.data(), positions.data());
      return;
    }
    for (Index b = 0; b < batch; ++b) {
      const float* xs = x.data() + b * seq * dim;
      float* os = destination + b * seq * dim;
#pragma omp parallel for num_threads(k::kernel_threads())
      for (Index t = 0; t < seq; ++t) {
        const float* row = table.data() + t * dim;
        if (in_place) {
          add_span_in_place(os + t * dim, row, dim);
        } else {
          add_span(xs + t * dim, row, os + t * dim, dim);
        }
      }
    }
  });
}

// range(0) = T (keys), range(1) = threads, range(2) = the plain loop instead of the kernel.
// Always in place: biases are added to the scores.
void BM_BiasAdd(benchmark::State& state) {
  const Index keys = state.range(0);
  const k::ScoreBlock block{kHeads, kQueries, keys, keys - kQueries, 0};  // the last 64 queries
  const k::DistanceRange range = k::relative_distance_range(block);
  const std::size_t floats = static_cast<std::size_t>(kHeads * kQueries * keys);
  auto scores = warm(floats, 0.5f), copy_of_scores = warm(floats, 0.0f);
  auto bias = warm(static_cast<std::size_t>(kHeads * range.count), 0.01f);
  const double bias_bytes = static_cast<double>(bias.size()) * sizeof(float);
  if (state.range(2) == 0) {
    measure(state, scores, copy_of_scores, bias_bytes, [&] {
      k::add_relative_bias(scores.data(), block, bias.data(), range.count, range.min_distance);
    });
    return;
  }
  measure(state, scores, copy_of_scores, bias_bytes, [&] {  // the plain loop
#pragma omp parallel for num_threads(k::kernel_threads())
    for (Index r = 0; r < kHeads * kQueries; ++r) {
      float* row = scores.data() + r * keys;
      accumulate_span(row, bias.data() + (r / kQueries) * range.count + (kQueries - 1 - r % kQueries), keys);
    }
  });
}

// The simplest elementwise pass over RoPE's tensor, out = -x, as the plainest loop: the most
// any kernel that reads and writes each float once can get here (no table, no arithmetic to
// speak of). range(0) = T, range(1) = threads, range(2) = in place.
void BM_PlainNegate(benchmark::State& state) {
  const Index tokens = state.range(0);
  const std::size_t floats = static_cast<std::size_t>(tokens * kHeads * kHeadDim);
  auto x = warm(floats, 0.5f), out = warm(floats, 0.0f);
  const bool in_place = state.range(2) != 0;
  measure(state, x, out, 0.0, [&] {
    for_thread_pieces(floats, k::kernel_threads(), [&](std::size_t first, std::size_t last) {
      const auto n = static_cast<Index>(last - first);
      if (in_place) {
        negate_span_in_place(x.data() + first, n);
      } else {
        negate_span(x.data() + first, out.data() + first, n);
      }
    });
  });
}

void Sizes(benchmark::internal::Benchmark* b, int flags) {
  for (const Index t : {512, 4096})
    for (const Index threads : {1, 2}) {
      if (flags == 0)
        for (const Index plain : {0, 1}) b->Args({t, threads, plain});
      if (flags == 3)
        for (const Index in_place : {0, 1}) b->Args({t, threads, in_place});
      if (flags == 1)
        for (const Index in_place : {0, 1}) {
          for (const Index batch : {1, 4}) b->Args({t, threads, in_place, batch, 0});
          b->Args({t, threads, in_place, 1, 1});
        }
      if (flags == 2)
        for (const Index interleaved : {0, 1})
          for (const Index in_place : {0, 1})
            for (const Index yarn : {0, 1}) b->Args({t, threads, interleaved, in_place, yarn});
    }
}

BENCHMARK(BM_Rope)
    ->Apply([](auto* b) { Sizes(b, 2); })
    ->ArgNames({"T", "threads", "interleaved", "in_place", "yarn"})
    ->UseManualTime()
    ->MinTime(0.3);
BENCHMARK(BM_SinusoidalAdd)
    ->Apply([](auto* b) { Sizes(b, 1); })
    ->ArgNames({"T", "threads", "in_place", "batch", "plain"})
    ->UseManualTime()
    ->MinTime(0.3);
BENCHMARK(BM_BiasAdd)
    ->Apply([](auto* b) { Sizes(b, 0); })
    ->ArgNames({"T", "threads", "plain"})
    ->UseManualTime()
    ->MinTime(0.3);
BENCHMARK(BM_PlainNegate)
    ->Apply([](auto* b) { Sizes(b, 3); })
    ->ArgNames({"T", "threads", "in_place"})
    ->UseManualTime()
    ->MinTime(0.3);

// POSEMB_STREAMING_THRESHOLD=<bytes> moves the size above which outputs are written with
// streaming stores (and reads prefetched), for A/B runs of the two paths: 0 streams every
// output, -1 restores the default (the last-level cache, src/kernels/memory_traffic.hpp).
const bool threshold_from_env = [] {
  if (const char* env = std::getenv("POSEMB_STREAMING_THRESHOLD")) k::set_streaming_store_threshold(std::atoll(env));
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
