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
  // Sums of squares over fixed pieces of each tensor (float, four partial sums per piece, in
  // double across pieces), pieces in layout order: one fixed order whatever the threads.
  constexpr Index kPiece = 4096;
  std::vector<std::pair<Index, Index>> pieces;
  for (const auto& e : layout.entries())
    for (Index at = 0; at < e.size; at += kPiece) pieces.emplace_back(e.offset + at, std::min(kPiece, e.size - at));
  std::vector<double> sums(pieces.size());
  const auto count = static_cast<Index>(pieces.size());
#pragma omp parallel for schedule(static) if (count > 64)
  for (Index p = 0; p < count; ++p) {
    const auto [offset, size] = pieces[std::size_t(p)];
    const float* g = grads.data() + offset;
    float part[4] = {0, 0, 0, 0};
    Index i = 0;
    for (; i + 4 <= size; i += 4)
      for (int k = 0; k < 4; ++k) part[k] += g[i + k] * g[i + k];
    for (; i < size; ++i) part[0] += g[i] * g[i];
    sums[std::size_t(p)] = double(part[0]) + double(part[1]) + double(part[2]) + double(part[3]);
  }
  double total = 0;
  for (double s : sums) total += s;
  const double norm = std::sqrt(total);
  if (max_norm > 0) {
    const double coef = std::min(1.0, max_norm / (norm + 1e-6));
    if (coef < 1.0) {
      const float c = float(coef);
      float* g = grads.data();
      const auto n = static_cast<Index>(grads.size());
#pragma omp parallel for schedule(static) if (n > 65536)
      for (Index i = 0; i < n; ++i) g[i] *= c;
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
    for (Index at = 0; at < e.size; at += kPiece)
      pieces.push_back({e.offset + at, std::min(kPiece, e.size - at), e.weight_decay});
  const auto count = static_cast<Index>(pieces.size());
#pragma omp parallel for schedule(static) if (count > 1)
  for (Index i = 0; i < count; ++i) {
    const Piece& p = pieces[static_cast<std::size_t>(i)];
    kernels::AdamWHyper hyper{float(lr), config_.beta1, config_.beta2, config_.eps,
                              p.decay ? config_.weight_decay : 0.0f};
    kernels::adamw_update(params.data() + p.offset, grads.data() + p.offset, m_.data() + p.offset, v_.data() + p.offset,
                          p.size, hyper, steps_);
  }
}

}  // namespace posemb::model
