// posemb train: trains the tiny GPT on a text with one positional scheme, with a progress
// line, a JSONL + CSV log, periodic held-out evaluation and checkpoints that resume bit for bit.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/training_text.hpp"
#include "posemb/io/file.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/checkpoint.hpp"
#include "posemb/model/trainer.hpp"
#include "training_options.hpp"

namespace posemb::cli {
namespace {

struct TrainArgs {
  TrainingOptions options;
  std::string out = "runs/train";
  std::int64_t eval_every = 0;
  Index eval_windows = 32;
  std::int64_t checkpoint_every = 0;
  bool resume = false;
  std::int64_t stop_after = 0;
  std::string progress = "auto";
};

// Keeps only the log lines of steps ≤ step (a resumed run rewrites what came after its
// checkpoint), atomically.
void truncate_logs(const std::filesystem::path& jsonl, const std::filesystem::path& csv, std::int64_t step) {
  std::error_code ec;
  if (std::filesystem::exists(jsonl, ec)) {
    std::istringstream in(io::read_file_bytes(jsonl));
    std::string line, kept;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains("step") && j["step"].get<std::int64_t>() <= step) kept += line + "\n";
    }
    io::write_file_atomically(jsonl, kept);
  }
  if (std::filesystem::exists(csv, ec)) {
    std::istringstream in(io::read_file_bytes(csv));
    std::string line, kept;
    bool header = true;
    while (std::getline(in, line)) {
      if (header || std::stoll(line.substr(0, line.find(','))) <= step) kept += line + "\n";
      header = false;
    }
    io::write_file_atomically(csv, kept);
  }
}

void run_train(const TrainArgs& args) {
  kernels::set_kernel_threads(args.options.thread_count());
  const std::filesystem::path out = args.out;
  std::filesystem::create_directories(out);

  TrainingOptions options = args.options;
  std::optional<model::CheckpointManifest> manifest;
  if (args.resume) {
    if (!model::has_checkpoint(out))
      throw Error(fmt::format("--resume: {} has no checkpoint.json to resume from", out.string()));
    manifest = model::read_checkpoint_manifest(out);
    options.corpus = manifest->run.corpus;
    options.tokenizer = manifest->run.tokenizer;
  }

  const auto tokenizer = data::TextTokenizer::from_name(options.tokenizer);
  const auto cache =
      options.cache_dir.empty() ? data::default_cache_folder() : std::filesystem::path(options.cache_dir);
  const data::TrainingText text =
      data::load_training_text(options.corpus, tokenizer, cache, options.validation_fraction);
  const model::GptConfig model_config = manifest ? manifest->model : options.model_config(tokenizer.vocab_size());
  const model::TrainingConfig training = manifest ? manifest->training : options.training;
  if (model_config.vocab_size != tokenizer.vocab_size())
    throw Error(fmt::format("the checkpoint's model has a vocabulary of {}, the tokenizer '{}' of {}",
                            model_config.vocab_size, tokenizer.name(), tokenizer.vocab_size()));

  model::Trainer trainer(model_config, training, text.train);
  const model::RunInfo run{options.corpus, options.tokenizer};
  const auto jsonl_path = out / "log.jsonl", csv_path = out / "log.csv";
  if (manifest) {
    model::restore_checkpoint(out, *manifest, trainer);
    truncate_logs(jsonl_path, csv_path, manifest->step);
    fmt::print(stderr, "resuming {} at step {} of {}\n", out.string(), manifest->step, training.steps);
  } else {
    std::filesystem::remove(jsonl_path);
    std::filesystem::remove(csv_path);
  }
  fmt::print(stderr, "{} | tokenizer {} | {} training and {} held-out tokens{}\n", text.description, tokenizer.name(),
             text.train.size(), text.validation.size(), text.built ? " (token cache built)" : "");
  fmt::print(stderr, "model: {} positions, {} layers, {} heads, {} channels, context {}, {} parameters | {} threads\n",
             model::scheme_name(model_config.scheme), model_config.layers, model_config.heads, model_config.channels,
             model_config.context_length, trainer.model().layout().parameter_count(), kernels::kernel_threads());

  std::ofstream jsonl(jsonl_path, std::ios::app), csv(csv_path, std::ios::app);
  if (!jsonl || !csv) throw Error(fmt::format("cannot write the logs in {}", out.string()));
  if (std::filesystem::file_size(csv_path) == 0)
    csv << "step,loss,learning_rate,grad_norm,tokens_per_second,elapsed_seconds,val_loss,val_perplexity\n";

  auto evaluate = [&] {
    return model::evaluate(trainer.model(), text.validation, model_config.context_length, args.eval_windows,
                           training.batch);
  };
  ProgressLine progress("", progress_enabled(args.progress));
  double elapsed = 0, smoothed_rate = 0;
  model::StepReport last;
  std::optional<model::Evaluation> final_eval;
  const std::int64_t stop_at =
      args.stop_after > 0 ? std::min(training.steps, trainer.steps_done() + args.stop_after) : training.steps;
  while (trainer.steps_done() < stop_at) {
    last = trainer.train_step();
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
    jsonl << line.dump() << '\n' << std::flush;
    csv << fmt::format("{},{},{},{},{},{},{},{}\n", last.step, last.loss, last.learning_rate, last.grad_norm, rate,
                       elapsed, val_loss, val_ppl)
        << std::flush;
    const double eta = double(training.steps - last.step) * double(last.tokens) / smoothed_rate;
    progress.update(last.step, training.steps, last.loss, smoothed_rate, eta);
    if ((args.checkpoint_every > 0 && last.step % args.checkpoint_every == 0) || last.step == stop_at)
      model::save_checkpoint(out, trainer, run);
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
  args->options.add_to(*cmd, true);
  cmd->add_option("--out", args->out, "run folder: log.jsonl, log.csv, checkpoints")->capture_default_str();
  cmd->add_option("--eval-every", args->eval_every, "held-out evaluation every N steps (0: at the end only)")
      ->capture_default_str();
  cmd->add_option("--eval-windows", args->eval_windows, "held-out windows per evaluation")->capture_default_str();
  cmd->add_option("--checkpoint-every", args->checkpoint_every, "checkpoint every N steps (0: at the end only)")
      ->capture_default_str();
  cmd->add_flag("--resume", args->resume, "continue the run in --out from its checkpoint (bit for bit)");
  cmd->add_option("--stop-after", args->stop_after,
                  "stop after N steps of this session, with a checkpoint (0: run to the end)")
      ->capture_default_str();
  cmd->add_option("--progress", args->progress, "progress line: auto (on a terminal), always, never")
      ->capture_default_str();
  cmd->callback([args] { run_train(*args); });
}

}  // namespace posemb::cli
