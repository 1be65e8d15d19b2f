#include "posemb/positional/rope.hpp"

#include <gtest/gtest.h>

#include <random>

#include "golden.hpp"
#include "posemb/positional/axial_rope.hpp"

namespace posemb::positional {
namespace {

using testing::expect_scaled_close;
using testing::floats;

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

RopeParams params_of(const nlohmann::json& c) {
  RopeParams p;
  p.head_dim = c["head_dim"].get<Index>();
  p.rotary_dim = c["rotary_dim"].get<Index>();
  p.pairing = c["pairing"] == "halves" ? RopePairing::kHalves : RopePairing::kInterleaved;
  p.max_position_embeddings = c["max_position_embeddings"].get<Index>();
  if (!c["rope_scaling"].is_null()) {
    p.scaling.type = parse_rope_type(c["rope_scaling"]["rope_type"].get<std::string>());
    p.scaling.factor = c["rope_scaling"]["factor"].get<double>();
    p.scaling.original_max_position_embeddings = c["rope_scaling"]["original_max_position_embeddings"].get<Index>();
  }
  return p;
}

TEST(Rope, ApplyAndBackwardMatchHuggingFaceBothPairingsAndPartialRotary) {
  const auto golden = testing::load_positional_golden("rope_apply.json");
  for (const auto& c : golden["cases"]) {
    const std::string name = c["name"];
    const Rope rope(params_of(c), 100002);
    const Shape shape = c["shape"].get<Shape>();
    const auto positions = c["positions"].get<std::vector<Index>>();
    const Tensor q(shape, floats(c["q"]));
    Tensor out(shape);
    rope.apply(q.view(), out.view(), positions);
    expect_scaled_close(out.values(), floats(c["out"]), 1e-5, name + " forward");

    const Tensor grad_out(shape, floats(c["grad_weight"]));
    Tensor grad_q(shape);
    rope.backward(grad_out.view(), grad_q.view(), positions);
    expect_scaled_close(grad_q.values(), floats(c["grad_q"]), 1e-5, name + " backward");
  }
}

TEST(Rope, InPlaceWithOffsetEqualsOutOfPlaceAtSequentialPositions) {
  RopeParams p;
  p.head_dim = p.rotary_dim = 8;
  const Rope rope(p, 64);
  const Shape shape{2, 5, 3, 8};
  const Tensor x(shape, random_values(2 * 5 * 3 * 8, 1));
  Tensor in_place = Tensor::copy_of(x.view());
  rope.apply(in_place.view(), 7);
  Tensor out(shape);
  rope.apply(x.view(), out.view(), sequential_positions(2, 5, 7));
  EXPECT_EQ(std::vector<float>(in_place.values().begin(), in_place.values().end()),
            std::vector<float>(out.values().begin(), out.values().end()));
  // Backward of a pure rotation undoes it.
  rope.backward(in_place.view(), 7);
  expect_scaled_close(in_place.values(), x.values(), 1e-6, "rotate then un-rotate");
}

TEST(Rope, RelativePropertyQueryKeyDotDependsOnDistanceOnly) {
  RopeParams p;
  p.head_dim = p.rotary_dim = 16;
  const Rope rope(p, 512);
  const auto qv = random_values(16, 2);
  const auto kv = random_values(16, 3);
  const auto dot_at = [&](Index qpos, Index kpos) {
    Tensor q({1, 1, 1, 16}, qv), k({1, 1, 1, 16}, kv);
    rope.apply(q.view(), qpos);
    rope.apply(k.view(), kpos);
    double s = 0;
    for (int i = 0; i < 16; ++i) s += static_cast<double>(q.data()[i]) * k.data()[i];
    return s;
  };
  EXPECT_NEAR(dot_at(3, 10), dot_at(103, 110), 1e-4);
  EXPECT_NEAR(dot_at(0, 5), dot_at(400, 405), 1e-4);
}

TEST(Rope, GradientMatchesFiniteDifferences) {
  RopeParams p;
  p.head_dim = 8;
  p.rotary_dim = 6;
  p.scaling.type = RopeType::kYarn;  // attention factor != 1, so backward is not just the inverse
  p.scaling.factor = 4.0;
  p.max_position_embeddings = 16;
  const Rope rope(p, 64);
  const Shape shape{1, 3, 2, 8};
  std::vector<float> x = random_values(48, 4);
  const auto weight = random_values(48, 5);
  const std::vector<Index> positions{3, 9, 40};
  const auto loss = [&] {
    const Tensor xt(shape, x);
    Tensor out(shape);
    rope.apply(xt.view(), out.view(), positions);
    double s = 0;
    for (std::size_t i = 0; i < weight.size(); ++i) s += static_cast<double>(weight[i]) * out.data()[i];
    return s;
  };
  const Tensor w(shape, weight);
  Tensor grad(shape);
  rope.backward(w.view(), grad.view(), positions);
  testing::expect_gradient_matches_finite_differences(x, loss, grad.values(), "rope dL/dx");
}

TEST(Rope, PositionsOutsideTheCacheAndBadShapesAreErrors) {
  RopeParams p;
  p.head_dim = p.rotary_dim = 4;
  const Rope rope(p, 8);
  Tensor x({1, 2, 1, 4});
  EXPECT_THROW(rope.apply(x.view(), 7), Error);  // positions 7 and 8: 8 is outside
  EXPECT_THROW(rope.apply(x.view(), -1), Error);
  EXPECT_THROW(rope.backward(x.view(), 7), Error);
  try {
    rope.apply(x.view(), 7);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("position 8 (token 1) is outside the cos/sin cache [0, 8)"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(rope.apply(x.view(), 6));
  Tensor wrong({1, 2, 1, 6});
  EXPECT_THROW(rope.apply(wrong.view(), 0), Error);
  Tensor out({1, 2, 1, 4});
  const std::vector<Index> bad{0, -1};
  EXPECT_THROW(rope.apply(x.view(), out.view(), bad), Error);
  RopeParams odd = p;
  odd.rotary_dim = 3;
  EXPECT_THROW(Rope(odd, 8), Error);
}

TEST(AxialRope, MatchesTheBlogDefinitionForwardAndBackward) {
  const auto g = testing::load_positional_golden("axial_rope.json");
  AxialRopeParams p;
  p.head_dim = g["head_dim"].get<Index>();
  p.theta = g["theta"].get<double>();
  const AxialRope rope(p, 16);
  const Index rows = g["rows"].get<Index>(), cols = g["cols"].get<Index>(), heads = g["heads"].get<Index>();
  const Shape shape{1, rows * cols, heads, p.head_dim};
  const GridPositions grid = grid_positions(1, rows, cols);
  const Tensor x(shape, floats(g["x"]));
  Tensor out(shape);
  rope.apply(x.view(), out.view(), grid);
  expect_scaled_close(out.values(), floats(g["out"]), 1e-5, "axial forward");
  const Tensor w(shape, floats(g["grad_weight"]));
  Tensor grad(shape);
  rope.backward(w.view(), grad.view(), grid);
  expect_scaled_close(grad.values(), floats(g["grad_x"]), 1e-5, "axial backward");

  std::vector<float> xv = floats(g["x"]);
  const auto weight = floats(g["grad_weight"]);
  const auto loss = [&] {
    const Tensor xt(shape, xv);
    Tensor o(shape);
    rope.apply(xt.view(), o.view(), grid);
    double s = 0;
    for (std::size_t i = 0; i < weight.size(); ++i) s += static_cast<double>(weight[i]) * o.data()[i];
    return s;
  };
  testing::expect_gradient_matches_finite_differences(xv, loss, grad.values(), "axial dL/dx");

  AxialRopeParams bad = p;
  bad.head_dim = 6;
  EXPECT_THROW(AxialRope(bad, 4), Error);
  EXPECT_THROW(rope.apply(x.view(), out.view(), grid_positions(1, 20, 1)), Error);
}

}  // namespace
}  // namespace posemb::positional
