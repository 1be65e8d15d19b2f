#pragma once
// Options shared by `posemb train` and `posemb study`: the model's sizes and positional
// scheme, the optimizer, the corpus and tokenizer, threads. Registered on a subcommand,
// then turned into the library's validated config structs.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "posemb/model/config.hpp"
#include "posemb/model/trainer.hpp"

namespace posemb::cli {

struct TrainingOptions {
  std::string corpus = "brown";
  std::string tokenizer = "bytes";
  std::string cache_dir;  // empty: data::default_cache_folder()
  std::string scheme = "learned";
  model::GptConfig model;
  model::TrainingConfig training;
  int threads = 0;  // 0: every core
  double validation_fraction = 0.1;

  // Registers the options with these members' current values as defaults, and check_memory to
  // run as soon as the command line is parsed: before the command reads a corpus or makes a
  // folder.
  void add_to(CLI::App& command, bool with_scheme);
  // A usage error naming the options when the model's parameters, gradients and AdamW moments
  // and the activations of one batch (model::training_memory) would not fit in memory. The
  // vocabulary is --tokenizer's when it is known without reading a file, else counted as 0.
  // Sizes that are not valid pass: model_config reports them.
  void check_memory() const;
  // The validated model config (vocab_size from the tokenizer).
  model::GptConfig model_config(Index vocab_size) const;
  int thread_count() const;
  // The default warmup (100 steps, or a preset's) when --warmup was not given: cut to a tenth of
  // --steps when it would not fit in them (--steps 40 trains with 4 warmup steps).
  void fit_warmup(const CLI::App& command);

 private:
  bool has_scheme_ = true;  // false for `posemb study`, which trains every scheme
};

// What a saved run (a train checkpoint, a study's study-run.json) was configured with.
struct SavedRun {
  model::GptConfig model;
  model::TrainingConfig training;
  std::string corpus;
  std::string tokenizer;
};

// With --resume, every option of TrainingOptions given on the command line must say what the
// saved run says: a UsageError names the option and both values. --threads, --cache-dir and the
// options in `may_change` are not compared.
void check_resume_conflicts(const CLI::App& command, const TrainingOptions& given, const SavedRun& saved,
                            const std::filesystem::path& folder, const std::vector<std::string>& may_change);

// A progress line on stderr when it is a terminal: "step 120/2000 [####------] loss 2.3451
// 3,120 tok/s ETA 4m12s", redrawn at most five times a second; nothing otherwise.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label, bool enabled);
  ~ProgressLine();
  void update(std::int64_t step, std::int64_t total, double loss, double tokens_per_second, double eta_seconds);
  void finish();  // ends the line

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  double last_draw_ = -1;
};

// "auto" (a terminal), "always", "never" → whether to draw.
bool progress_enabled(const std::string& mode);

// "4m12s", "1h03m", "12s"
std::string format_duration(double seconds);

}  // namespace posemb::cli
