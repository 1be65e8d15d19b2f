// ALiBi, T5 and Shaw: the schemes that act on attention scores.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "golden.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/shaw.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb::positional {
namespace {

using testing::expect_elementwise_close;
using testing::expect_scaled_close;
using testing::floats;

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& x : v) x = normal(rng);
  return v;
}

// [a, b, c] (heads first) -> [b, a, c]
std::vector<float> swap_first_two(const std::vector<float>& v, Index a, Index b, Index c) {
  std::vector<float> out(v.size());
  for (Index i = 0; i < a; ++i)
    for (Index j = 0; j < b; ++j)
      for (Index k = 0; k < c; ++k) out[static_cast<std::size_t>((j * a + i) * c + k)] = v[static_cast<std::size_t>((i * b + j) * c + k)];
  return out;
}

TEST(Alibi, SlopesMatchTheReferenceAndBloomForAnyHeadCount) {
  const auto g = testing::load_positional_golden("alibi.json");
  for (const auto& c : g["slopes"]) {
    const Index heads = c["heads"].get<Index>();
    const auto slopes = alibi_slopes(heads);
    expect_elementwise_close(slopes, floats(c["bloom_float32"]), 1e-6, "bloom slopes, heads " + c["heads"].dump());
    expect_elementwise_close(slopes, floats(c["reference_double"]), 1e-6, "get_slopes, heads " + c["heads"].dump());
  }
  EXPECT_THROW((void)alibi_slopes(0), Error);
}

TEST(Alibi, BiasIsSlopeTimesDistanceAndSoftmaxEqualsBlooms) {
  const auto g = testing::load_positional_golden("alibi.json")["bias"];
  const Index heads = g["heads"].get<Index>(), q_len = g["q_len"].get<Index>(), k_len = g["k_len"].get<Index>();
  const Alibi alibi({heads, AlibiDirection::kCausal});
  const Tensor bias = alibi.bias_matrix(q_len, k_len, g["q_start"].get<Index>(), 0);
  expect_scaled_close(bias.values(), floats(g["relative"]), 1e-6, "alibi m (j - i)");

  Tensor scores({heads, q_len, k_len}, floats(g["scores"]));
  alibi.add_to_scores(scores.view(), g["q_start"].get<Index>(), 0);
  std::vector<float> softmax(scores.values().begin(), scores.values().end());
  for (Index r = 0; r < heads * q_len; ++r) {
    float* row = softmax.data() + r * k_len;
    const float top = *std::max_element(row, row + k_len);
    double sum = 0;
    for (Index j = 0; j < k_len; ++j) sum += std::exp(static_cast<double>(row[j] - top));
    for (Index j = 0; j < k_len; ++j) row[j] = static_cast<float>(std::exp(static_cast<double>(row[j] - top)) / sum);
  }
  expect_scaled_close(softmax, floats(g["softmax_with_bloom"]), 1e-5, "softmax equals BLOOM's");
}

TEST(Alibi, SymmetricFormIsMinusSlopeTimesAbsoluteDistance) {
  const Alibi alibi({3, AlibiDirection::kSymmetric});
  const Tensor bias = alibi.bias_matrix(4, 4);
  for (Index h = 0; h < 3; ++h)
    for (Index i = 0; i < 4; ++i)
      for (Index j = 0; j < 4; ++j)
        EXPECT_FLOAT_EQ(bias.at(h, i, j), -alibi.slopes()[static_cast<std::size_t>(h)] * static_cast<float>(std::abs(j - i)));
}

TEST(T5, BucketsEqualTransformersForEveryDistance) {
  const auto g = testing::load_positional_golden("t5.json");
  for (const auto& c : g["buckets"]) {
    T5BiasParams p;
    p.num_heads = 1;
    p.num_buckets = c["num_buckets"].get<Index>();
    p.max_distance = c["max_distance"].get<Index>();
    p.bidirectional = c["bidirectional"].get<bool>();
    const auto distances = c["distances"].get<std::vector<Index>>();
    const auto expected = c["buckets"].get<std::vector<Index>>();
    int mismatches = 0;
    for (std::size_t i = 0; i < distances.size(); ++i)
      if (t5_relative_position_bucket(distances[i], p) != expected[i] && ++mismatches < 5)
        ADD_FAILURE() << "distance " << distances[i] << ": " << t5_relative_position_bucket(distances[i], p) << " vs "
                      << expected[i] << " (" << c["num_buckets"] << ", " << c["max_distance"] << ", "
                      << c["bidirectional"] << ")";
  }
}

TEST(T5, BiasAndTableGradientMatchComputeBias) {
  const auto g = testing::load_positional_golden("t5.json");
  for (const auto& c : g["bias"]) {
    T5BiasParams p;
    p.num_heads = c["heads"].get<Index>();
    p.num_buckets = c["num_buckets"].get<Index>();
    p.max_distance = c["max_distance"].get<Index>();
    p.bidirectional = c["bidirectional"].get<bool>();
    const T5RelativeBias t5(p, Tensor({p.num_buckets, p.num_heads}, floats(c["table"])));
    const Index q_len = c["q_len"].get<Index>(), k_len = c["k_len"].get<Index>(), q_start = c["q_start"].get<Index>();
    const Tensor bias = t5.bias_matrix(q_len, k_len, q_start, 0);
    expect_scaled_close(bias.values(), floats(c["bias"]), 1e-6, "t5 bias");
    const Tensor w({p.num_heads, q_len, k_len}, floats(c["grad_weight"]));
    Tensor grad_table({p.num_buckets, p.num_heads});
    t5.backward(w.view(), grad_table.view(), q_start, 0);
    expect_scaled_close(grad_table.values(), floats(c["grad_table"]), 1e-5, "t5 grad table");
  }
}

TEST(T5, TableGradientMatchesFiniteDifferences) {
  T5BiasParams p{2, 8, 20, false};
  std::vector<float> table = random_values(16, 7);
  const auto weight = random_values(2 * 3 * 30, 8);
  const auto loss = [&] {
    const T5RelativeBias t5(p, Tensor({8, 2}, table));
    const Tensor b = t5.bias_matrix(3, 30, 27, 0);
    double s = 0;
    for (std::size_t i = 0; i < weight.size(); ++i) s += static_cast<double>(weight[i]) * b.data()[i];
    return s;
  };
  const T5RelativeBias t5(p, Tensor({8, 2}, table));
  Tensor grad({8, 2});
  t5.backward(Tensor({2, 3, 30}, weight).view(), grad.view(), 27, 0);
  testing::expect_gradient_matches_finite_differences(table, loss, grad.values(), "t5 dL/dtable");
}

TEST(T5, BadParametersNameTheParameter) {
  const auto message_of = [](T5BiasParams p) {
    try {
      validate(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message_of({1, 32, 8, true}).find("max_distance must be more than 8"), std::string::npos);
  EXPECT_NE(message_of({1, 32, 16, false}).find("max_distance must be more than 16"), std::string::npos);
  EXPECT_NE(message_of({1, 2, 128, true}).find("num_buckets must be at least 4"), std::string::npos);
  EXPECT_NE(message_of({0, 32, 128, true}).find("num_heads"), std::string::npos);
  EXPECT_THROW(T5RelativeBias({2, 32, 128, true}, Tensor({32, 3})), Error);
}

TEST(Shaw, IndexMatricesMatchTensor2Tensor) {
  const auto g = testing::load_positional_golden("shaw.json");
  for (const auto& c : g["matrices"]) {
    const IdTensor m = shaw_index_matrix(c["max_relative_position"].get<Index>(), c["q_len"].get<Index>(),
                                         c["k_len"].get<Index>(), c["q_start"].get<Index>(), 0);
    EXPECT_EQ(std::vector<Index>(m.values().begin(), m.values().end()), c["matrix"].get<std::vector<Index>>());
  }
  // tensor2tensor's decoding variant (cache=True): one query at the last position.
  const auto& cached = g["cached"];
  const Index k_len = cached["k_len"].get<Index>();
  const IdTensor m = shaw_index_matrix(cached["max_relative_position"].get<Index>(), 1, k_len, k_len - 1, 0);
  EXPECT_EQ(std::vector<Index>(m.values().begin(), m.values().end()), cached["matrix"].get<std::vector<Index>>());
  EXPECT_THROW((void)shaw_index_matrix(0, 2, 2), Error);
}

TEST(Shaw, LogitsOutputsAndAllGradientsMatchTensor2Tensor) {
  const auto g = testing::load_positional_golden("shaw.json")["attention"];
  const Index heads = g["heads"].get<Index>(), q_len = g["q_len"].get<Index>(), k_len = g["k_len"].get<Index>();
  const Index d = g["head_dim"].get<Index>(), k = g["max_relative_position"].get<Index>();
  const Index q_start = g["q_start"].get<Index>();
  const ShawRelativePositions shaw({k, d}, Tensor({2 * k + 1, d}, floats(g["key_table"])),
                                   Tensor({2 * k + 1, d}, floats(g["value_table"])));
  const Tensor q({q_len, heads, d}, swap_first_two(floats(g["q_heads_first"]), heads, q_len, d));
  const Tensor probs({heads, q_len, k_len}, floats(g["probs"]));

  Tensor logits({heads, q_len, k_len});
  shaw.add_key_logits(q.view(), logits.view(), q_start, 0);
  expect_scaled_close(logits.values(), floats(g["logits"]), 1e-5, "shaw logits");
  Tensor out({q_len, heads, d});
  shaw.add_value_output(probs.view(), out.view(), q_start, 0);
  expect_scaled_close(out.values(), swap_first_two(floats(g["out_heads_first"]), heads, q_len, d), 1e-5, "shaw out");

  const Tensor w_logits({heads, q_len, k_len}, floats(g["grad_weight_logits"]));
  const Tensor w_out({q_len, heads, d}, swap_first_two(floats(g["grad_weight_out_heads_first"]), heads, q_len, d));
  Tensor grad_q({q_len, heads, d}), grad_key({2 * k + 1, d}), grad_probs({heads, q_len, k_len}), grad_value({2 * k + 1, d});
  shaw.key_logits_backward(q.view(), w_logits.view(), grad_q.view(), grad_key.view(), q_start, 0);
  shaw.value_output_backward(probs.view(), w_out.view(), grad_probs.view(), grad_value.view(), q_start, 0);
  expect_scaled_close(grad_q.values(), swap_first_two(floats(g["grad_q_heads_first"]), heads, q_len, d), 1e-5, "grad q");
  expect_scaled_close(grad_key.values(), floats(g["grad_key_table"]), 1e-5, "grad key table");
  expect_scaled_close(grad_value.values(), floats(g["grad_value_table"]), 1e-5, "grad value table");
  expect_scaled_close(grad_probs.values(), floats(g["grad_probs"]), 1e-5, "grad probs");
}

TEST(Shaw, GradientsMatchFiniteDifferences) {
  const Index heads = 2, q_len = 3, k_len = 5, d = 4, k = 2, q_start = 2;
  std::vector<float> q = random_values(static_cast<std::size_t>(q_len * heads * d), 11);
  std::vector<float> key_table = random_values(static_cast<std::size_t>((2 * k + 1) * d), 12);
  std::vector<float> value_table = random_values(static_cast<std::size_t>((2 * k + 1) * d), 13);
  std::vector<float> probs = random_values(static_cast<std::size_t>(heads * q_len * k_len), 14);
  const auto w_logits = random_values(probs.size(), 15);
  const auto w_out = random_values(q.size(), 16);
  const auto loss = [&] {
    const ShawRelativePositions shaw({k, d}, Tensor({2 * k + 1, d}, key_table), Tensor({2 * k + 1, d}, value_table));
    Tensor logits({heads, q_len, k_len}), out({q_len, heads, d});
    shaw.add_key_logits(Tensor({q_len, heads, d}, q).view(), logits.view(), q_start, 0);
    shaw.add_value_output(Tensor({heads, q_len, k_len}, probs).view(), out.view(), q_start, 0);
    double s = 0;
    for (std::size_t i = 0; i < w_logits.size(); ++i) s += static_cast<double>(w_logits[i]) * logits.data()[i];
    for (std::size_t i = 0; i < w_out.size(); ++i) s += static_cast<double>(w_out[i]) * out.data()[i];
    return s;
  };
  const ShawRelativePositions shaw({k, d}, Tensor({2 * k + 1, d}, key_table), Tensor({2 * k + 1, d}, value_table));
  Tensor grad_q({q_len, heads, d}), grad_key({2 * k + 1, d}), grad_probs({heads, q_len, k_len}), grad_value({2 * k + 1, d});
  shaw.key_logits_backward(Tensor({q_len, heads, d}, q).view(), Tensor({heads, q_len, k_len}, w_logits).view(),
                           grad_q.view(), grad_key.view(), q_start, 0);
  shaw.value_output_backward(Tensor({heads, q_len, k_len}, probs).view(), Tensor({q_len, heads, d}, w_out).view(),
                             grad_probs.view(), grad_value.view(), q_start, 0);
  testing::expect_gradient_matches_finite_differences(q, loss, grad_q.values(), "shaw dL/dq");
  testing::expect_gradient_matches_finite_differences(key_table, loss, grad_key.values(), "shaw dL/dK_rel");
  testing::expect_gradient_matches_finite_differences(value_table, loss, grad_value.values(), "shaw dL/dV_rel");
  testing::expect_gradient_matches_finite_differences(probs, loss, grad_probs.values(), "shaw dL/dp");
}

}  // namespace
}  // namespace posemb::positional
