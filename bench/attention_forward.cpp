// Causal attention forward, T = 1024, 32 heads, head_dim 128, float32 (the configuration the
// attention issue compares with ggml's CPU flash attention): GFLOP/s of useful work
// (2 · 2 · heads · head_dim · T(T+1)/2 multiply-adds counted as 2 FLOPs each) with no scheme,
// with a distance bias (ALiBi/T5) and with Shaw relative keys/values, on 1 kernel thread
// unless --threads is given via POSEMB_THREADS. The peer in the same run is one OpenBLAS sgemm
// doing the same number of FLOPs ([T, 128] × [128, T/2·...]); the ratio says how close the
// fused kernel comes to plain matrix-multiply speed.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "posemb/kernels/attention.hpp"
#include "posemb/kernels/matmul.hpp"

namespace {

using posemb::Index;
namespace k = posemb::kernels;

constexpr Index kT = 1024, kHeads = 32, kDim = 128;

double useful_flops() { return 2.0 * 2.0 * kHeads * kDim * (double(kT) * (kT + 1) / 2.0); }

int threads_from_env() {
  const char* env = std::getenv("POSEMB_THREADS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 1;
}

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(gen);
  return v;
}

enum Scheme { kNone, kBias, kShaw };

void BM_AttentionForward(benchmark::State& state) {
  k::set_kernel_threads(threads_from_env());
  const auto scheme = static_cast<Scheme>(state.range(0));
  const Index row = kHeads * kDim;
  const auto q = random_values(std::size_t(kT * row), 1), kk = random_values(q.size(), 2),
             v = random_values(q.size(), 3);
  std::vector<float> bias, rel_k, rel_v;
  k::AttentionInputs in{q.data(), kk.data(), v.data(), {}, {}};
  if (scheme == kBias) {
    bias.resize(std::size_t(kHeads * kT));
    for (Index h = 0; h < kHeads; ++h)
      for (Index d = 0; d < kT; ++d)
        bias[std::size_t(h * kT + d)] = -std::exp2(-8.0f * float(h + 1) / kHeads) * float(d);
    in.bias = {bias.data(), kT};
  } else if (scheme == kShaw) {
    rel_k = random_values(std::size_t(33 * kDim), 4);
    rel_v = random_values(rel_k.size(), 5);
    in.relative = {rel_k.data(), rel_v.data(), 16};
  }
  const k::AttentionShape shape{1, kHeads, kDim, kT, kT, 0, row, row, row, row, 1.0f / std::sqrt(float(kDim))};
  k::validate_attention(shape, in);
  std::vector<float> out(q.size()), lse(std::size_t(kHeads * kT));
  k::attention_forward(shape, in, out.data(), lse.data());  // warm the buffers
  for (auto _ : state) {
    k::attention_forward(shape, in, out.data(), lse.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(useful_flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = k::kernel_threads();
}
BENCHMARK(BM_AttentionForward)
    ->Arg(kNone)
    ->Arg(kBias)
    ->Arg(kShaw)
    ->ArgNames({"scheme(0=none,1=bias,2=shaw)"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The peer: an sgemm with the same FLOP count, [T, 4096] = [T, kDim] · [kDim, 4096] repeated.
void BM_SgemmSameFlops(benchmark::State& state) {
  k::set_blas_threads(threads_from_env());
  const Index m = kT, kdim = kDim, n = 4096;
  const auto a = random_values(std::size_t(m * kdim), 6), b = random_values(std::size_t(kdim * n), 7);
  std::vector<float> c(std::size_t(m * n));
  const double flops_per_call = 2.0 * double(m) * double(n) * double(kdim);
  const int calls = int(std::lround(useful_flops() / flops_per_call));
  k::gemm(k::Transpose::kNo, k::Transpose::kNo, {m, n, kdim}, 1.0f, a.data(), kdim, b.data(), n, 0.0f, c.data(), n);
  for (auto _ : state) {
    for (int i = 0; i < calls; ++i)
      k::gemm(k::Transpose::kNo, k::Transpose::kNo, {m, n, kdim}, 1.0f, a.data(), kdim, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(calls * flops_per_call * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SgemmSameFlops)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
