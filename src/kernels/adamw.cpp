#include "posemb/kernels/adamw.hpp"

#include <algorithm>
#include <cmath>

namespace posemb::kernels {
namespace {

// The per-step scalars, computed in double and rounded to float as torch does when a Python
// float meets a float32 tensor.
struct AdamWScalars {
  float decay;        // 1 - lr * weight_decay
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float bias_correction2_sqrt;
  float eps;
  float step_size;    // lr / (1 - beta1^t)
};

AdamWScalars scalars_for(const AdamWHyper& h, std::int64_t step) {
  const double lr = h.learning_rate, b1 = h.beta1, b2 = h.beta2;
  const double bc1 = 1.0 - std::pow(b1, double(step)), bc2 = 1.0 - std::pow(b2, double(step));
  return {float(1.0 - lr * double(h.weight_decay)),
          h.beta1,
          float(1.0 - b1),
          h.beta2,
          float(1.0 - b2),
          float(std::sqrt(bc2)),
          h.eps,
          float(lr / bc1)};
}

}  // namespace

void adamw_update_reference(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                            std::int64_t step) {
  const double lr = hyper.learning_rate, b1 = hyper.beta1, b2 = hyper.beta2;
  const double bc1 = 1.0 - std::pow(b1, double(step)), bc2 = 1.0 - std::pow(b2, double(step));
  for (Index i = 0; i < n; ++i) {
    double p = double(param[i]) * (1.0 - lr * hyper.weight_decay);
    const double mi = b1 * m[i] + (1.0 - b1) * grad[i];
    const double vi = b2 * v[i] + (1.0 - b2) * double(grad[i]) * grad[i];
    p -= lr / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + hyper.eps);
    param[i] = float(p);
    m[i] = float(mi);
    v[i] = float(vi);
  }
}

// Memory-bound and tiny next to a training step: a plain loop the compiler vectorises.
void adamw_update(float* param, const float* grad, float* m, float* v, Index n, const AdamWHyper& hyper,
                  std::int64_t step) {
  const AdamWScalars s = scalars_for(hyper, step);
  for (Index i = 0; i < n; ++i) {
    const float g = grad[i];
    const float mi = m[i] * s.beta1 + s.one_minus_beta1 * g;
    const float vi = v[i] * s.beta2 + s.one_minus_beta2 * g * g;
    const float denom = std::sqrt(vi) / s.bias_correction2_sqrt + s.eps;
    param[i] = param[i] * s.decay - s.step_size * (mi / denom);
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace posemb::kernels
