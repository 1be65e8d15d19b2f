#pragma once
// Seeded N(0, std²) draws for the model's initialisation: mt19937 (whose output sequence the
// C++ standard fixes) and a Box–Muller transform written out here, because
// std::normal_distribution differs between standard libraries. Same seed, same weights, on
// every machine.
#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

#include "posemb/core/shape.hpp"

namespace posemb::model {

class NormalInit {
 public:
  explicit NormalInit(std::uint64_t seed) : engine_(static_cast<std::uint32_t>(seed ^ (seed >> 32))) {}

  void fill(float* out, Index n, float std) {
    for (Index i = 0; i < n; i += 2) {
      // u1 in (0, 1] so that log(u1) is finite; 24-bit uniforms as float32 would have.
      const double u1 = (double(engine_() >> 8) + 1.0) / 16777216.0;
      const double u2 = double(engine_() >> 8) / 16777216.0;
      const double radius = std::sqrt(-2.0 * std::log(u1));
      const double angle = 2.0 * std::numbers::pi * u2;
      out[i] = float(radius * std::cos(angle) * std);
      if (i + 1 < n) out[i + 1] = float(radius * std::sin(angle) * std);
    }
  }

 private:
  std::mt19937 engine_;
};

}  // namespace posemb::model
