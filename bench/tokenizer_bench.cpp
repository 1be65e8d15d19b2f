// posemb's tokenizer speed, on the texts scripts/bench-tokenizer.sh builds (Brown corpus,
// mixed text) and on long runs of one character. The script runs the npm peers (tiktoken,
// tiktoken-rs, gpt-tokenizer) on the same texts and prints the ratios; this binary also
// checks that our ids equal tiktoken's ids for each text, when the script has written them.
//
//   POSEMB_TOKENIZER_TEXTS=<folder with brown.txt, mixed.txt, *.gpt2.ids>  (default: build/bench-tokenizer/texts)
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "posemb/io/file.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace {

using posemb::tokenizer::Encoding;
using posemb::tokenizer::Rank;

std::filesystem::path texts_folder() {
  if (const char* env = std::getenv("POSEMB_TOKENIZER_TEXTS")) return env;
  return std::filesystem::path(POSEMB_SOURCE_DIR) / "build/bench-tokenizer/texts";
}

// Keeps texts alive for the benchmarks that refer to them.
std::deque<std::string>& text_store() {
  static std::deque<std::string> store;  // a deque: growing it never moves the texts
  return store;
}

void register_text(const std::string& name, const std::string& text) {
  const std::string& stored = text_store().emplace_back(text);
  for (const char* encoding : {"gpt2", "cl100k_base", "o200k_base"}) {
    benchmark::RegisterBenchmark(fmt::format("encode_ordinary/{}/{}", encoding, name).c_str(),
                                 [&stored, encoding](benchmark::State& state) {
                                   const Encoding& enc = Encoding::load(encoding);
                                   std::size_t tokens = 0;
                                   for (auto _ : state) tokens = enc.encode_ordinary(stored).size();
                                   state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stored.size()));
                                   state.counters["tokens"] = static_cast<double>(tokens);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
  }
  // Batch encoding: the text cut into paragraphs, on 1 and 2 threads.
  static std::deque<std::vector<std::string_view>> batches;
  auto& paragraphs = batches.emplace_back();
  for (std::size_t start = 0; start < stored.size();) {
    std::size_t end = stored.find("\n\n", start);
    end = end == std::string::npos ? stored.size() : end + 2;
    paragraphs.push_back(std::string_view(stored).substr(start, end - start));
    start = end;
  }
  for (int threads : {1, 2}) {
    benchmark::RegisterBenchmark(fmt::format("encode_ordinary_batch/gpt2/{}/threads:{}", name, threads).c_str(),
                                 [&paragraphs, &stored, threads](benchmark::State& state) {
                                   for (auto _ : state)
                                     benchmark::DoNotOptimize(Encoding::gpt2().encode_ordinary_batch(paragraphs, threads));
                                   state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stored.size()));
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(1.0);
  }
}

// Our ids must equal tiktoken's (written by tools/bench/tokenizer/bench_peers.mjs).
bool check_ids(const std::string& name, const std::string& text) {
  const auto path = texts_folder() / (name + ".gpt2.ids");
  if (!std::filesystem::exists(path)) return true;
  const std::string bytes = posemb::io::read_file_bytes(path);
  std::vector<Rank> expected(bytes.size() / 4);
  std::memcpy(expected.data(), bytes.data(), expected.size() * 4);
  const bool same = Encoding::gpt2().encode_ordinary(text) == expected;
  fmt::print(stderr, "{}: {} ids, {}\n", name, expected.size(), same ? "identical to tiktoken" : "DIFFERENT from tiktoken");
  return same;
}

void register_long_runs() {
  // One piece as long as the text: tiktoken's merge loop is quadratic in it.
  static const std::string a100k(100'000, 'a');
  benchmark::RegisterBenchmark("long_run/gpt2/100KB-a", [](benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(Encoding::gpt2().encode_ordinary(a100k));
  })->Unit(benchmark::kMillisecond)->UseRealTime();
  static const std::vector<std::pair<std::string, std::string>> runs = {
      {"1MB-a", std::string(1 << 20, 'a')}, {"1MB-space", std::string(1 << 20, ' ')}, {"1MB-7", std::string(1 << 20, '7')}};
  for (const char* encoding : {"gpt2", "p50k_base", "cl100k_base", "o200k_base"}) {
    for (const auto& [name, text] : runs) {
      benchmark::RegisterBenchmark(fmt::format("long_run/{}/{}", encoding, name).c_str(),
                                   [&text = text, encoding](benchmark::State& state) {
                                     const Encoding& enc = Encoding::load(encoding);
                                     for (auto _ : state) benchmark::DoNotOptimize(enc.encode_ordinary(text));
                                     state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
                                   })
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  bool ids_ok = true;
  int texts = 0;
  for (const char* name : {"brown", "mixed"}) {
    const auto path = texts_folder() / (std::string(name) + ".txt");
    if (!std::filesystem::exists(path)) continue;
    const std::string text = posemb::io::read_file_bytes(path);
    ids_ok = check_ids(name, text) && ids_ok;
    register_text(name, text);
    ++texts;
  }
  if (texts == 0) {
    fmt::print(stderr, "no texts in {} (run scripts/bench-tokenizer.sh); timing a synthetic text only\n",
               texts_folder().string());
    std::string text;
    for (int i = 0; text.size() < (1 << 20); ++i)
      text += fmt::format("Paragraph {}: the quick brown fox, it's {} o'clock, jumps over {} lazy dogs.\n\n", i, i % 12, i * 3);
    register_text("synthetic", text);
  }
  if (!ids_ok) return 1;
  register_long_runs();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
