// Embedding lookups against memcpy of the same bytes, and the torch-compatible normal fill.
//   build/release/bench/embedding_bench
// Each lookup benchmark reports bytes/s; the "vs_memcpy" counter is our time / memcpy's time
// for the same bytes, measured in the same run (1.0 = as fast as one memcpy).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "posemb/core/random.hpp"
#include "posemb/kernels/embedding.hpp"

namespace {

constexpr std::int64_t kVocab = 50257;

struct Lookup {
  std::vector<float> table, out, copy_source;
  std::vector<std::int64_t> ids;
  Lookup(std::int64_t tokens, std::int64_t dim)
      : table(static_cast<std::size_t>(kVocab * dim), 0.5f),
        out(static_cast<std::size_t>(tokens * dim), 1.0f),  // written once: pages are touched before timing
        copy_source(static_cast<std::size_t>(tokens * dim), 2.0f),
        ids(static_cast<std::size_t>(tokens)) {
    posemb::Generator gen(1);
    for (auto& id : ids) id = static_cast<std::int64_t>(gen.random32() % kVocab);
  }
};

double seconds_of_memcpy(Lookup& l, int repeats) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) {
    std::memcpy(l.out.data(), l.copy_source.data(), l.out.size() * sizeof(float));
    benchmark::ClobberMemory();
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
}

void BM_GatherRows(benchmark::State& state) {
  const std::int64_t tokens = state.range(0), dim = state.range(1);
  Lookup l(tokens, dim);
  for (auto _ : state) {
    posemb::kernels::gather_rows(l.table.data(), dim, l.ids.data(), tokens, l.out.data());
    benchmark::ClobberMemory();
  }
  const auto bytes = static_cast<double>(l.out.size() * sizeof(float));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  // Same run, same bytes: one memcpy of the output size.
  const double ours = [&] {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
      posemb::kernels::gather_rows(l.table.data(), dim, l.ids.data(), tokens, l.out.data());
      benchmark::ClobberMemory();
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 200;
  }();
  state.counters["vs_memcpy"] = ours / seconds_of_memcpy(l, 200);
}
BENCHMARK(BM_GatherRows)->Args({1024, 768})->Args({8 * 1024, 768})->Args({1024, 64})->Args({5, 2});

void BM_ScatterAddRows(benchmark::State& state) {
  const std::int64_t tokens = state.range(0), dim = state.range(1);
  Lookup l(tokens, dim);
  for (auto _ : state) {
    posemb::kernels::scatter_add_rows(l.out.data(), dim, l.ids.data(), tokens, l.table.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * l.out.size() * sizeof(float)));
}
BENCHMARK(BM_ScatterAddRows)->Args({1024, 768})->Args({8 * 1024, 768});

// nn.Embedding's initialisation: N(0, 1) for vocab x dim values.
void BM_FillNormal(benchmark::State& state) {
  std::vector<float> values(static_cast<std::size_t>(state.range(0)), 0.0f);
  posemb::Generator gen(123);
  for (auto _ : state) {
    gen.fill_normal(values);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}
BENCHMARK(BM_FillNormal)->Arg(50257 * 2)->Arg(50257 * 768)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
