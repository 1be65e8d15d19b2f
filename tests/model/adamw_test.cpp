#include "posemb/kernels/adamw.hpp"

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace posemb::kernels {
namespace {

using posemb::testing::all_close;
using posemb::testing::random_vector;

TEST(AdamW, FastMatchesReferenceOverManySteps) {
  const std::size_t n = 1001;
  auto p = random_vector(n, 1), p_ref = p;
  std::vector<float> m(n), v(n), m_ref(n), v_ref(n);
  const AdamWHyper hyper{3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f};
  for (std::int64_t step = 1; step <= 20; ++step) {
    const auto g = random_vector(n, std::uint32_t(100 + step));
    adamw_update(p.data(), g.data(), m.data(), v.data(), Index(n), hyper, step);
    adamw_update_reference(p_ref.data(), g.data(), m_ref.data(), v_ref.data(), Index(n), hyper, step);
  }
  EXPECT_TRUE(all_close(p, p_ref, 1e-5, 1e-6));
  EXPECT_TRUE(all_close(m, m_ref, 1e-5, 1e-6));
  EXPECT_TRUE(all_close(v, v_ref, 1e-5, 1e-8));
}

TEST(AdamW, FirstStepMovesEachParameterByTheLearningRate) {
  // With bias correction, step 1 gives m̂ = g and v̂ = g², so the update is lr · g / (|g| + eps).
  float p[] = {1.0f, -2.0f}, g[] = {0.5f, -4.0f}, m[2] = {}, v[2] = {};
  adamw_update(p, g, m, v, 2, AdamWHyper{0.1f, 0.9f, 0.999f, 1e-8f, 0.0f}, 1);
  EXPECT_NEAR(p[0], 0.9f, 1e-6);
  EXPECT_NEAR(p[1], -1.9f, 1e-6);
}

TEST(AdamW, WeightDecayIsDecoupled) {
  // A zero gradient leaves only the decay: p ← p (1 - lr · wd).
  float p[] = {2.0f}, g[] = {0.0f}, m[1] = {}, v[1] = {};
  adamw_update(p, g, m, v, 1, AdamWHyper{0.1f, 0.9f, 0.999f, 1e-8f, 0.5f}, 1);
  EXPECT_FLOAT_EQ(p[0], 2.0f * (1 - 0.05f));
}

}  // namespace
}  // namespace posemb::kernels
