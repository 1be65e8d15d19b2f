#include "posemb/model/trainer.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>

#include "core/json_integer.hpp"
#include "posemb/core/error.hpp"

namespace posemb::model {

void validate(const TrainingConfig& c) {
  auto require = [](bool ok, std::string_view what, const std::string& rule) {
    if (!ok) throw Error(fmt::format("training config: {} {}", what, rule));
  };
  require(c.batch >= 1, "batch", fmt::format("must be ≥ 1 (is {})", c.batch));
  require(c.steps >= 1, "steps", fmt::format("must be ≥ 1 (is {})", c.steps));
  require(c.max_lr > 0 && std::isfinite(c.max_lr), "max_lr", fmt::format("must be > 0 (is {})", c.max_lr));
  require(c.min_lr >= 0 && c.min_lr <= c.max_lr && std::isfinite(c.min_lr), "min_lr", fmt::format("must be in [0, max_lr] (is {})", c.min_lr));
  require(c.warmup_steps >= 0 && c.warmup_steps < c.steps, "warmup_steps",
          fmt::format("must be in [0, steps) (is {})", c.warmup_steps));
  require(c.clip_norm >= 0 && std::isfinite(c.clip_norm), "clip_norm",
          fmt::format("must be ≥ 0, 0 for no clipping (is {})", c.clip_norm));
  require(c.adamw.beta1 >= 0 && c.adamw.beta1 < 1, "beta1", fmt::format("must be in [0, 1) (is {})", c.adamw.beta1));
  require(c.adamw.beta2 >= 0 && c.adamw.beta2 < 1, "beta2", fmt::format("must be in [0, 1) (is {})", c.adamw.beta2));
  require(c.adamw.eps > 0 && std::isfinite(c.adamw.eps), "eps", fmt::format("must be > 0 (is {})", c.adamw.eps));
  require(c.adamw.weight_decay >= 0 && std::isfinite(c.adamw.weight_decay), "weight_decay",
          fmt::format("must be finite and ≥ 0 (is {})", c.adamw.weight_decay));
}

MemoryEstimate training_memory(const GptConfig& model, const TrainingConfig& config) {
  const double parameters = parameter_count(model);
  MemoryEstimate need;
  need.add(fmt::format("the model's {:.3g} parameters, their gradients and AdamW's two moments", parameters),
           4 * parameters * sizeof(float));
  const MemoryEstimate workspace = workspace_memory(model, config.batch, model.context_length, /*training=*/true);
  need.add(fmt::format("the activations of a batch of {} x {} tokens", config.batch, model.context_length),
           workspace.bytes());
  return need;
}

std::string training_config_to_json(const TrainingConfig& c) {
  // float fields as their shortest decimal (0.9, not 0.8999999761581421)
  auto shortest = [](float f) { return std::stod(fmt::format("{}", f)); };
  nlohmann::ordered_json j;
  j["batch"] = c.batch;
  j["steps"] = c.steps;
  j["seed"] = c.seed;
  j["max_lr"] = c.max_lr;
  j["min_lr"] = c.min_lr;
  j["warmup_steps"] = c.warmup_steps;
  j["clip_norm"] = c.clip_norm;
  j["beta1"] = shortest(c.adamw.beta1);
  j["beta2"] = shortest(c.adamw.beta2);
  j["eps"] = shortest(c.adamw.eps);
  j["weight_decay"] = shortest(c.adamw.weight_decay);
  return j.dump(2);
}

TrainingConfig training_config_from_json(std::string_view text, std::string_view where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON at byte {}: {}", where, e.byte, e.what()));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    throw Error(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  TrainingConfig c;
  const auto integer = [&]<class T>(const char* key, T& out) {
    const std::optional<T> value = json_integer<T>(j.at(key));
    if (!value)
      throw Error(fmt::format("{}: training config: '{}' must be an integer{} (is {})", where, key,
                              std::is_signed_v<T> ? "" : " ≥ 0", j.at(key).dump()));
    out = *value;
  };
  try {
    integer("batch", c.batch);
    integer("steps", c.steps);
    integer("seed", c.seed);
    c.max_lr = j.at("max_lr").get<double>();
    c.min_lr = j.at("min_lr").get<double>();
    integer("warmup_steps", c.warmup_steps);
    c.clip_norm = j.at("clip_norm").get<double>();
    c.adamw.beta1 = j.at("beta1").get<float>();
    c.adamw.beta2 = j.at("beta2").get<float>();
    c.adamw.eps = j.at("eps").get<float>();
    c.adamw.weight_decay = j.at("weight_decay").get<float>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: training config: {}", where, e.what()));
  }
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  return c;
}

TrainingDiverged::TrainingDiverged(std::int64_t step, double loss, double grad_norm)
    : Error(fmt::format("step {}: the loss is {} and the gradient norm {}: training diverged (a lower learning rate "
                        "or stronger clipping may help)",
                        step, loss, grad_norm)),
      step_(step) {}

Trainer::Trainer(const GptConfig& model, const TrainingConfig& config, std::span<const std::uint32_t> train_tokens)
    : config_((validate(config), config)),
      model_(model),
      optimizer_(model_.layout(), config.adamw),
      sampler_(train_tokens, config.batch, model.context_length, config.seed) {
  model_.initialize(config.seed);
}

StepReport Trainer::train_step() {
  const auto start = std::chrono::steady_clock::now();
  StepReport r;
  const std::int64_t step = optimizer_.steps_taken();  // 0-based index of this step
  sampler_.fill(step, inputs_, targets_);
  model_.zero_gradients();
  r.loss = model_.loss_and_gradients({inputs_, targets_, sampler_.batch(), sampler_.seq()});
  r.grad_norm = clip_gradient_norm(model_.gradients(), model_.layout(), config_.clip_norm);
  if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm)) throw TrainingDiverged(step + 1, r.loss, r.grad_norm);
  r.learning_rate = cosine_learning_rate({config_.max_lr, config_.min_lr, config_.warmup_steps, config_.steps}, step);
  optimizer_.step(model_.parameters(), model_.gradients(), r.learning_rate);
  r.step = step + 1;
  r.tokens = sampler_.batch() * sampler_.seq();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Evaluation evaluate(Gpt& model, std::span<const std::uint32_t> tokens, Index seq, Index max_windows, Index batch) {
  if (seq > max_sequence_length(model.config()))
    throw Error(
        fmt::format("learned positions cover {} positions, fewer than the {} of the evaluation length: "
                    "learned positions cannot go past their table",
                    model.config().context_length, seq));
  const Index windows = data::evaluation_window_count(tokens, seq, max_windows);
  if (windows == 0)
    throw Error(fmt::format("the held-out text ({} tokens) is shorter than one evaluation window of {} + 1",
                            tokens.size(), seq));
  Evaluation e;
  e.seq = seq;
  e.windows = windows;
  std::vector<std::int32_t> inputs, targets;
  double sum = 0;
  for (Index w0 = 0; w0 < windows; w0 += batch) {
    const Index rows = std::min(batch, windows - w0);
    inputs.resize(std::size_t(rows * seq));
    targets.resize(inputs.size());
    for (Index r = 0; r < rows; ++r)
      data::fill_evaluation_window(tokens, w0 + r, seq, inputs.data() + r * seq, targets.data() + r * seq);
    sum += double(model.loss({inputs, targets, rows, seq})) * double(rows * seq);
  }
  e.tokens = windows * seq;
  e.mean_loss = sum / double(e.tokens);
  e.perplexity = std::exp(e.mean_loss);
  return e;
}

}  // namespace posemb::model
