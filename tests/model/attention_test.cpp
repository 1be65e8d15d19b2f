#include "posemb/kernels/attention.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "posemb/core/error.hpp"
#include "posemb/kernels/matmul.hpp"
#include "test_util.hpp"

namespace posemb::kernels {
namespace {

using posemb::testing::all_close;
using posemb::testing::bit_identical;
using posemb::testing::gradient_matches_finite_differences;
using posemb::testing::random_vector;
using posemb::testing::weighted_sum;

// One attention problem with random q, k, v in a fused [tokens, 3 · heads · dim] buffer
// (strides wider than a row, as in the model) and optional scheme terms.
struct Problem {
  AttentionShape shape;
  std::vector<float> qkv;  // per sequence: k_len tokens of [q | k | v]; q reads the last q_len
  std::vector<float> bias;
  std::vector<float> rel_keys, rel_values;
  Index clip = 0;

  Problem(Index batch, Index heads, Index dim, Index q_len, Index k_len, bool with_bias, Index shaw_clip,
          std::uint32_t seed) {
    const Index row = heads * dim;
    shape = {
        batch, heads, dim, q_len, k_len, k_len - q_len, 3 * row, 3 * row, 3 * row, row, 1.0f / std::sqrt(float(dim))};
    qkv = random_vector(static_cast<std::size_t>(batch * k_len * 3 * row), seed);
    if (with_bias) bias = random_vector(static_cast<std::size_t>(heads * k_len), seed + 1);
    if (shaw_clip >= 0) {
      clip = shaw_clip;
      rel_keys = random_vector(static_cast<std::size_t>((2 * clip + 1) * dim), seed + 2);
      rel_values = random_vector(rel_keys.size(), seed + 3);
    }
  }
  // q of a KV-cache problem is the last q_len tokens of each sequence; for q_len < k_len the
  // sequences of q are k_len tokens apart, so this test keeps batch = 1 in that case.
  AttentionInputs inputs() const {
    const Index row = shape.heads * shape.head_dim;
    AttentionInputs in;
    in.q = qkv.data() + shape.q_offset * shape.q_stride;
    in.k = qkv.data() + row;
    in.v = qkv.data() + 2 * row;
    if (!bias.empty()) in.bias = {bias.data(), shape.k_len};
    if (!rel_keys.empty()) in.relative = {rel_keys.data(), rel_values.data(), clip};
    return in;
  }
  std::size_t out_size() const { return static_cast<std::size_t>(shape.batch * shape.q_len * shape.out_stride); }
  std::size_t lse_size() const { return static_cast<std::size_t>(shape.batch * shape.heads * shape.q_len); }
};

struct Gradients {
  std::vector<float> dqkv, dbias, drk, drv;
  explicit Gradients(const Problem& p)
      : dqkv(p.qkv.size()), dbias(p.bias.size()), drk(p.rel_keys.size()), drv(p.rel_values.size()) {}
  AttentionGradients view(const Problem& p) {
    const Index row = p.shape.heads * p.shape.head_dim;
    return {dqkv.data() + p.shape.q_offset * p.shape.q_stride,
            dqkv.data() + row,
            dqkv.data() + 2 * row,
            dbias.empty() ? nullptr : dbias.data(),
            drk.empty() ? nullptr : drk.data(),
            drv.empty() ? nullptr : drv.data()};
  }
};

struct Case {
  Index batch, heads, dim, q_len, k_len;
  bool bias;
  Index shaw_clip;  // -1: none
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << "b" << c.batch << "_h" << c.heads << "_d" << c.dim << "_q" << c.q_len << "_k" << c.k_len
      << (c.bias ? "_bias" : "") << (c.shaw_clip >= 0 ? "_shaw" + std::to_string(c.shaw_clip) : "");
}

class AttentionTest : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionTest, TiledMatchesReference) {
  const Case c = GetParam();
  const Problem p(c.batch, c.heads, c.dim, c.q_len, c.k_len, c.bias, c.shaw_clip, 7);
  const auto in = p.inputs();
  validate_attention(p.shape, in);
  std::vector<float> out(p.out_size()), out_ref(p.out_size()), lse(p.lse_size()), lse_ref(p.lse_size());
  attention_forward(p.shape, in, out.data(), lse.data());
  attention_forward_reference(p.shape, in, out_ref.data(), lse_ref.data());
  EXPECT_TRUE(all_close(out, out_ref, 2e-5, 2e-5));
  EXPECT_TRUE(all_close(lse, lse_ref, 2e-5, 2e-5));

  const auto dout = random_vector(p.out_size(), 99);
  Gradients fast(p), ref(p);
  attention_backward(p.shape, in, out.data(), lse.data(), dout.data(), fast.view(p));
  attention_backward_reference(p.shape, in, dout.data(), ref.view(p));
  EXPECT_TRUE(all_close(fast.dqkv, ref.dqkv, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(fast.dbias, ref.dbias, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(fast.drk, ref.drk, 1e-4, 1e-4));
  EXPECT_TRUE(all_close(fast.drv, ref.drv, 1e-4, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionTest,
                         ::testing::Values(Case{1, 1, 4, 1, 1, false, -1},       // one token
                                           Case{2, 3, 8, 5, 5, false, -1},       // smaller than a tile
                                           Case{2, 2, 16, 150, 150, false, -1},  // several blocks and a ragged last one
                                           Case{1, 2, 8, 130, 130, true, -1},    // distance bias (ALiBi, T5)
                                           Case{2, 2, 8, 70, 70, false, 3},      // Shaw, clip 3
                                           Case{1, 3, 8, 100, 100, true, 0},     // bias + Shaw with clip 0
                                           Case{1, 2, 16, 20, 150, true, 4},     // KV cache: 20 new queries after 130
                                           Case{1, 2, 8, 1, 97, true, 5}));      // one query, as in decoding

TEST(Attention, BackwardMatchesFiniteDifferences) {
  // Small enough that every element of q, k, v and the tables is checked.
  Problem p(1, 2, 4, 6, 6, true, 2, 21);
  const auto r = random_vector(p.out_size(), 22);
  std::vector<float> out(p.out_size()), lse(p.lse_size());
  auto loss = [&] {
    attention_forward(p.shape, p.inputs(), out.data(), lse.data());
    return weighted_sum(out, r);
  };
  loss();
  Gradients g(p);
  attention_backward(p.shape, p.inputs(), out.data(), lse.data(), r.data(), g.view(p));
  EXPECT_TRUE(gradient_matches_finite_differences(p.qkv, g.dqkv, loss, 1e-2, 3e-3));
  EXPECT_TRUE(gradient_matches_finite_differences(p.bias, g.dbias, loss, 1e-2, 3e-3));
  EXPECT_TRUE(gradient_matches_finite_differences(p.rel_keys, g.drk, loss, 1e-2, 3e-3));
  EXPECT_TRUE(gradient_matches_finite_differences(p.rel_values, g.drv, loss, 1e-2, 3e-3));
}

TEST(Attention, KvCacheRowsEqualTheFullSequence) {
  // The last 30 queries evaluated against a cache of all 100 keys give the same rows as the
  // full causal pass over 100 tokens.
  const Problem full(1, 2, 8, 100, 100, true, 3, 31);
  Problem tail = full;
  tail.shape.q_len = 30;
  tail.shape.q_offset = 70;
  std::vector<float> out_full(full.out_size()), lse_full(full.lse_size());
  std::vector<float> out_tail(tail.out_size()), lse_tail(tail.lse_size());
  attention_forward(full.shape, full.inputs(), out_full.data(), lse_full.data());
  attention_forward(tail.shape, tail.inputs(), out_tail.data(), lse_tail.data());
  const std::vector<float> expected(out_full.end() - std::ptrdiff_t(out_tail.size()), out_full.end());
  EXPECT_TRUE(all_close(out_tail, expected, 1e-6, 1e-6));
}

TEST(Attention, FirstQuerySeesOnlyTheFirstKey) {
  // Causality: query 0 attends to key 0 alone, so its output is v_0 exactly.
  const Problem p(1, 1, 4, 3, 3, false, -1, 41);
  std::vector<float> out(p.out_size()), lse(p.lse_size());
  attention_forward(p.shape, p.inputs(), out.data(), lse.data());
  for (int c = 0; c < 4; ++c) EXPECT_FLOAT_EQ(out[static_cast<std::size_t>(c)], p.qkv[static_cast<std::size_t>(8 + c)]);
}

TEST(Attention, SameBitsWithOneOrTwoThreads) {
  const Problem p(2, 3, 16, 90, 90, true, 4, 51);
  const auto dout = random_vector(p.out_size(), 52);
  auto run = [&](int threads) {
    set_kernel_threads(threads);
    std::vector<float> out(p.out_size()), lse(p.lse_size());
    attention_forward(p.shape, p.inputs(), out.data(), lse.data());
    Gradients g(p);
    attention_backward(p.shape, p.inputs(), out.data(), lse.data(), dout.data(), g.view(p));
    out.insert(out.end(), g.dqkv.begin(), g.dqkv.end());
    out.insert(out.end(), g.dbias.begin(), g.dbias.end());
    out.insert(out.end(), g.drk.begin(), g.drk.end());
    return out;
  };
  const auto one = run(1), two = run(2);
  set_kernel_threads(1);
  EXPECT_TRUE(bit_identical(one, two));
}

TEST(Attention, ValidationNamesTheProblem) {
  const Problem p(1, 2, 8, 10, 10, true, -1, 61);
  auto expect_error = [&](AttentionShape shape, AttentionInputs in, const std::string& needle) {
    try {
      validate_attention(shape, in);
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  AttentionShape s = p.shape;
  s.k_len = 5;
  expect_error(s, p.inputs(), "k_len");
  s = p.shape;
  s.q_stride = 3;
  expect_error(s, p.inputs(), "strides");
  AttentionInputs in = p.inputs();
  in.bias.distances = 4;
  expect_error(p.shape, in, "distance bias");
  s = p.shape;
  s.head_dim = 0;
  expect_error(s, p.inputs(), "head_dim");
}

}  // namespace
}  // namespace posemb::kernels
