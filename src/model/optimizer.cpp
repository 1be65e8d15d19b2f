#include "posemb/model/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace posemb::model {

double cosine_learning_rate(const LearningRateSchedule& s, std::int64_t step) {
  if (step < s.warmup_steps) return s.max_lr * double(step + 1) / double(s.warmup_steps);
  if (step >= s.total_steps) return s.min_lr;
  const double progress = double(step - s.warmup_steps) / double(s.total_steps - s.warmup_steps);
  return s.min_lr + 0.5 * (1.0 + std::cos(std::numbers::pi * progress)) * (s.max_lr - s.min_lr);
}

double clip_gradient_norm(FloatBuffer& grads, const ParameterLayout& layout, double max_norm) {
  // Sum of squares per tensor in double, tensors in layout order: one fixed order whatever
  // the threads.
  double total = 0;
  for (const auto& e : layout.entries()) {
    const float* g = grads.data() + e.offset;
    double sum = 0;
    for (Index i = 0; i < e.size; ++i) sum += double(g[i]) * g[i];
    total += sum;
  }
  const double norm = std::sqrt(total);
  if (max_norm > 0) {
    const double coef = std::min(1.0, max_norm / (norm + 1e-6));
    if (coef < 1.0) {
      const float c = float(coef);
      for (const auto& e : layout.entries()) {
        float* g = grads.data() + e.offset;
        for (Index i = 0; i < e.size; ++i) g[i] *= c;
      }
    }
  }
  return norm;
}

AdamW::AdamW(const ParameterLayout& layout, const AdamWConfig& config)
    : layout_(&layout),
      config_(config),
      m_(static_cast<std::size_t>(layout.total_size()), 0.0f),
      v_(static_cast<std::size_t>(layout.total_size()), 0.0f) {}

void AdamW::step(FloatBuffer& params, const FloatBuffer& grads, double lr) {
  ++steps_;
  // Pieces of at most 64Ki elements inside each tensor, updated independently.
  struct Piece {
    Index offset, size;
    bool decay;
  };
  std::vector<Piece> pieces;
  constexpr Index kPiece = 65536;
  for (const auto& e : layout_->entries())
    for (Index at = 0; at < e.size; at += kPiece) pieces.push_back({e.offset + at, std::min(kPiece, e.size - at), e.weight_decay});
  const auto count = static_cast<Index>(pieces.size());
#pragma omp parallel for schedule(static) if (count > 1)
  for (Index i = 0; i < count; ++i) {
    const Piece& p = pieces[static_cast<std::size_t>(i)];
    kernels::AdamWHyper hyper{float(lr), config_.beta1, config_.beta2, config_.eps, p.decay ? config_.weight_decay : 0.0f};
    kernels::adamw_update(params.data() + p.offset, grads.data() + p.offset, m_.data() + p.offset, v_.data() + p.offset,
                          p.size, hyper, steps_);
  }
}

}  // namespace posemb::model
