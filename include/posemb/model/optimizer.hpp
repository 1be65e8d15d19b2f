#pragma once
// Training arithmetic around the model: AdamW over the model's named parameters (decay on
// matrices only), global gradient-norm clipping and a warmup + cosine learning-rate schedule,
// each as torch does it (torch.optim.AdamW, torch.nn.utils.clip_grad_norm_).
#include <cstdint>

#include "posemb/kernels/adamw.hpp"
#include "posemb/model/parameters.hpp"

namespace posemb::model {

struct LearningRateSchedule {
  double max_lr = 3e-3;
  double min_lr = 3e-4;
  std::int64_t warmup_steps = 0;
  std::int64_t total_steps = 1;
};

// Linear warmup to max_lr over warmup_steps (step counts from 0: step 0 uses
// max_lr / warmup_steps), then cosine decay to min_lr at total_steps, min_lr after.
double cosine_learning_rate(const LearningRateSchedule& schedule, std::int64_t step);

// Scales grads so that their global L2 norm is at most max_norm, as clip_grad_norm_:
// grads *= min(1, max_norm / (norm + 1e-6)). Returns the norm before clipping.
// max_norm ≤ 0 only measures.
double clip_gradient_norm(FloatBuffer& grads, const ParameterLayout& layout, double max_norm);

struct AdamWConfig {
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;  // applied to entries with weight_decay set (matrices)
};

class AdamW {
 public:
  AdamW(const ParameterLayout& layout, const AdamWConfig& config);

  // One update with learning rate lr; the step count goes up by one first (torch's order).
  void step(FloatBuffer& params, const FloatBuffer& grads, double lr);

  std::int64_t steps_taken() const { return steps_; }
  FloatBuffer& first_moments() { return m_; }
  FloatBuffer& second_moments() { return v_; }
  const FloatBuffer& first_moments() const { return m_; }
  const FloatBuffer& second_moments() const { return v_; }
  // For resuming from a checkpoint.
  void set_steps_taken(std::int64_t steps) { steps_ = steps; }
  const AdamWConfig& config() const { return config_; }

 private:
  const ParameterLayout* layout_;
  AdamWConfig config_;
  FloatBuffer m_, v_;
  std::int64_t steps_ = 0;
};

}  // namespace posemb::model
