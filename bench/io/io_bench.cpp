// Loading weights: each benchmark reports `x_memcpy`, its time per iteration divided by
// the time of a memcpy of the same output bytes measured in the same run (warm buffers,
// so that first-touch page faults do not count for either). A ratio near 1 means the
// load is as fast as copying the table.
//
//   build/release/bench/io/io_bench --benchmark_min_time=0.2
//
// Table sizes: GPT-2's wpe (1024 x 768) and a tenth of its wte (5026 x 768).
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/io/dtype.hpp"
#include "posemb/io/safetensors.hpp"

namespace {

using posemb::Index;
using posemb::io::ByteOrder;
using posemb::io::DType;

// Seconds per memcpy of `bytes` between warm buffers: the best of several timed runs.
double memcpy_seconds(std::size_t bytes) {
  std::vector<char> from(bytes, 1), to(bytes, 2);
  double best = 1e30;
  for (int run = 0; run < 20; ++run) {
    const auto start = std::chrono::steady_clock::now();
    std::memcpy(to.data(), from.data(), bytes);
    benchmark::DoNotOptimize(to.data());
    benchmark::ClobberMemory();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// Runs `body` in the benchmark loop and reports its time relative to memcpy of `bytes`.
template <class Body>
void run_against_memcpy(benchmark::State& state, std::size_t bytes, Body body) {
  const double peer = memcpy_seconds(bytes);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) body();
  const double per_iteration = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
                               static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.counters["x_memcpy"] = per_iteration / peer;
}

std::vector<std::byte> stored_elements(DType dtype, std::size_t count) {
  std::vector<std::byte> bytes(count * posemb::io::dtype_size(dtype));
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>((i * 131 + 7) % 251 & 0x3f);
  return bytes;
}

// Converting stored elements into a warm float32 buffer: the kernel alone.
void BM_ConvertToFloat(benchmark::State& state, DType dtype) {
  const auto count = static_cast<std::size_t>(state.range(0)) * 768;
  const std::vector<std::byte> stored = stored_elements(dtype, count);
  std::vector<float> out(count, 0.0f);
  run_against_memcpy(state, count * sizeof(float), [&] {
    posemb::io::convert_to_float(dtype, ByteOrder::kLittle, stored, out);
    benchmark::DoNotOptimize(out.data());
  });
}
BENCHMARK_CAPTURE(BM_ConvertToFloat, f32, DType::kF32)->Arg(1024)->Arg(5026);
BENCHMARK_CAPTURE(BM_ConvertToFloat, f16, DType::kF16)->Arg(1024)->Arg(5026);
BENCHMARK_CAPTURE(BM_ConvertToFloat, bf16, DType::kBF16)->Arg(1024)->Arg(5026);
BENCHMARK_CAPTURE(BM_ConvertToFloat, f64, DType::kF64)->Arg(1024)->Arg(5026);

// SafetensorsFile::load_tensor end to end from a file in the page cache: the mapping's
// pages are read and a fresh Tensor is allocated (and first touched) each time, as a
// user's load does; the peer copies between warm buffers, so this ratio includes those costs.
void BM_LoadTensorFromFile(benchmark::State& state) {
  const Index rows = state.range(0);
  posemb::Tensor table({rows, 768});
  for (Index i = 0; i < table.numel(); ++i) table.data()[i] = static_cast<float>(i % 1000) * 0.001f;
  const auto path = std::filesystem::temp_directory_path() / fmt::format("posemb_io_bench_{}.safetensors", ::getpid());
  posemb::io::SafetensorsWriter writer;
  writer.add("wte.weight", table.view());
  writer.write(path);
  {
    const posemb::io::SafetensorsFile file(path);
    run_against_memcpy(state, static_cast<std::size_t>(table.numel()) * sizeof(float), [&] {
      posemb::Tensor loaded = file.load_tensor("wte.weight");
      benchmark::DoNotOptimize(loaded.data());
    });
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_LoadTensorFromFile)->Arg(1024)->Arg(5026);

}  // namespace

BENCHMARK_MAIN();
