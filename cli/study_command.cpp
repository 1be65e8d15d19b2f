// posemb study: the extrapolation study of Press et al. ("Train Short, Test Long", ICLR 2022)
// on a laptop CPU. One model per positional scheme, the same data, seed and budget, trained at
// length L; held-out perplexity at L, 2L, 4L, 8L, 16L; a table in Markdown, JSON and CSV.
// Learned positions cannot run past their table: those cells say so instead of a number.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "commands.hpp"
#include "posemb/plot/study_chart.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/training_text.hpp"
#include "posemb/io/file.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/model/checkpoint.hpp"
#include "posemb/model/trainer.hpp"
#include "interrupt.hpp"
#include "run_folder.hpp"
#include "training_options.hpp"
#include "usage_error.hpp"

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
  bool resume = false;
  bool force = false;
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

// One scheme's model: trained once, evaluated at every length. The unit the study saves as it
// goes (cells/<scheme>.json) and skips on --resume.
struct SchemeResult {
  model::PositionScheme scheme;
  double seconds = 0;  // wall time of training and evaluation
  double train_seconds = 0;
  double final_train_loss = 0;
  double tokens_per_second = 0;
  std::vector<std::pair<std::int64_t, double>> curve;  // (step, loss), about 100 points
  std::vector<Cell> cells;
};

// The study's checked command line.
struct StudyPlan {
  std::vector<model::PositionScheme> schemes;
  std::vector<Index> multipliers;
  Index context = 0;
  Index eval_tokens = 0;
};

const RunFolderKind kStudyRun{
    "study", {"study-run.json", "study.json", "study.csv", "study.md", "study.png"}, {"cells"}};
constexpr const char* kRunFile = "study-run.json";

// Everything that decides the study's numbers, saved when it starts and compared on --resume.
nlohmann::ordered_json run_json(const StudyArgs& args, const StudyPlan& plan, const model::GptConfig& reference) {
  nlohmann::ordered_json j;
  j["posemb_study_run_version"] = 1;
  j["preset"] = args.quick ? "quick" : "default";
  j["schemes"] = nlohmann::json::array();
  for (const auto scheme : plan.schemes) j["schemes"].push_back(model::scheme_name(scheme));
  j["lengths"] = plan.multipliers;
  j["eval_tokens"] = plan.eval_tokens;
  j["corpus"] = args.options.corpus;
  j["tokenizer"] = args.options.tokenizer;
  j["validation_fraction"] = args.options.validation_fraction;
  j["model"] = nlohmann::ordered_json::parse(model::config_to_json(reference));
  j["training"] = nlohmann::ordered_json::parse(model::training_config_to_json(args.options.training));
  return j;
}

// --resume: the options the user gave must agree with the saved run; the run's values are taken.
void adopt_saved_run(StudyArgs& args, StudyPlan& plan, const CLI::App& cmd, const std::filesystem::path& out,
                     const nlohmann::json& saved) {
  const std::string where = (out / kRunFile).string();
  SavedRun run;
  try {
    run.model = model::config_from_json(saved.at("model").dump(), where);
    run.training = model::training_config_from_json(saved.at("training").dump(), where);
    run.corpus = saved.at("corpus").get<std::string>();
    run.tokenizer = saved.at("tokenizer").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  check_resume_conflicts(cmd, args.options, run, out, {});
  const auto conflict = [&](const char* option, const std::string& given, const std::string& in_run) {
    if (cmd.get_option(option)->count() > 0 && given != in_run)
      throw UsageError(fmt::format("--resume: {} {} differs from the study in {}, which has {}", option, given,
                                   out.string(), in_run));
  };
  std::vector<std::string> scheme_names;
  for (const auto scheme : plan.schemes) scheme_names.emplace_back(model::scheme_name(scheme));
  try {
    conflict("--schemes", fmt::format("{}", fmt::join(scheme_names, ",")),
             fmt::format("{}", fmt::join(saved.at("schemes").get<std::vector<std::string>>(), ",")));
    conflict("--lengths", fmt::format("{}", fmt::join(plan.multipliers, ",")),
             fmt::format("{}", fmt::join(saved.at("lengths").get<std::vector<Index>>(), ",")));
    conflict("--eval-tokens", fmt::format("{}", plan.eval_tokens), fmt::format("{}", saved.at("eval_tokens").get<Index>()));
    conflict("--quick", args.quick ? "quick" : "default", saved.at("preset").get<std::string>());
    args.quick = saved.at("preset").get<std::string>() == "quick";
    plan.schemes.clear();
    for (const auto& name : saved.at("schemes").get<std::vector<std::string>>())
      plan.schemes.push_back(model::parse_position_scheme(name));
    plan.multipliers = saved.at("lengths").get<std::vector<Index>>();
    plan.eval_tokens = saved.at("eval_tokens").get<Index>();
    args.options.validation_fraction = saved.at("validation_fraction").get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  args.options.corpus = run.corpus;
  args.options.tokenizer = run.tokenizer;
  args.options.model = run.model;
  args.options.training = run.training;
  plan.context = run.model.context_length;
}

nlohmann::ordered_json result_json(const SchemeResult& r) {
  nlohmann::ordered_json s;
  s["scheme"] = model::scheme_name(r.scheme);
  s["seconds"] = r.seconds;
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
  }
  return s;
}

// The inverse of result_json, for a cell saved by an earlier session (doubles round-trip
// exactly through nlohmann's shortest form, so the final files are the same).
SchemeResult result_from_json(const nlohmann::json& s) {
  SchemeResult r;
  r.scheme = model::parse_position_scheme(s.at("scheme").get<std::string>());
  r.seconds = s.at("seconds").get<double>();
  r.train_seconds = s.at("train_seconds").get<double>();
  r.tokens_per_second = s.at("train_tokens_per_second").get<double>();
  r.final_train_loss = s.at("final_train_loss").get<double>();
  for (const auto& point : s.at("train_loss_curve"))
    r.curve.emplace_back(point.at(0).get<std::int64_t>(), point.at(1).get<double>());
  for (const auto& cell : s.at("results")) {
    Cell c;
    c.length = cell.at("length").get<Index>();
    c.evaluated = cell.at("status").get<std::string>() == "ok";
    if (c.evaluated) {
      c.eval.seq = c.length;
      c.eval.perplexity = cell.at("perplexity").get<double>();
      c.eval.mean_loss = cell.at("mean_loss").get<double>();
      c.eval.tokens = cell.at("eval_tokens").get<Index>();
      c.eval.windows = cell.at("windows").get<Index>();
    } else {
      c.reason = cell.at("reason").get<std::string>();
    }
    r.cells.push_back(std::move(c));
  }
  return r;
}

std::filesystem::path cell_path(const std::filesystem::path& out, model::PositionScheme scheme) {
  return out / "cells" / fmt::format("{}.json", model::scheme_name(scheme));
}

// A scheme stopped by a signal: its trainer's checkpoint and what the result has gathered so far,
// in cells/<scheme>.partial/, from which --resume continues bit for bit.
std::filesystem::path partial_folder(const std::filesystem::path& out, model::PositionScheme scheme) {
  return out / "cells" / fmt::format("{}.partial", model::scheme_name(scheme));
}

void save_partial(const std::filesystem::path& folder, const model::Trainer& trainer, const TrainingOptions& o,
                  const SchemeResult& r) {
  std::filesystem::create_directories(folder);
  model::save_checkpoint(folder, trainer, {o.corpus, o.tokenizer});
  nlohmann::ordered_json progress;
  progress["seconds"] = r.seconds;
  progress["train_seconds"] = r.train_seconds;
  progress["final_train_loss"] = r.final_train_loss;
  progress["train_loss_curve"] = nlohmann::json::array();
  for (const auto& [step, loss] : r.curve) progress["train_loss_curve"].push_back({step, loss});
  io::write_file_atomically(folder / "progress.json", progress.dump(2) + "\n");
}

// Restores a partial scheme into `trainer` and `r`; false when there is none.
bool restore_partial(const std::filesystem::path& folder, model::Trainer& trainer, SchemeResult& r) {
  if (!model::has_checkpoint(folder)) return false;
  const model::CheckpointManifest manifest = model::read_checkpoint_manifest(folder);
  if (model::config_to_json(manifest.model) != model::config_to_json(trainer.model().config()) ||
      model::training_config_to_json(manifest.training) != model::training_config_to_json(trainer.config()))
    throw Error(fmt::format("{}: the saved model or training configuration differs from the study's; remove the folder "
                            "to train this scheme from the start",
                            folder.string()));
  model::restore_checkpoint(folder, manifest, trainer);
  const auto where = (folder / "progress.json").string();
  try {
    const auto progress = nlohmann::json::parse(io::read_file_bytes(folder / "progress.json"));
    r.seconds = progress.at("seconds").get<double>();
    r.train_seconds = progress.at("train_seconds").get<double>();
    r.final_train_loss = progress.at("final_train_loss").get<double>();
    for (const auto& point : progress.at("train_loss_curve"))
      r.curve.emplace_back(point.at(0).get<std::int64_t>(), point.at(1).get<double>());
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  return true;
}

// Trains one scheme's model (from its partial checkpoint, if an earlier session left one) and
// evaluates it at every length. Returns nullopt when a signal asked to stop, after saving the
// trainer to the partial folder.
std::optional<SchemeResult> run_cell(const StudyArgs& args, const StudyPlan& plan, std::size_t index,
                                     const data::TrainingText& text, Index vocab_size, bool show_progress,
                                     const std::filesystem::path& out) {
  const auto cell_start = std::chrono::steady_clock::now();
  TrainingOptions o = args.options;
  o.scheme = std::string(model::scheme_name(plan.schemes[index]));
  const model::GptConfig config = o.model_config(vocab_size);
  model::Trainer trainer(config, o.training, text.train);
  SchemeResult r;
  r.scheme = plan.schemes[index];
  const auto partial = partial_folder(out, r.scheme);
  if (restore_partial(partial, trainer, r))
    fmt::print(stderr, "{:>10}: resuming at step {} of {}\n", o.scheme, trainer.steps_done(), o.training.steps);
  // Wall time of the scheme, over every session that worked on it.
  const auto add_session_time = [&] {
    r.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - cell_start).count();
  };
  const auto stop = [&] {
    add_session_time();
    save_partial(partial, trainer, o, r);
    return std::nullopt;
  };
  ProgressLine progress(fmt::format("[{}/{} {}] ", index + 1, plan.schemes.size(), o.scheme), show_progress);
  const std::int64_t every = std::max<std::int64_t>(1, o.training.steps / 100);
  double smoothed = 0;
  while (trainer.steps_done() < o.training.steps) {
    if (interrupt_signal() != 0) {
      progress.finish();
      return stop();
    }
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
  r.tokens_per_second = double(o.training.steps * o.training.batch * plan.context) / r.train_seconds;
  for (Index m : plan.multipliers) {
    if (interrupt_signal() != 0) return stop();
    Cell c;
    c.length = m * plan.context;
    if (c.length > model::max_sequence_length(config)) {
      c.reason = fmt::format(
          "learned positions have a table of {} rows (the training length L): a longer "
          "sequence needs positions past its end, which the model never learned",
          plan.context);
    } else {
      const Index windows = std::max<Index>(1, plan.eval_tokens / c.length);
      const Index batch = std::max<Index>(1, o.training.batch * plan.context / c.length);
      c.eval = model::evaluate(trainer.model(), text.validation, c.length, windows, batch);
      c.evaluated = true;
    }
    r.cells.push_back(std::move(c));
  }
  add_session_time();
  return r;
}

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

// study.json (for `posemb plot study` and other tools), study.csv, study.md, study.png.
void write_study_files(const StudyArgs& args, const StudyPlan& plan, const std::vector<SchemeResult>& results,
                       const data::TrainingText& text, const data::TextTokenizer& tokenizer,
                       const std::filesystem::path& out) {
  const model::GptConfig reference = args.options.model_config(tokenizer.vocab_size());
  const Index context = plan.context;
  double total_seconds = 0;
  for (const auto& r : results) total_seconds += r.seconds;
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
  for (Index m : plan.multipliers) j["eval_lengths"].push_back(m * context);
  j["eval_tokens_per_length"] = plan.eval_tokens;
  j["metric"] = fmt::format("held-out perplexity per {} token (exp of the mean cross-entropy in nats)",
                            tokenizer.name() == "bytes" ? "byte" : "token");
  j["schemes"] = nlohmann::json::array();
  std::string csv = "scheme,eval_length,length_multiple,status,perplexity,mean_loss,eval_tokens,reason\n";
  for (const auto& r : results) {
    nlohmann::ordered_json s = result_json(r);
    s.erase("seconds");
    j["schemes"].push_back(s);
    for (const auto& c : r.cells)
      csv += fmt::format(
          "{},{},{},{},{},{},{},\"{}\"\n", model::scheme_name(r.scheme), c.length, c.length / context,
          c.evaluated ? "ok" : "cannot evaluate", c.evaluated ? fmt::format("{}", c.eval.perplexity) : "",
          c.evaluated ? fmt::format("{}", c.eval.mean_loss) : "", c.evaluated ? c.eval.tokens : 0, c.reason);
  }
  std::string md = fmt::format(
      "# Extrapolation study\n\nHeld-out perplexity ({}) of the tiny GPT trained at length L = {} with each "
      "positional scheme, evaluated at longer lengths. {}, tokenizer `{}`; {} layers, {} heads, {} channels; "
      "{} steps of batch {}, seed {}; {} held-out tokens per length. Preset: {}.\n\n",
      tokenizer.name() == "bytes" ? "per byte" : "per token", context, text.description, tokenizer.name(),
      reference.layers, reference.heads, reference.channels, args.options.training.steps, args.options.training.batch,
      args.options.training.seed, plan.eval_tokens, args.quick ? "--quick" : "default");
  md += markdown_table(results, plan.multipliers, context);
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

// --schemes and --lengths, checked: known, distinct schemes; whole multiples ≥ 1.
StudyPlan plan_of(const StudyArgs& args) {
  StudyPlan plan;
  for (const auto& name : split_list(args.schemes)) {
    model::PositionScheme scheme{};
    as_usage_error([&] { scheme = model::parse_position_scheme(name); });
    if (std::find(plan.schemes.begin(), plan.schemes.end(), scheme) != plan.schemes.end())
      throw UsageError(fmt::format("--schemes lists {} twice", model::scheme_name(scheme)));
    plan.schemes.push_back(scheme);
  }
  if (plan.schemes.empty()) throw UsageError("--schemes lists no scheme");
  for (const auto& item : split_list(args.multipliers)) {
    Index m = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), m);
    if (error != std::errc() || end != item.data() + item.size() || m < 1 || m > 1024)
      throw UsageError(fmt::format("--lengths: '{}' is not a whole multiple of L from 1 to 1024", item));
    plan.multipliers.push_back(m);
  }
  if (plan.multipliers.empty()) throw UsageError("--lengths lists no length");
  if (args.eval_tokens < 0) throw UsageError(fmt::format("--eval-tokens must be ≥ 0 (is {})", args.eval_tokens));
  plan.context = args.options.model.context_length;
  plan.eval_tokens = args.eval_tokens > 0 ? args.eval_tokens : (args.quick ? 8192 : 65536);
  return plan;
}

void run_study(StudyArgs args, const CLI::App& cmd) {
  // Everything the command line says is checked before any file is touched.
  const RunFolderUse use = run_folder_use(args.resume, args.force);
  const auto out = std::filesystem::path(args.out);
  StudyPlan plan = plan_of(args);
  int threads = 0;
  bool show = false;
  as_usage_error([&] {
    threads = args.options.thread_count();
    show = progress_enabled(args.progress);
    model::validate(args.options.training);
    if (use != RunFolderUse::kResume)
      (void)args.options.model_config(data::TextTokenizer::from_name(args.options.tokenizer).vocab_size());
  });
  prepare_run_folder(out, use, kStudyRun);
  if (use == RunFolderUse::kResume) {
    if (!std::filesystem::exists(out / kRunFile))
      throw UsageError(fmt::format("--resume: {} has no {}: there is no study to continue", out.string(), kRunFile));
    nlohmann::json saved;
    try {
      saved = nlohmann::json::parse(io::read_file_bytes(out / kRunFile));
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(fmt::format("{}: not valid JSON at byte {}", (out / kRunFile).string(), e.byte));
    }
    adopt_saved_run(args, plan, cmd, out, saved);
  }
  kernels::set_kernel_threads(threads);
  const auto tokenizer = data::TextTokenizer::from_name(args.options.tokenizer);
  model::GptConfig reference;
  as_usage_error([&] { reference = args.options.model_config(tokenizer.vocab_size()); });
  if (use != RunFolderUse::kResume)
    io::write_file_atomically(out / kRunFile, run_json(args, plan, reference).dump(2) + "\n");

  const InterruptScope interrupts;
  const auto cache =
      args.options.cache_dir.empty() ? data::default_cache_folder() : std::filesystem::path(args.options.cache_dir);
  const data::TrainingText text =
      data::load_training_text(args.options.corpus, tokenizer, cache, args.options.validation_fraction);
  fmt::print(stderr, "{} | tokenizer {} | {} training and {} held-out tokens | {} threads\n", text.description,
             tokenizer.name(), text.train.size(), text.validation.size(), kernels::kernel_threads());

  std::filesystem::create_directories(out / "cells");
  std::vector<SchemeResult> results;
  for (std::size_t si = 0; si < plan.schemes.size(); ++si) {
    const auto saved_cell = cell_path(out, plan.schemes[si]);
    if (use == RunFolderUse::kResume && std::filesystem::exists(saved_cell)) {
      try {
        results.push_back(result_from_json(nlohmann::json::parse(io::read_file_bytes(saved_cell))));
      } catch (const nlohmann::json::exception& e) {
        throw Error(fmt::format("{}: {}", saved_cell.string(), e.what()));
      }
      fmt::print(stderr, "{:>10}: finished in an earlier session ({})\n", model::scheme_name(plan.schemes[si]),
                 saved_cell.string());
      continue;
    }
    std::optional<SchemeResult> r = run_cell(args, plan, si, text, tokenizer.vocab_size(), show, out);
    if (!r) {
      const int signal = interrupt_signal();
      throw Interrupted(signal, fmt::format("stopped by {} during {} ({} of {} schemes finished; all saved in {}); "
                                            "continue with `posemb study --resume --out {}`",
                                            signal_name(signal), model::scheme_name(plan.schemes[si]), si,
                                            plan.schemes.size(), (out / "cells").string(), out.string()));
    }
    io::write_file_atomically(saved_cell, result_json(*r).dump(2) + "\n");
    std::filesystem::remove_all(partial_folder(out, plan.schemes[si]));
    std::string line = fmt::format("{:>10}: trained {} steps in {} ({:.0f} tok/s), final loss {:.4f}; perplexity",
                                   model::scheme_name(r->scheme), args.options.training.steps,
                                   format_duration(r->train_seconds), r->tokens_per_second, r->final_train_loss);
    for (const auto& c : r->cells)
      line += c.evaluated ? fmt::format(" {}:{:.3f}", c.length, c.eval.perplexity) : fmt::format(" {}:n/a", c.length);
    fmt::print(stderr, "{}\n", line);
    results.push_back(std::move(*r));
  }
  write_study_files(args, plan, results, text, tokenizer, out);
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
  cmd->add_flag("--resume", args->resume,
                "continue the study in --out: finished schemes are kept, the others trained (same results as an "
                "uninterrupted run)");
  cmd->add_flag("--force", args->force, "replace the study in --out (its files are removed first)");
  cmd->footer(
      "The study folder (--out) must be new or empty: --resume continues the study in it, --force replaces it.\n"
      "Each scheme's results are saved in --out/cells/ as soon as it finishes. Ctrl-C (SIGINT) or SIGTERM\n"
      "stops after the current step, saves the running scheme's trainer, and exits 130 / 143; --resume\n"
      "then continues where it stopped, to the same results as an uninterrupted study.");
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
    args->options.fit_warmup(*cmd);
    run_study(*args, *cmd);
  });
}

}  // namespace posemb::cli
