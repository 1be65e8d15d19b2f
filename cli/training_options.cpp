#include "training_options.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <algorithm>
#include <cmath>
#include <tuple>
#include <cstdio>
#include <thread>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/core/memory_budget.hpp"
#include "posemb/data/text_tokenizer.hpp"
#include "usage_error.hpp"

namespace posemb::cli {

void TrainingOptions::add_to(CLI::App& cmd, bool with_scheme) {
  cmd.add_option("--corpus", corpus,
                 "'brown' (the Brown corpus, installed by scripts/fetch-corpus.sh) or a UTF-8 text file")
      ->capture_default_str();
  cmd.add_option("--tokenizer", tokenizer,
                 "bytes (vocabulary 256), gpt2 / r50k_base / p50k_base / cl100k_base / o200k_base, or a .tiktoken file")
      ->capture_default_str();
  cmd.add_option("--cache-dir", cache_dir,
                 "where token caches go (default: $XDG_CACHE_HOME/posemb or ~/.cache/posemb)");
  has_scheme_ = with_scheme;
  if (with_scheme)
    cmd.add_option("--scheme", scheme, "positional scheme: none, learned, sinusoidal, rope, alibi, t5, shaw")
        ->capture_default_str();
  cmd.add_option("--context", model.context_length, "training sequence length L (the learned table's size)")
      ->capture_default_str();
  cmd.add_option("--layers", model.layers, "transformer blocks")->capture_default_str();
  cmd.add_option("--heads", model.heads, "attention heads")->capture_default_str();
  cmd.add_option("--channels", model.channels, "embedding width (a multiple of --heads)")->capture_default_str();
  cmd.add_option("--rope-theta", model.rope_theta, "RoPE base")->capture_default_str();
  cmd.add_option("--t5-buckets", model.t5_num_buckets, "T5 relative-position buckets")->capture_default_str();
  cmd.add_option("--t5-max-distance", model.t5_max_distance, "T5 distance of the last bucket")->capture_default_str();
  cmd.add_option("--shaw-clip", model.shaw_max_relative_position, "Shaw et al. clipping distance k")
      ->capture_default_str();
  cmd.add_option("--batch", training.batch, "sequences per step")->capture_default_str();
  cmd.add_option("--steps", training.steps, "optimizer steps")->capture_default_str();
  cmd.add_option("--lr", training.max_lr, "peak learning rate")->capture_default_str();
  cmd.add_option("--min-lr", training.min_lr, "learning rate at the end of the cosine decay")->capture_default_str();
  cmd.add_option("--warmup", training.warmup_steps,
                 "linear warmup steps (when not given and --steps is not larger: a tenth of --steps)")
      ->capture_default_str();
  cmd.add_option("--weight-decay", training.adamw.weight_decay, "AdamW weight decay (matrices only)")
      ->capture_default_str();
  cmd.add_option("--clip", training.clip_norm, "gradient-norm clipping (0: none)")->capture_default_str();
  cmd.add_option("--seed", training.seed,
                 "seed of the initial weights and of the batches, 0 … 2^64-1 (as torch.manual_seed)")
      ->check(CLI::Validator(
          [](const std::string& value) {
            // CLI11 would wrap -1 around to 2^64 - 1 (torch.manual_seed(-1) means 2^64 - 2).
            return value.find('-') != std::string::npos ? std::string("a seed is a whole number from 0 to 2^64-1")
                                                        : std::string();
          },
          ""))
      ->capture_default_str();
  cmd.add_option("--threads", threads, "threads (0: every core; results are the same for any count)")
      ->capture_default_str();
  cmd.parse_complete_callback([this] { check_memory(); });
}

void TrainingOptions::check_memory() const {
  // Sizes or a scheme that are not valid are left to the command's validation (model_config),
  // which names them.
  model::GptConfig config = model;
  try {
    config.scheme = model::parse_position_scheme(scheme);
  } catch (const Error&) {
    return;
  }
  if (config.layers < 1 || config.heads < 1 || config.channels < 1 || config.context_length < 1 || training.batch < 1)
    return;
  const Index vocab = data::TextTokenizer::vocab_size_of(tokenizer).value_or(0);
  config.vocab_size = vocab;  // 0 for a rank file, whose vocabulary is not known before it is read
  // `posemb study` (no --scheme) trains every scheme: the largest estimate.
  std::vector<model::PositionScheme> schemes{config.scheme};
  if (!has_scheme_) schemes = model::all_position_schemes();
  MemoryEstimate largest;
  for (const model::PositionScheme s : schemes) {
    config.scheme = s;
    const MemoryEstimate need = model::training_memory(config, training);
    if (need.bytes() > largest.bytes()) largest = need;
  }
  std::string options = fmt::format("--channels {} --layers {} --context {} --batch {}", model.channels, model.layers,
                                    model.context_length, training.batch);
  if (vocab > 0) options += fmt::format(" (--tokenizer {}: {} tokens)", tokenizer, vocab);
  try {
    require_memory(options, largest);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

model::GptConfig TrainingOptions::model_config(Index vocab_size) const {
  model::GptConfig c = model;
  c.vocab_size = vocab_size;
  c.scheme = model::parse_position_scheme(scheme);
  model::validate(c);
  return c;
}

void TrainingOptions::fit_warmup(const CLI::App& command) {
  if (command.get_option("--warmup")->count() == 0 && training.steps >= 1 && training.warmup_steps >= training.steps)
    training.warmup_steps = training.steps / 10;
}

int TrainingOptions::thread_count() const {
  if (threads < 0) throw Error(fmt::format("--threads must be ≥ 0 (is {})", threads));
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

namespace {
// A scheme's one name ("nope" → "none"); an unknown name as it is, for the message.
std::string canonical_scheme(const std::string& name) {
  try {
    return std::string(model::scheme_name(model::parse_position_scheme(name)));
  } catch (const Error&) {
    return name;
  }
}
}  // namespace

void check_resume_conflicts(const CLI::App& cmd, const TrainingOptions& given, const SavedRun& saved,
                            const std::filesystem::path& folder, const std::vector<std::string>& may_change) {
  const model::GptConfig& m = saved.model;
  const model::TrainingConfig& t = saved.training;
  const auto text = [](auto value) { return fmt::format("{}", value); };  // shortest round-trip form
  // option → (what the command line says, what the run says)
  const std::vector<std::tuple<std::string, std::string, std::string>> fields = {
      {"--corpus", given.corpus, saved.corpus},
      {"--tokenizer", given.tokenizer, saved.tokenizer},
      {"--scheme", canonical_scheme(given.scheme), std::string(model::scheme_name(m.scheme))},
      {"--context", text(given.model.context_length), text(m.context_length)},
      {"--layers", text(given.model.layers), text(m.layers)},
      {"--heads", text(given.model.heads), text(m.heads)},
      {"--channels", text(given.model.channels), text(m.channels)},
      {"--rope-theta", text(given.model.rope_theta), text(m.rope_theta)},
      {"--t5-buckets", text(given.model.t5_num_buckets), text(m.t5_num_buckets)},
      {"--t5-max-distance", text(given.model.t5_max_distance), text(m.t5_max_distance)},
      {"--shaw-clip", text(given.model.shaw_max_relative_position), text(m.shaw_max_relative_position)},
      {"--batch", text(given.training.batch), text(t.batch)},
      {"--steps", text(given.training.steps), text(t.steps)},
      {"--lr", text(given.training.max_lr), text(t.max_lr)},
      {"--min-lr", text(given.training.min_lr), text(t.min_lr)},
      {"--warmup", text(given.training.warmup_steps), text(t.warmup_steps)},
      {"--weight-decay", text(given.training.adamw.weight_decay), text(t.adamw.weight_decay)},
      {"--clip", text(given.training.clip_norm), text(t.clip_norm)},
      {"--seed", text(given.training.seed), text(t.seed)},
  };
  for (const auto& [option, on_command_line, in_run] : fields) {
    const bool free = std::find(may_change.begin(), may_change.end(), option) != may_change.end();
    const CLI::Option* given_option = cmd.get_option_no_throw(option);
    if (free || given_option == nullptr || given_option->count() == 0 || on_command_line == in_run) continue;
    throw UsageError(fmt::format(
        "--resume: {} {} differs from the run in {}, which has {} {}; a resumed run keeps its configuration "
        "(leave {} out, or start a new run with another --out)",
        option, on_command_line, folder.string(), option, in_run, option));
  }
}

bool progress_enabled(const std::string& mode) {
  if (mode == "always") return true;
  if (mode == "never") return false;
  if (mode == "auto") return ::isatty(STDERR_FILENO) != 0;
  throw Error(fmt::format("--progress must be auto, always or never (is '{}')", mode));
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
std::string thousands(double value) {
  std::string digits = fmt::format("{:.0f}", value), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

ProgressLine::ProgressLine(std::string label, bool enabled) : label_(std::move(label)), enabled_(enabled) {}
ProgressLine::~ProgressLine() { finish(); }

void ProgressLine::update(std::int64_t step, std::int64_t total, double loss, double tokens_per_second,
                          double eta_seconds) {
  if (!enabled_) return;
  const double now = now_seconds();
  if (step < total && last_draw_ >= 0 && now - last_draw_ < 0.2) return;
  last_draw_ = now;
  constexpr int kWidth = 20;
  const int filled = total > 0 ? int(kWidth * step / total) : 0;
  std::string bar(std::size_t(filled), '#');
  bar.append(std::size_t(kWidth - filled), '-');
  fmt::print(stderr, "\r\033[K{}step {}/{} [{}] loss {:.4f}  {} tok/s  ETA {}", label_, step, total, bar, loss,
             thousands(tokens_per_second), format_duration(eta_seconds));
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressLine::finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\n");
    drawn_ = false;
  }
}

}  // namespace posemb::cli
