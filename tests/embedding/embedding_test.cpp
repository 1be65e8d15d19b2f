// Token and learned position embeddings against torch.nn.Embedding (initialisation, forward,
// backward: tests/goldens/embedding/embedding.json from tools/goldens/embedding/embedding.py),
// gradients against finite differences, and the errors a user sees.
#include "posemb/kernels/embedding.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/core/random.hpp"
#include "posemb/embedding/learned_position_embedding.hpp"
#include "posemb/embedding/token_embedding.hpp"
#include "posemb/io/file.hpp"

namespace posemb::embedding {
namespace {

using nlohmann::json;

const json& golden() {
  static const json document = json::parse(io::read_file_bytes(POSEMB_GOLDENS_DIR "/embedding/embedding.json"));
  return document;
}

Tensor tensor_of(const json& record) {
  std::vector<float> values;
  for (const auto& b : record.at("bits")) values.push_back(std::bit_cast<float>(b.get<std::uint32_t>()));
  return Tensor(record.at("shape").get<Shape>(), values);
}

IdTensor ids_of(const json& record) {
  return IdTensor(record.at("shape").get<Shape>(), record.at("values").get<std::vector<std::int64_t>>());
}

// Bit-for-bit equality, reporting the first few differences.
void expect_same_bits(const Tensor& actual, const Tensor& expected, const std::string& what) {
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  int reported = 0;
  for (Index i = 0; i < actual.numel(); ++i) {
    if (std::bit_cast<std::uint32_t>(actual.data()[i]) != std::bit_cast<std::uint32_t>(expected.data()[i]) &&
        reported++ < 5)
      ADD_FAILURE() << what << ": element " << i << " is " << actual.data()[i] << ", torch has " << expected.data()[i];
  }
}

TEST(EmbeddingGolden, LookupsMatchTorchInitForwardAndBackward) {
  const json& cases = golden().at("lookups");
  ASSERT_GE(cases.size(), 8u);
  for (const json& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    Generator gen(c.at("seed").get<std::uint64_t>());
    const Index rows = c.at("rows").get<Index>(), dim = c.at("dim").get<Index>();
    const IdTensor indices = ids_of(c.at("indices"));
    const Tensor r = tensor_of(c.at("r"));
    Tensor grad({rows, dim});
    if (c.at("kind") == "token") {
      const TokenEmbedding table(rows, dim, gen);
      expect_same_bits(table.weight(), tensor_of(c.at("weight")), name + " init");
      expect_same_bits(table.forward(indices.view()), tensor_of(c.at("out")), name + " forward");
      table.backward(indices.view(), r.view(), grad);
    } else {
      const LearnedPositionEmbedding table(rows, dim, gen);
      expect_same_bits(table.weight(), tensor_of(c.at("weight")), name + " init");
      expect_same_bits(table.forward(indices.view()), tensor_of(c.at("out")), name + " forward");
      table.backward(indices.view(), r.view(), grad);
    }
    expect_same_bits(grad, tensor_of(c.at("grad_weight")), name + " backward");
  }
}

TEST(EmbeddingGolden, OffsetAndCountEqualExplicitPositions) {
  for (const json& c : golden().at("lookups")) {
    if (c.at("name") != "position_offset_3_count_4") continue;
    const LearnedPositionEmbedding table(tensor_of(c.at("weight")));
    expect_same_bits(table.forward(3, 4), tensor_of(c.at("out")), "forward(3, 4)");
    Tensor grad({table.max_len(), table.dim()});
    table.backward(3, 4, tensor_of(c.at("r")).view(), grad);
    expect_same_bits(grad, tensor_of(c.at("grad_weight")), "backward(3, 4)");
    return;
  }
  FAIL() << "golden case position_offset_3_count_4 is missing";
}

TEST(EmbeddingGolden, TokenPlusPositionLikeTheNotebook) {
  const json& c = golden().at("token_plus_position");
  Generator gen(c.at("seed").get<std::uint64_t>());
  // Drawn in sequence from one seed, as the notebook constructs them.
  const TokenEmbedding tokens(c.at("vocab_size").get<Index>(), c.at("dim").get<Index>(), gen);
  const LearnedPositionEmbedding positions(c.at("max_len").get<Index>(), c.at("dim").get<Index>(), gen);
  expect_same_bits(tokens.weight(), tensor_of(c.at("token_weight")), "token init");
  expect_same_bits(positions.weight(), tensor_of(c.at("position_weight")), "position init");

  const IdTensor ids = ids_of(c.at("ids"));
  const Index batch = ids.size(0), seq = ids.size(1);
  const Tensor sum = add_position_embeddings(tokens.forward(ids.view()).view(), positions.forward(0, seq).view());
  expect_same_bits(sum, tensor_of(c.at("sum")), "sum");

  // d(sum)/d(token rows) is the identity; d(sum)/d(position rows) sums over the batch.
  const Tensor r = tensor_of(c.at("r"));
  Tensor token_grad({tokens.vocab_size(), tokens.dim()});
  tokens.backward(ids.view(), r.view(), token_grad);
  Tensor r_over_batch({seq, positions.dim()});
  for (Index b = 0; b < batch; ++b)
    for (Index t = 0; t < seq; ++t)
      for (Index d = 0; d < positions.dim(); ++d) r_over_batch.at(t, d) += r.at(b, t, d);
  Tensor position_grad({positions.max_len(), positions.dim()});
  positions.backward(0, seq, r_over_batch.view(), position_grad);
  expect_same_bits(token_grad, tensor_of(c.at("token_grad")), "token grad");
  expect_same_bits(position_grad, tensor_of(c.at("position_grad")), "position grad");
}

// loss(W) = sum(forward(W) * R), in double.
template <class Table, class Forward>
double loss_of(const Table& table, const Tensor& r, Forward forward) {
  const Tensor out = forward(table);
  double loss = 0;
  for (Index i = 0; i < out.numel(); ++i) loss += static_cast<double>(out.data()[i]) * r.data()[i];
  return loss;
}

// Central differences for every entry of the table against the analytic gradient.
template <class Table, class Forward>
void check_finite_differences(Table table, const Tensor& r, const Tensor& analytic, Forward forward) {
  const double h = 1e-2;
  TensorView<float> w = table.weight_view();
  for (Index i = 0; i < w.numel(); ++i) {
    const float original = w.data()[i];
    w.data()[i] = original + static_cast<float>(h);
    const double plus = loss_of(table, r, forward);
    w.data()[i] = original - static_cast<float>(h);
    const double minus = loss_of(table, r, forward);
    w.data()[i] = original;
    const double numeric = (plus - minus) / (2 * h);
    EXPECT_NEAR(analytic.data()[i], numeric, 1e-3 * (1 + std::abs(numeric))) << "weight element " << i;
  }
}

TEST(EmbeddingGradient, TokenBackwardMatchesFiniteDifferences) {
  Generator gen(11);
  const TokenEmbedding table(9, 4, gen);
  const IdTensor ids({2, 5}, {1, 8, 1, 1, 0, 3, 3, 8, 2, 1});  // repeats, and rows never used
  Tensor r({2, 5, 4});
  gen.fill_normal(r.values());
  Tensor grad({9, 4});
  table.backward(ids.view(), r.view(), grad);
  check_finite_differences(table, r, grad, [&](const TokenEmbedding& t) { return t.forward(ids.view()); });
  // Unused rows get no gradient at all; the gradient accumulates across calls.
  for (Index d = 0; d < 4; ++d) EXPECT_EQ(grad.at(4, d), 0.0f);
  const float once = grad.at(1, 0);
  table.backward(ids.view(), r.view(), grad);
  EXPECT_FLOAT_EQ(grad.at(1, 0), 2 * once);
}

TEST(EmbeddingGradient, PositionBackwardMatchesFiniteDifferences) {
  Generator gen(12);
  const LearnedPositionEmbedding table(7, 3, gen);
  Tensor r({4, 3});
  gen.fill_normal(r.values());
  Tensor grad({7, 3});
  table.backward(2, 4, r.view(), grad);
  check_finite_differences(table, r, grad, [](const LearnedPositionEmbedding& t) { return t.forward(2, 4); });

  const IdTensor repeated({4}, {6, 0, 6, 6});
  Tensor grad2({7, 3});
  table.backward(repeated.view(), r.view(), grad2);
  check_finite_differences(table, r, grad2,
                           [&](const LearnedPositionEmbedding& t) { return t.forward(repeated.view()); });
}

// The message of the posemb::Error that f throws.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a posemb::Error";
  return "";
}

TEST(EmbeddingErrors, TokenIdOutOfRangeNamesIdPlaceAndVocabulary) {
  Generator gen(0);
  const TokenEmbedding table(50, 2, gen);
  const IdTensor ids({2, 3}, {1, 2, 3, 4, 50, 6});
  EXPECT_EQ(error_of([&] { (void)table.forward(ids.view()); }),
            "token id 50 at [1, 1] is out of range: the vocabulary has 50 tokens (ids 0 to 49)");
  const IdTensor negative({1, 2}, {-1, 0});
  EXPECT_NE(error_of([&] { (void)table.forward(negative.view()); }).find("token id -1 at [0, 0]"), std::string::npos);
  Tensor grad({50, 2});
  EXPECT_NE(error_of([&] {
              table.backward(ids.view(), Tensor({2, 3, 2}).view(), grad);
            }).find("token id 50"),
            std::string::npos);
}

TEST(EmbeddingErrors, PositionPastTheTableSaysLearnedPositionsEndThere) {
  Generator gen(0);
  const LearnedPositionEmbedding table(5, 2, gen);
  const std::string message = error_of([&] { (void)table.forward(0, 6); });
  EXPECT_NE(message.find("position 5 (offset 0 + count 6 - 1)"), std::string::npos) << message;
  EXPECT_NE(message.find("5 rows (positions 0 to 4)"), std::string::npos) << message;
  EXPECT_NE(message.find("cannot go past the table"), std::string::npos) << message;
  const IdTensor positions({3}, {0, 1, 7});
  EXPECT_NE(error_of([&] { (void)table.forward(positions.view()); }).find("position 7 (at [2])"), std::string::npos);
  EXPECT_NE(error_of([&] { (void)table.forward(-1, 2); }).find("offset >= 0"), std::string::npos);
  // The last row is fine; an empty range too.
  EXPECT_EQ(table.forward(4, 1).shape(), (Shape{1, 2}));
  EXPECT_EQ(table.forward(5, 0).shape(), (Shape{0, 2}));
}

TEST(EmbeddingErrors, ShapesAreCheckedAtTheEdge) {
  Generator gen(0);
  EXPECT_NE(error_of([&] { TokenEmbedding(0, 2, gen); }).find("vocab_size >= 1"), std::string::npos);
  EXPECT_NE(error_of([&] { TokenEmbedding(Tensor({3})); }).find("[rows >= 1, dim >= 1], got [3]"), std::string::npos);
  const TokenEmbedding table(4, 2, gen);
  const IdTensor ids({1, 2}, {0, 1});
  Tensor wrong_grad({4, 3});
  EXPECT_NE(error_of([&] {
              table.backward(ids.view(), Tensor({1, 2, 2}).view(), wrong_grad);
            }).find("must have its shape [4, 2], got [4, 3]"),
            std::string::npos);
  Tensor grad({4, 2});
  EXPECT_NE(error_of([&] {
              table.backward(ids.view(), Tensor({1, 2, 3}).view(), grad);
            }).find("shape [1, 2, 2]"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              (void)add_position_embeddings(Tensor({1, 5, 2}).view(), Tensor({4, 2}).view());
            }).find("cannot add position embeddings of shape [4, 2] to token embeddings of shape [1, 5, 2]"),
            std::string::npos);
}

TEST(Embedding, StridedIdsAndGradientsWork) {
  Generator gen(3);
  const TokenEmbedding table(6, 2, gen);
  const IdTensor ids({2, 3}, {0, 1, 2, 3, 4, 5});
  const auto column = ids.view().select(1, 2);  // ids[:, 2] = [2, 5], strided
  const Tensor out = table.forward(column);
  EXPECT_EQ(out.shape(), (Shape{2, 2}));
  EXPECT_EQ(out.at(1, 1), table.weight().at(5, 1));
  const Tensor g({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor grad({6, 2});
  table.backward(column, g.view().select(1, 0), grad);  // g[:, 0, :] = [[1, 2], [5, 6]]
  EXPECT_EQ(grad.at(2, 1), 2.0f);
  EXPECT_EQ(grad.at(5, 0), 5.0f);
}

TEST(Embedding, AddPositionsBroadcastsOverTheBatchAndAcceptsViews) {
  const Tensor x({2, 2, 3}, {1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60});
  const Tensor p({3, 2}, {0.5f, 0.25f, 1, 2, 3, 4});  // its transpose is a strided [2, 3] view
  const TensorView<const float> p_t(p.data(), {2, 3}, {1, 2});
  const Tensor out = add_position_embeddings(x.view(), p_t);
  EXPECT_EQ(out.at(0, 0, 1), 2.0f + 1.0f);
  EXPECT_EQ(out.at(1, 1, 2), 60.0f + 4.0f);
  EXPECT_EQ(out.at(1, 0, 0), 10.0f + 0.5f);
}

TEST(EmbeddingKernels, AddRowsBroadcastMayWorkInPlace) {
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8};   // [2, 2, 2]
  const std::vector<float> rows{10, 20, 30, 40};  // [2, 2]
  kernels::add_rows_broadcast(x.data(), rows.data(), 2, 2, 2, x.data());
  EXPECT_EQ(x, (std::vector<float>{11, 22, 33, 44, 15, 26, 37, 48}));
}

TEST(EmbeddingKernels, ScatterAddSumsRepeatedRowsInInputOrder) {
  // 1e8 + 1 - 1e8 in float depends on the order: in input order it is 0, not 1.
  std::vector<float> table(2, 0.0f);
  const std::vector<float> grad{1e8f, 1.0f, -1e8f};
  const std::vector<std::int64_t> ids{1, 1, 1};
  kernels::scatter_add_rows(grad.data(), 1, ids.data(), 3, table.data());
  EXPECT_EQ(table[1], 0.0f);  // (1e8 + 1) rounds to 1e8 in float
  EXPECT_EQ(table[0], 0.0f);
}

}  // namespace
}  // namespace posemb::embedding
