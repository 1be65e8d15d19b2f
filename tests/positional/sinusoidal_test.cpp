#include "posemb/positional/sinusoidal.hpp"

#include <gtest/gtest.h>

#include "golden.hpp"
#include "posemb/positional/input_positions.hpp"

namespace posemb::positional {
namespace {

using testing::expect_scaled_close;
using testing::floats;

std::vector<Index> indices_of(const nlohmann::json& j) { return j.get<std::vector<Index>>(); }

// Within 1e-5, plus, at large positions, what one ulp of the frequency (plus the product's rounding) moves the float32 angle
// by (2 x position x ulp(w)): PyTorch's vectorised exp is not correctly rounded, glibc's is.
TEST(Sinusoidal, MatchesTutorialFairseqAndTensor2Tensor) {
  const auto golden = testing::load_positional_golden("sinusoidal.json");
  ASSERT_GE(golden["cases"].size(), 8u);
  for (const auto& c : golden["cases"]) {
    SinusoidalParams p;
    p.dim = c["dim"].get<Index>();
    p.layout = parse_sinusoidal_layout(c["layout"].get<std::string>());
    p.base = c["base"].get<double>();
    p.first_position = c["first_position"].get<Index>();
    const SinusoidalPositions positions(p);
    const auto indices = indices_of(c["token_indices"]);
    const Tensor rows = positions.rows(indices);
    const auto expected = floats(c["values"]);
    const std::string what = c["layout"].get<std::string>() + " " + c["note"].get<std::string>();
    for (std::size_t r = 0; r < indices.size(); ++r)
      for (Index col = 0; col < p.dim; ++col) {
        const Index i = p.layout == SinusoidalLayout::kInterleaved ? col / 2 : col % (p.dim / 2);
        const double w = positions.frequencies()[static_cast<std::size_t>(i)];
        const double slack = static_cast<double>(p.first_position + indices[r]) * w * 0x1p-22;
        const auto at = r * static_cast<std::size_t>(p.dim) + static_cast<std::size_t>(col);
        EXPECT_NEAR(rows.data()[at], expected[at], 1e-5 + slack) << what << " row " << r << " col " << col;
      }
  }
}

TEST(Sinusoidal, DoubleAnglesMatchTheExactValuesAtLargePositions) {
  const auto golden = testing::load_positional_golden("sinusoidal.json");
  const auto& diff = golden["float32_vs_double"];
  SinusoidalParams p;
  p.dim = diff["dim"].get<Index>();
  p.precision = AnglePrecision::kFloat64;
  const Tensor rows = SinusoidalPositions(p).rows(indices_of(diff["positions"]));
  expect_scaled_close(rows.values(), floats(diff["double_values"]), 1e-6, "float64 angles");
  // The gap the float32 references carry: visible (> 1e-3) from position 65535 on.
  const auto gaps = diff["max_abs_difference_per_position"].get<std::vector<double>>();
  EXPECT_LT(gaps[1], 1e-6);
  EXPECT_GT(gaps.back(), 1e-2);
}

TEST(Sinusoidal, ScaleMultipliesAndAddToAddsRows) {
  SinusoidalParams p;
  p.dim = 8;
  p.scale = 2.0f;
  const SinusoidalPositions scaled(p);
  p.scale = 1.0f;
  const SinusoidalPositions plain(p);
  const std::vector<Index> idx{0, 3, 5};
  const Tensor a = scaled.rows(idx);
  const Tensor b = plain.rows(idx);
  for (Index i = 0; i < a.numel(); ++i) EXPECT_EQ(a.data()[i], 2.0f * b.data()[i]);
  EXPECT_EQ(b.at(0, 0), 0.0f);  // sin(0)
  EXPECT_EQ(b.at(0, 1), 1.0f);  // cos(0)

  Tensor x = Tensor::full({3, 8}, 0.5f);
  plain.add_to(x.view(), idx);
  for (Index i = 0; i < x.numel(); ++i) EXPECT_EQ(x.data()[i], 0.5f + b.data()[i]);
  Tensor wrong({2, 8});
  EXPECT_THROW(plain.add_to(wrong.view(), idx), Error);
}

// The cached table is the rows computed on demand, bit for bit, and add_to takes the same
// values from either; indices past the cache (or a mix) are computed.
TEST(Sinusoidal, CachedTableGivesTheComputedRows) {
  for (const auto layout : {SinusoidalLayout::kInterleaved, SinusoidalLayout::kConcatenated}) {
    SinusoidalParams p;
    p.dim = 38;  // not a multiple of the vector width
    p.layout = layout;
    p.first_position = 2;
    p.scale = 0.5f;
    const SinusoidalPositions computed(p);
    const SinusoidalPositions cached(p, /*cache_positions=*/16);
    EXPECT_EQ(cached.cache_positions(), 16);
    for (const std::vector<Index>& idx : {std::vector<Index>{0, 15, 7, 7, 3}, std::vector<Index>{4, 16, 40}}) {
      const Tensor expected_rows = computed.rows(idx);
      const Tensor rows = cached.rows(idx);
      ASSERT_EQ(rows.numel(), expected_rows.numel());
      Tensor x({static_cast<Index>(idx.size()), p.dim}), expected_x({static_cast<Index>(idx.size()), p.dim});
      for (Index i = 0; i < x.numel(); ++i) x.data()[i] = expected_x.data()[i] = 0.25f * static_cast<float>(i % 9) - 1.0f;
      cached.add_to(x.view(), idx);
      computed.add_to(expected_x.view(), idx);
      for (Index i = 0; i < rows.numel(); ++i) {
        ASSERT_EQ(rows.data()[i], expected_rows.data()[i]) << "value " << i;
        ASSERT_EQ(x.data()[i], expected_x.data()[i]) << "value " << i;
      }
    }
  }
  SinusoidalParams p;
  p.dim = 4;
  const SinusoidalPositions cached(p, 8);
  Tensor x({1, 4});
  EXPECT_THROW(cached.add_to(x.view(), std::vector<Index>{-1}), Error);
  try {
    const SinusoidalPositions bad(p, -3);
    ADD_FAILURE() << "a negative cache length was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cache_positions"), std::string::npos) << e.what();
  }
}

// A batch at a token offset is each sequence with its token indices given one by one, from the
// cache or past it.
TEST(Sinusoidal, BatchAtAnOffsetAddsTheSameRowsToEverySequence) {
  SinusoidalParams p;
  p.dim = 12;
  const SinusoidalPositions computed(p);
  const SinusoidalPositions cached(p, /*cache_positions=*/10);
  const Index batch = 3, seq = 4;
  for (const Index offset : {0, 6, 7, 20}) {  // 6 + 4 fits the cache of 10; 7 + 4 does not
    const std::vector<Index> indices{offset, offset + 1, offset + 2, offset + 3};
    Tensor expected({batch, seq, p.dim});
    for (Index i = 0; i < expected.numel(); ++i) expected.data()[i] = 0.1f * static_cast<float>(i % 13);
    Tensor from_cache = Tensor::copy_of(expected.view()), from_computed = Tensor::copy_of(expected.view());
    for (Index b = 0; b < batch; ++b) computed.add_to(expected.view().select(0, b), indices);
    cached.add_to(from_cache.view(), offset);
    computed.add_to(from_computed.view(), offset);
    for (Index i = 0; i < expected.numel(); ++i) {
      ASSERT_EQ(from_cache.data()[i], expected.data()[i]) << "offset " << offset << ", value " << i;
      ASSERT_EQ(from_computed.data()[i], expected.data()[i]) << "offset " << offset << ", value " << i;
    }
  }
  Tensor x({2, 3, p.dim});
  EXPECT_THROW(cached.add_to(x.view(), -1), Error);
  Tensor wrong_dim({2, 3, 10});
  EXPECT_THROW(cached.add_to(wrong_dim.view(), 0), Error);
}

TEST(Sinusoidal, BadParametersNameTheParameter) {
  const auto message_of = [](SinusoidalParams p) {
    try {
      validate(p);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SinusoidalParams p;
  p.dim = 7;
  EXPECT_NE(message_of(p).find("dim must be even"), std::string::npos);
  p.dim = 8;
  p.base = 1.0;
  EXPECT_NE(message_of(p).find("base"), std::string::npos);
  p.base = 10000.0;
  p.first_position = -1;
  EXPECT_NE(message_of(p).find("first position"), std::string::npos);
  EXPECT_THROW((void)parse_sinusoidal_layout("zigzag"), Error);
}

TEST(InputPositions, RowsForInputSchemesAndErrorsForAttentionSchemes) {
  SinusoidalParams p;
  p.dim = 4;
  const std::vector<Index> idx{0, 1, 2};
  const Tensor sin_rows = input_position_rows("sinusoidal", p, idx);
  EXPECT_EQ(sin_rows.shape(), (Shape{3, 4}));
  EXPECT_EQ(sin_rows.at(0, 1), 1.0f);
  const Tensor none = input_position_rows("nope", p, idx);
  for (const float v : none.values()) EXPECT_EQ(v, 0.0f);
  for (const char* name : {"rope", "alibi", "t5", "shaw", "axial-rope"}) {
    try {
      (void)input_position_rows(name, p, idx);
      ADD_FAILURE() << name << " should be refused";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("inside attention"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW((void)input_position_rows("learned", p, idx), Error);
  EXPECT_THROW((void)input_position_rows("bogus", p, idx), Error);
}

}  // namespace
}  // namespace posemb::positional
