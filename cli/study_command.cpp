// posemb study: the extrapolation study of Press et al. ("Train Short, Test Long", ICLR 2022)
// on a laptop CPU. One model per positional scheme, the same data, seed and budget, trained at
// length L; held-out perplexity at L, 2L, 4L, 8L, 16L; a table in Markdown, JSON and CSV.
// Learned positions cannot run past their table: those cells say so instead of a number.
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "posemb/plot/study_chart.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/training_text.hpp"
#include "posemb/io/file.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/trainer.hpp"
#include "training_options.hpp"

namespace posemb::cli {
namespace {

struct StudyArgs {
  TrainingOptions options;
  bool quick = false;
  std::string schemes = "none,learned,sinusoidal,rope,alibi,t5,shaw";
  std::string multipliers = "1,2,4,8,16";
  Index eval_tokens = 0;  // held-out tokens per evaluation length (0: the preset's)
  std::string out = "runs/study";
  std::string progress = "auto";
};

// The presets. Options given on the command line override them.
void apply_preset(TrainingOptions& o, bool quick) {
  model::GptConfig& m = o.model;
  model::TrainingConfig& t = o.training;
  if (quick) {  // about a minute on 2 cores: enough to check the pipeline, not to conclude anything
    m.context_length = 32;
    m.layers = 2;
    m.heads = 4;
    m.channels = 64;
    t.batch = 8;
    t.steps = 60;
    t.warmup_steps = 10;
    t.max_lr = 3e-3;
    t.min_lr = 3e-4;
  } else {  // tens of minutes on 2 cores: the curves mean something
    m.context_length = 128;
    m.layers = 4;
    m.heads = 4;
    m.channels = 128;
    t.batch = 16;
    t.steps = 1500;
    t.warmup_steps = 100;
    t.max_lr = 2e-3;
    t.min_lr = 2e-4;
  }
  m.t5_num_buckets = 32;
  m.t5_max_distance = 128;
  m.shaw_max_relative_position = 16;
  t.adamw.weight_decay = 0.1f;
  t.clip_norm = 1.0;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Cell {
  Index length = 0;
  bool evaluated = false;
  model::Evaluation eval;
  std::string reason;
};

struct SchemeResult {
  model::PositionScheme scheme;
  double train_seconds = 0;
  double final_train_loss = 0;
  double tokens_per_second = 0;
  std::vector<std::pair<std::int64_t, double>> curve;  // (step, loss), about 100 points
  std::vector<Cell> cells;
};

std::string markdown_table(const std::vector<SchemeResult>& results, const std::vector<Index>& multipliers,
                           Index context) {
  std::string md = "| scheme |";
  std::string rule = "|---|";
  for (Index m : multipliers) {
    md += fmt::format(" {} ({}) |", context * m, m == 1 ? std::string("L") : fmt::format("{}L", m));
    rule += "---:|";
  }
  md += "\n" + rule + "\n";
  std::vector<std::string> notes;
  for (const auto& r : results) {
    md += fmt::format("| {} |", model::scheme_name(r.scheme));
    for (const auto& c : r.cells) {
      if (c.evaluated) {
        md += fmt::format(" {:.3f} |", c.eval.perplexity);
      } else {
        auto it = std::find(notes.begin(), notes.end(), c.reason);
        if (it == notes.end()) {
          notes.push_back(c.reason);
          it = notes.end() - 1;
        }
        md += fmt::format(" cannot evaluate ({}) |", it - notes.begin() + 1);
      }
    }
    md += "\n";
  }
  for (std::size_t i = 0; i < notes.size(); ++i) md += fmt::format("\n({}) {}", i + 1, notes[i]);
  if (!notes.empty()) md += "\n";
  return md;
}

void run_study(StudyArgs args) {
  kernels::set_kernel_threads(args.options.thread_count());
  const auto tokenizer = data::TextTokenizer::from_name(args.options.tokenizer);
  const auto cache =
      args.options.cache_dir.empty() ? data::default_cache_folder() : std::filesystem::path(args.options.cache_dir);
  const data::TrainingText text =
      data::load_training_text(args.options.corpus, tokenizer, cache, args.options.validation_fraction);

  std::vector<model::PositionScheme> schemes;
  for (const auto& name : split_list(args.schemes)) schemes.push_back(model::parse_position_scheme(name));
  if (schemes.empty()) throw Error("--schemes lists no scheme");
  std::vector<Index> multipliers;
  for (const auto& item : split_list(args.multipliers)) {
    Index m = 0;
    try {
      m = std::stoll(item);
    } catch (const std::exception&) {
      throw Error(fmt::format("--lengths: '{}' is not a whole number", item));
    }
    if (m < 1) throw Error(fmt::format("--lengths: multipliers must be ≥ 1 (got {})", m));
    multipliers.push_back(m);
  }
  const Index context = args.options.model.context_length;
  const Index eval_tokens = args.eval_tokens > 0 ? args.eval_tokens : (args.quick ? 8192 : 65536);
  const auto out = std::filesystem::path(args.out);
  std::filesystem::create_directories(out);
  fmt::print(stderr, "{} | tokenizer {} | {} training and {} held-out tokens | {} threads\n", text.description,
             tokenizer.name(), text.train.size(), text.validation.size(), kernels::kernel_threads());

  const auto study_start = std::chrono::steady_clock::now();
  std::vector<SchemeResult> results;
  const bool show = progress_enabled(args.progress);
  for (std::size_t si = 0; si < schemes.size(); ++si) {
    TrainingOptions o = args.options;
    o.scheme = std::string(model::scheme_name(schemes[si]));
    const model::GptConfig config = o.model_config(tokenizer.vocab_size());
    model::Trainer trainer(config, o.training, text.train);
    SchemeResult r;
    r.scheme = schemes[si];
    ProgressLine progress(fmt::format("[{}/{} {}] ", si + 1, schemes.size(), o.scheme), show);
    const std::int64_t every = std::max<std::int64_t>(1, o.training.steps / 100);
    double smoothed = 0;
    while (trainer.steps_done() < o.training.steps) {
      const model::StepReport s = trainer.train_step();
      r.train_seconds += s.seconds;
      const double rate = double(s.tokens) / s.seconds;
      smoothed = smoothed == 0 ? rate : 0.9 * smoothed + 0.1 * rate;
      if (s.step % every == 0 || s.step == o.training.steps) r.curve.emplace_back(s.step, s.loss);
      r.final_train_loss = s.loss;
      progress.update(s.step, o.training.steps, s.loss, smoothed,
                      double(o.training.steps - s.step) * double(s.tokens) / smoothed);
    }
    progress.finish();
    r.tokens_per_second = double(o.training.steps * o.training.batch * context) / r.train_seconds;
    for (Index m : multipliers) {
      Cell c;
      c.length = m * context;
      if (c.length > model::max_sequence_length(config)) {
        c.reason = fmt::format(
            "learned positions have a table of {} rows (the training length L): a longer "
            "sequence needs positions past its end, which the model never learned",
            context);
      } else {
        const Index windows = std::max<Index>(1, eval_tokens / c.length);
        const Index batch = std::max<Index>(1, o.training.batch * context / c.length);
        c.eval = model::evaluate(trainer.model(), text.validation, c.length, windows, batch);
        c.evaluated = true;
      }
      r.cells.push_back(std::move(c));
    }
    std::string line =
        fmt::format("{:>10}: trained {} steps in {} ({:.0f} tok/s), final loss {:.4f}; perplexity", o.scheme,
                    o.training.steps, format_duration(r.train_seconds), r.tokens_per_second, r.final_train_loss);
    for (const auto& c : r.cells)
      line += c.evaluated ? fmt::format(" {}:{:.3f}", c.length, c.eval.perplexity) : fmt::format(" {}:n/a", c.length);
    fmt::print(stderr, "{}\n", line);
    results.push_back(std::move(r));
  }
  const double total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - study_start).count();

  // ---- JSON (for `posemb plot study` and other tools), CSV, Markdown ----
  const model::GptConfig reference = args.options.model_config(tokenizer.vocab_size());
  nlohmann::ordered_json j;
  j["posemb_study_version"] = 1;
  j["preset"] = args.quick ? "quick" : "default";
  j["corpus"] = text.description;
  j["tokenizer"] = tokenizer.name();
  j["train_tokens"] = text.train.size();
  j["heldout_tokens"] = text.validation.size();
  j["threads"] = kernels::kernel_threads();
  j["total_seconds"] = total_seconds;
  j["model"] = nlohmann::ordered_json::parse(model::config_to_json(reference));
  j["model"].erase("scheme");
  j["training"] = nlohmann::ordered_json::parse(model::training_config_to_json(args.options.training));
  j["train_length"] = context;
  j["eval_lengths"] = nlohmann::json::array();
  for (Index m : multipliers) j["eval_lengths"].push_back(m * context);
  j["eval_tokens_per_length"] = eval_tokens;
  j["metric"] = fmt::format("held-out perplexity per {} token (exp of the mean cross-entropy in nats)",
                            tokenizer.name() == "bytes" ? "byte" : "token");
  j["schemes"] = nlohmann::json::array();
  std::string csv = "scheme,eval_length,length_multiple,status,perplexity,mean_loss,eval_tokens,reason\n";
  for (const auto& r : results) {
    nlohmann::ordered_json s;
    s["scheme"] = model::scheme_name(r.scheme);
    s["train_seconds"] = r.train_seconds;
    s["train_tokens_per_second"] = r.tokens_per_second;
    s["final_train_loss"] = r.final_train_loss;
    s["train_loss_curve"] = nlohmann::json::array();
    for (const auto& [step, loss] : r.curve) s["train_loss_curve"].push_back({step, loss});
    s["results"] = nlohmann::json::array();
    for (const auto& c : r.cells) {
      nlohmann::ordered_json cell;
      cell["length"] = c.length;
      cell["status"] = c.evaluated ? "ok" : "cannot evaluate";
      if (c.evaluated) {
        cell["perplexity"] = c.eval.perplexity;
        cell["mean_loss"] = c.eval.mean_loss;
        cell["eval_tokens"] = c.eval.tokens;
        cell["windows"] = c.eval.windows;
      } else {
        cell["perplexity"] = nullptr;
        cell["reason"] = c.reason;
      }
      s["results"].push_back(cell);
      csv += fmt::format(
          "{},{},{},{},{},{},{},\"{}\"\n", model::scheme_name(r.scheme), c.length, c.length / context,
          c.evaluated ? "ok" : "cannot evaluate", c.evaluated ? fmt::format("{}", c.eval.perplexity) : "",
          c.evaluated ? fmt::format("{}", c.eval.mean_loss) : "", c.evaluated ? c.eval.tokens : 0, c.reason);
    }
    j["schemes"].push_back(s);
  }
  std::string md = fmt::format(
      "# Extrapolation study\n\nHeld-out perplexity ({}) of the tiny GPT trained at length L = {} with each "
      "positional scheme, evaluated at longer lengths. {}, tokenizer `{}`; {} layers, {} heads, {} channels; "
      "{} steps of batch {}, seed {}; {} held-out tokens per length. Preset: {}.\n\n",
      tokenizer.name() == "bytes" ? "per byte" : "per token", context, text.description, tokenizer.name(),
      reference.layers, reference.heads, reference.channels, args.options.training.steps, args.options.training.batch,
      args.options.training.seed, eval_tokens, args.quick ? "--quick" : "default");
  md += markdown_table(results, multipliers, context);
  md += fmt::format("\nTotal time {} on {} threads.\n", format_duration(total_seconds), kernels::kernel_threads());
  io::write_file_atomically(out / "study.json", j.dump(2) + "\n");
  io::write_file_atomically(out / "study.csv", csv);
  io::write_file_atomically(out / "study.md", md);
  // The picture, from the same JSON a user would give `posemb plot study`.
  plot::save(plot::study_chart(nlohmann::json::parse(j.dump()), (out / "study.json").string()), out / "study.png");
  fmt::print("{}", md);
  fmt::print("\nwrote {}, {}, {}, {}\n", (out / "study.md").string(), (out / "study.json").string(),
             (out / "study.csv").string(), (out / "study.png").string());
}

}  // namespace

void add_study_command(CLI::App& app) {
  auto args = std::make_shared<StudyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "study", "train one model per positional scheme at length L, then compare held-out perplexity at L … 16L");
  cmd->add_flag("--quick", args->quick, "tiny model, few steps: about a minute (checks the pipeline)");
  cmd->add_option("--schemes", args->schemes, "comma-separated schemes")->capture_default_str();
  cmd->add_option("--lengths", args->multipliers, "evaluation lengths as multiples of L")->capture_default_str();
  cmd->add_option("--eval-tokens", args->eval_tokens,
                  "held-out tokens per evaluation length (default 65536; quick 8192)");
  cmd->add_option("--out", args->out, "folder for study.md, study.json, study.csv, study.png")->capture_default_str();
  cmd->add_option("--progress", args->progress, "progress line: auto (on a terminal), always, never")
      ->capture_default_str();
  // Preset values are filled in before parsing so that explicit options override them; the
  // defaults shown by --help are the default preset's.
  apply_preset(args->options, false);
  args->options.add_to(*cmd, false);
  cmd->callback([args, cmd] {
    if (args->quick) {
      // Re-apply the quick preset for every option the user did not give.
      TrainingOptions quick = args->options;
      apply_preset(quick, true);
      auto given = [&](const char* name) { return cmd->count(name) > 0; };
      auto& m = args->options.model;
      auto& t = args->options.training;
      if (!given("--context")) m.context_length = quick.model.context_length;
      if (!given("--layers")) m.layers = quick.model.layers;
      if (!given("--heads")) m.heads = quick.model.heads;
      if (!given("--channels")) m.channels = quick.model.channels;
      if (!given("--batch")) t.batch = quick.training.batch;
      if (!given("--steps")) t.steps = quick.training.steps;
      if (!given("--warmup")) t.warmup_steps = quick.training.warmup_steps;
      if (!given("--lr")) t.max_lr = quick.training.max_lr;
      if (!given("--min-lr")) t.min_lr = quick.training.min_lr;
    }
    run_study(*args);
  });
}

}  // namespace posemb::cli
