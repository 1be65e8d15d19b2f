// One training step of the tiny GPT (forward, backward, clipping, AdamW) in tokens per
// second, for the configurations of the attention issue: 4 layers, 256 channels, 4 heads,
// batch 8, learned positions, with (vocab, T) = (50257, 256), (256, 256), (256, 128).
// Threads: POSEMB_THREADS (default 1). scripts/bench-model.sh runs this and the same model
// in PyTorch (bench/model_train_step_torch.py) in one run and prints the ratios.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>
#include <vector>

#include "posemb/kernels/matmul.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/model/optimizer.hpp"

namespace {

using posemb::Index;
namespace m = posemb::model;

int threads_from_env() {
  const char* env = std::getenv("POSEMB_THREADS");
  return env != nullptr ? std::max(1, std::atoi(env)) : 1;
}

void BM_TrainStep(benchmark::State& state) {
  posemb::kernels::set_kernel_threads(threads_from_env());
  m::GptConfig config;
  config.vocab_size = state.range(0);
  config.context_length = state.range(1);
  config.layers = 4;
  config.channels = 256;
  config.heads = 4;
  config.scheme = m::PositionScheme::kLearned;
  const Index batch = 8, seq = config.context_length;
  m::Gpt model(config);
  model.initialize(1);
  m::AdamW optimizer(model.layout(), {});
  std::mt19937 gen(2);
  std::vector<std::int32_t> tokens(std::size_t(batch * seq)), targets(tokens.size());
  for (auto& t : tokens) t = std::int32_t(gen() % std::uint32_t(config.vocab_size));
  for (auto& t : targets) t = std::int32_t(gen() % std::uint32_t(config.vocab_size));
  const m::TokenBatch data{tokens, targets, batch, seq};
  auto step = [&] {
    model.zero_gradients();
    const float loss = model.loss_and_gradients(data);
    m::clip_gradient_norm(model.gradients(), model.layout(), 1.0);
    optimizer.step(model.parameters(), model.gradients(), 1e-4);
    return loss;
  };
  step();  // first touch of every buffer
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["tok/s"] = benchmark::Counter(double(batch * seq), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = posemb::kernels::kernel_threads();
}
BENCHMARK(BM_TrainStep)
    ->Args({50257, 256})
    ->Args({256, 256})
    ->Args({256, 128})
    ->ArgNames({"vocab", "T"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
