#pragma once
// The training loop of the tiny GPT: batches from a token sequence, forward/backward,
// gradient clipping, AdamW with a warmup + cosine schedule, and held-out evaluation.
//
// Determinism: the initial weights come from the seed, batch `s` is a pure function of
// (seed, s) (data/batches.hpp), and every kernel gives the same bits with 1 or N threads.
// So the same seed gives the same loss curve, and a run resumed from a checkpoint at step s
// continues exactly as the uninterrupted run (model/checkpoint.hpp).
#include <cstdint>
#include <span>

#include "posemb/core/error.hpp"
#include "posemb/data/batches.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/model/optimizer.hpp"

namespace posemb::model {

struct TrainingConfig {
  Index batch = 8;
  std::int64_t steps = 1000;
  std::uint64_t seed = 1;
  double max_lr = 1e-3;
  double min_lr = 1e-4;
  std::int64_t warmup_steps = 100;
  double clip_norm = 1.0;  // 0: no clipping
  AdamWConfig adamw;
};

// Throws posemb::Error naming the parameter.
void validate(const TrainingConfig& config);

// What a Trainer of this model allocates, roughly: the parameters, their gradients and AdamW's
// two moments (four floats per parameter), then the workspace of a batch of config.batch x
// model.context_length tokens (workspace_memory). The training text is not counted.
MemoryEstimate training_memory(const GptConfig& model, const TrainingConfig& config);
std::string training_config_to_json(const TrainingConfig& config);
TrainingConfig training_config_from_json(std::string_view json_text, std::string_view where);

// Thrown by Trainer::train_step when a step's loss or gradient norm is not finite. The step is
// not taken: the weights and the optimizer keep the state after the last finite step.
class TrainingDiverged : public Error {
 public:
  TrainingDiverged(std::int64_t step, double loss, double grad_norm);
  std::int64_t step() const { return step_; }

 private:
  std::int64_t step_;
};

struct StepReport {
  std::int64_t step = 0;  // the step just taken, from 1
  double loss = 0;        // mean cross-entropy of its batch, before the update
  double learning_rate = 0;
  double grad_norm = 0;  // before clipping
  double seconds = 0;    // wall time of the step
  Index tokens = 0;      // tokens in the batch
};

class Trainer {
 public:
  // Initializes the model from config.seed. The tokens must outlive the trainer.
  Trainer(const GptConfig& model, const TrainingConfig& config, std::span<const std::uint32_t> train_tokens);

  // One optimizer step. Throws TrainingDiverged, before updating anything, when the loss or
  // the gradient norm is not finite.
  StepReport train_step();

  std::int64_t steps_done() const { return optimizer_.steps_taken(); }
  Gpt& model() { return model_; }
  const Gpt& model() const { return model_; }
  AdamW& optimizer() { return optimizer_; }
  const AdamW& optimizer() const { return optimizer_; }
  const TrainingConfig& config() const { return config_; }

 private:
  TrainingConfig config_;
  Gpt model_;
  AdamW optimizer_;
  data::BatchSampler sampler_;
  std::vector<std::int32_t> inputs_, targets_;
};

struct Evaluation {
  Index seq = 0;
  Index windows = 0;
  Index tokens = 0;       // predicted tokens
  double mean_loss = 0;   // nats per token
  double perplexity = 0;  // exp(mean_loss)
};

// Mean cross-entropy over up to max_windows consecutive, non-overlapping windows of seq
// tokens of `tokens`, `batch` windows per forward pass. Throws posemb::Error when the text
// holds no whole window or when the model cannot take seq tokens (learned positions).
Evaluation evaluate(Gpt& model, std::span<const std::uint32_t> tokens, Index seq, Index max_windows, Index batch);

}  // namespace posemb::model
