// posemb train: trains the tiny GPT on a text with one positional scheme, with a progress
// line, a JSONL + CSV log, periodic held-out evaluation and checkpoints that resume bit for bit.
//
// The run folder (--out) is never overwritten silently (run_folder.hpp); Ctrl-C or SIGTERM
// finishes the current step, saves a checkpoint and the logs, and exits 130 / 143
// (interrupt.hpp); a loss that goes non-finite stops the run with the last good checkpoint kept.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "interrupt.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/training_text.hpp"
#include "posemb/io/file.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/checkpoint.hpp"
#include "posemb/model/trainer.hpp"
#include "run_folder.hpp"
#include "training_options.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

struct TrainArgs {
  TrainingOptions options;
  std::string out = "runs/train";
  std::int64_t eval_every = 0;
  Index eval_windows = 32;
  std::int64_t checkpoint_every = 0;
  bool resume = false;
  bool force = false;
  std::int64_t stop_after = 0;
  std::string progress = "auto";
};

const RunFolderKind kTrainRun{"train", {"log.jsonl", "log.csv", "checkpoint.json", "checkpoint-*.safetensors"}, {}};

// The leading step number of a log line ("12,..." or {"step":12,...}); nullopt if it has none.
std::optional<std::int64_t> csv_step(const std::string& line) {
  std::int64_t step = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), step);
  if (error != std::errc() || end == line.data() || *end != ',') return std::nullopt;
  return step;
}
std::optional<std::int64_t> jsonl_step(const std::string& line) {
  const auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("step") || !j["step"].is_number_integer()) return std::nullopt;
  return j["step"].get<std::int64_t>();
}

// Keeps only the log lines of steps ≤ step (a resumed run rewrites what came after its
// checkpoint), atomically. Lines that do not parse are dropped with the rest.
void truncate_logs(const std::filesystem::path& jsonl, const std::filesystem::path& csv, std::int64_t step) {
  std::error_code ec;
  if (std::filesystem::exists(jsonl, ec)) {
    std::istringstream in(io::read_file_bytes(jsonl));
    std::string kept;
    for (std::string line; std::getline(in, line);)
      if (const auto s = jsonl_step(line); s && *s <= step) kept += line + "\n";
    io::write_file_atomically(jsonl, kept);
  }
  if (std::filesystem::exists(csv, ec)) {
    std::istringstream in(io::read_file_bytes(csv));
    std::string line, kept;
    if (std::getline(in, line)) kept += line + "\n";  // the header
    while (std::getline(in, line))
      if (const auto s = csv_step(line); s && *s <= step) kept += line + "\n";
    io::write_file_atomically(csv, kept);
  }
}

// Options that may differ on --resume: how the run is carried out, not what it computes
// (--steps extends or shortens the run: the learning-rate schedule follows the new total).
const std::vector<std::string> kMayChangeOnResume = {"--steps", "--eval-every", "--eval-windows", "--checkpoint-every",
                                                     "--stop-after"};

// What the run folder holds, written as the run goes: the two logs, opened at the first step
// so that a run stopped before it leaves no files behind.
class RunLogs {
 public:
  explicit RunLogs(std::filesystem::path folder) : folder_(std::move(folder)) {}

  void write(const nlohmann::ordered_json& line, const std::string& csv_line) {
    if (!jsonl_) {
      jsonl_.emplace(folder_ / "log.jsonl");
      csv_.emplace(folder_ / "log.csv");
      if (csv_->was_empty())
        csv_->append("step,loss,learning_rate,grad_norm,tokens_per_second,elapsed_seconds,val_loss,val_perplexity\n");
    }
    jsonl_->append(line.dump() + "\n");
    csv_->append(csv_line);
  }

 private:
  std::filesystem::path folder_;
  std::optional<io::AppendFile> jsonl_, csv_;
};

void run_train(const TrainArgs& args, const CLI::App& cmd) {
  // Everything the command line says is checked before any file is touched.
  const RunFolderUse use = run_folder_use(args.resume, args.force);
  const std::filesystem::path out = args.out;
  TrainingOptions options = args.options;
  int threads = 0;
  as_usage_error([&] {
    threads = options.thread_count();
    (void)progress_enabled(args.progress);
    if (args.eval_every < 0) throw UsageError(fmt::format("--eval-every must be ≥ 0 (is {})", args.eval_every));
    if (args.eval_windows < 1) throw UsageError(fmt::format("--eval-windows must be ≥ 1 (is {})", args.eval_windows));
    if (args.checkpoint_every < 0)
      throw UsageError(fmt::format("--checkpoint-every must be ≥ 0 (is {})", args.checkpoint_every));
    if (args.stop_after < 0) throw UsageError(fmt::format("--stop-after must be ≥ 0 (is {})", args.stop_after));
  });
  // A new run's configuration is checked before its folder is created.
  model::GptConfig model_config;
  model::TrainingConfig training;
  if (use != RunFolderUse::kResume) {
    as_usage_error([&] {
      model_config = options.model_config(data::TextTokenizer::from_name(options.tokenizer).vocab_size());
      training = options.training;
      model::validate(training);
    });
  }
  prepare_run_folder(out, use, kTrainRun);

  std::optional<model::CheckpointManifest> manifest;
  if (use == RunFolderUse::kResume) {
    if (!model::has_checkpoint(out))
      throw UsageError(fmt::format("--resume: {} has no checkpoint.json to resume from", out.string()));
    manifest = model::read_checkpoint_manifest(out);
    check_resume_conflicts(cmd, options, {manifest->model, manifest->training, manifest->run.corpus,
                                          manifest->run.tokenizer}, out, kMayChangeOnResume);
    options.corpus = manifest->run.corpus;
    options.tokenizer = manifest->run.tokenizer;
    if (cmd.get_option("--steps")->count() > 0) {
      if (options.training.steps < manifest->step)
        throw UsageError(fmt::format("--steps {}: the run in {} is already at step {}", options.training.steps,
                                     out.string(), manifest->step));
      manifest->training.steps = options.training.steps;
      as_usage_error([&] { model::validate(manifest->training); });
    }
    model_config = manifest->model;
    training = manifest->training;
  }
  kernels::set_kernel_threads(threads);
  const auto tokenizer = data::TextTokenizer::from_name(options.tokenizer);
  if (model_config.vocab_size != tokenizer.vocab_size())
    throw Error(fmt::format("the checkpoint's model has a vocabulary of {}, the tokenizer '{}' of {}",
                            model_config.vocab_size, tokenizer.name(), tokenizer.vocab_size()));

  const InterruptScope interrupts;
  const auto cache =
      options.cache_dir.empty() ? data::default_cache_folder() : std::filesystem::path(options.cache_dir);
  const data::TrainingText text =
      data::load_training_text(options.corpus, tokenizer, cache, options.validation_fraction);

  model::Trainer trainer(model_config, training, text.train);
  const model::RunInfo run{options.corpus, options.tokenizer};
  if (manifest) {
    model::restore_checkpoint(out, *manifest, trainer);
    truncate_logs(out / "log.jsonl", out / "log.csv", manifest->step);
    fmt::print(stderr, "resuming {} at step {} of {}\n", out.string(), manifest->step, training.steps);
  }
  fmt::print(stderr, "{} | tokenizer {} | {} training and {} held-out tokens{}\n", text.description, tokenizer.name(),
             text.train.size(), text.validation.size(), text.built ? " (token cache built)" : "");
  fmt::print(stderr, "model: {} positions, {} layers, {} heads, {} channels, context {}, {} parameters | {} threads\n",
             model::scheme_name(model_config.scheme), model_config.layers, model_config.heads, model_config.channels,
             model_config.context_length, trainer.model().layout().parameter_count(), kernels::kernel_threads());

  auto evaluate = [&] {
    return model::evaluate(trainer.model(), text.validation, model_config.context_length, args.eval_windows,
                           training.batch);
  };
  RunLogs logs(out);
  ProgressLine progress("", progress_enabled(args.progress));
  std::int64_t saved_step = manifest ? manifest->step : 0;
  auto save = [&] {
    model::save_checkpoint(out, trainer, run);
    saved_step = trainer.steps_done();
  };
  double elapsed = 0, smoothed_rate = 0;
  model::StepReport last;
  std::optional<model::Evaluation> final_eval;
  const std::int64_t stop_at =
      args.stop_after > 0 ? std::min(training.steps, trainer.steps_done() + args.stop_after) : training.steps;
  while (trainer.steps_done() < stop_at) {
    if (const int signal = interrupt_signal()) {
      progress.finish();
      if (trainer.steps_done() > saved_step) save();
      if (saved_step == 0)
        throw Interrupted(signal, fmt::format("stopped by {} before the first step; nothing to resume", signal_name(signal)));
      throw Interrupted(signal, fmt::format("stopped by {} at step {} of {}; checkpoint and logs in {}; continue with "
                                            "`posemb train --resume --out {}`",
                                            signal_name(signal), trainer.steps_done(), training.steps, out.string(),
                                            out.string()));
    }
    try {
      last = trainer.train_step();
    } catch (const model::TrainingDiverged& e) {
      progress.finish();
      throw Error(fmt::format("{}; {}", e.what(),
                              saved_step > 0 ? fmt::format("the last good checkpoint, step {}, is in {}", saved_step,
                                                           out.string())
                                             : std::string("no checkpoint had been written")));
    }
    elapsed += last.seconds;
    const double rate = double(last.tokens) / last.seconds;
    smoothed_rate = smoothed_rate == 0 ? rate : 0.9 * smoothed_rate + 0.1 * rate;
    nlohmann::ordered_json line{
        {"step", last.step},           {"loss", last.loss},         {"learning_rate", last.learning_rate},
        {"grad_norm", last.grad_norm}, {"tokens_per_second", rate}, {"elapsed_seconds", elapsed}};
    std::string val_loss, val_ppl;
    const bool eval_now = (args.eval_every > 0 && last.step % args.eval_every == 0) || last.step == training.steps;
    if (eval_now) {
      const model::Evaluation e = evaluate();
      final_eval = e;
      line["val_loss"] = e.mean_loss;
      line["val_perplexity"] = e.perplexity;
      val_loss = fmt::format("{}", e.mean_loss);
      val_ppl = fmt::format("{}", e.perplexity);
    }
    logs.write(line, fmt::format("{},{},{},{},{},{},{},{}\n", last.step, last.loss, last.learning_rate, last.grad_norm,
                                 rate, elapsed, val_loss, val_ppl));
    const double eta = double(training.steps - last.step) * double(last.tokens) / smoothed_rate;
    progress.update(last.step, training.steps, last.loss, smoothed_rate, eta);
    if ((args.checkpoint_every > 0 && last.step % args.checkpoint_every == 0) || last.step == stop_at) save();
  }
  progress.finish();
  if (last.step == 0) {
    fmt::print("nothing to do: {} is already at step {} of {}\n", out.string(), trainer.steps_done(), training.steps);
  } else if (trainer.steps_done() < training.steps) {
    fmt::print("stopped at step {} of {} (train loss {:.4f}); continue with --resume --out {}\n", trainer.steps_done(),
               training.steps, last.loss, out.string());
  } else {
    fmt::print("step {}: train loss {:.4f}, held-out loss {:.4f} (perplexity {:.3f}) at length {}\n", last.step,
               last.loss, final_eval->mean_loss, final_eval->perplexity, model_config.context_length);
    fmt::print("checkpoint and logs in {}\n", out.string());
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  args->options.model.context_length = 128;
  args->options.model.channels = 128;
  CLI::App* cmd = app.add_subcommand("train", "train the tiny GPT on a text with one positional scheme");
  cmd->footer(
      "The run folder (--out) must be new or empty: --resume continues the run in it, --force replaces it.\n"
      "With --resume the run keeps its saved configuration; only --steps (to extend or shorten it), --threads,\n"
      "--progress, --eval-every, --eval-windows, --checkpoint-every, --stop-after and --cache-dir may be given.\n"
      "Ctrl-C (SIGINT) or SIGTERM finishes the current step, writes a checkpoint and the logs, and exits\n"
      "130 / 143; a second one stops at once.");
  args->options.add_to(*cmd, true);
  cmd->add_option("--out", args->out, "run folder: log.jsonl, log.csv, checkpoints")->capture_default_str();
  cmd->add_option("--eval-every", args->eval_every, "held-out evaluation every N steps (0: at the end only)")
      ->capture_default_str();
  cmd->add_option("--eval-windows", args->eval_windows, "held-out windows per evaluation")->capture_default_str();
  cmd->add_option("--checkpoint-every", args->checkpoint_every, "checkpoint every N steps (0: at the end only)")
      ->capture_default_str();
  cmd->add_flag("--resume", args->resume, "continue the run in --out from its checkpoint (bit for bit)");
  cmd->add_flag("--force", args->force, "replace the run in --out (its files are removed first)");
  cmd->add_option("--stop-after", args->stop_after,
                  "stop after N steps of this session, with a checkpoint (0: run to the end)")
      ->capture_default_str();
  cmd->add_option("--progress", args->progress, "progress line: auto (on a terminal), always, never")
      ->capture_default_str();
  cmd->callback([args, cmd] {
    args->options.fit_warmup(*cmd);
    run_train(*args, *cmd);
  });
}

}  // namespace posemb::cli
