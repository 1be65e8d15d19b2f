#include "posemb/core/tensor.hpp"

#include <gtest/gtest.h>

#include <limits>

#include <cstdint>

namespace posemb {
namespace {

Tensor iota(Shape shape) {
  Tensor t(std::move(shape));
  for (Index i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);
  return t;
}

TEST(Tensor, ZeroFilledWithShape) {
  const Tensor t({2, 3});
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(t.numel(), 6);
  for (const float v : t.values()) EXPECT_EQ(v, 0.0f);
}

TEST(Tensor, StorageIsAligned) {
  const Tensor t({3, 7});
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t.data()) % kTensorAlignment, 0u);
}

TEST(Tensor, RowMajorIndexing) {
  const Tensor t = iota({2, 3, 4});
  EXPECT_EQ(t.at(0, 0, 0), 0.0f);
  EXPECT_EQ(t.at(1, 2, 3), 23.0f);
  EXPECT_EQ(t.at(1, 0, 2), 14.0f);
}

TEST(Tensor, CheckedIndexingThrowsWithShapeInMessage) {
  const Tensor t = iota({2, 3});
  try {
    (void)t.at(0, 3);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("index 3 is out of range for dimension 1 of size 3"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)t.at(0), Error);
  EXPECT_THROW((void)t.at(-1, 0), Error);
}

TEST(Tensor, ValueCountMustMatchShape) {
  EXPECT_THROW(Tensor({2, 2}, {1.0f, 2.0f, 3.0f}), Error);
  const Tensor t({2, 2}, {1.0f, 2.0f, 3.0f, 4.0f});
  EXPECT_EQ(t.at(1, 0), 3.0f);
}

TEST(TensorView, SelectDropsADimension) {
  const Tensor t = iota({2, 3, 4});
  const auto row = t.view().select(1, 2);  // t[:, 2, :]
  EXPECT_EQ(row.shape(), (Shape{2, 4}));
  EXPECT_EQ(row.at(1, 3), t.at(1, 2, 3));
  EXPECT_FALSE(row.is_contiguous());
}

TEST(TensorView, SliceKeepsStrides) {
  const Tensor t = iota({4, 5});
  const auto s = t.view().slice(1, 1, 4);  // t[:, 1:4]
  EXPECT_EQ(s.shape(), (Shape{4, 3}));
  EXPECT_EQ(s.at(2, 0), t.at(2, 1));
  EXPECT_EQ(s.to_vector(), (std::vector<float>{1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18}));
  EXPECT_THROW((void)t.view().slice(1, 3, 6), Error);
  EXPECT_THROW((void)t.view().slice(1, 3, 2), Error);
}

TEST(TensorView, WritesThroughToOwner) {
  Tensor t({2, 2});
  t.view().select(0, 1).at(0) = 7.0f;
  EXPECT_EQ(t.at(1, 0), 7.0f);
}

TEST(TensorView, ReshapeOnlyWhenContiguous) {
  const Tensor t = iota({2, 6});
  EXPECT_EQ(t.view().reshape({3, 4}).at(2, 1), 9.0f);
  EXPECT_THROW((void)t.view().reshape({5}), Error);
  EXPECT_THROW((void)t.view().slice(1, 0, 3).reshape({6}), Error);
}

TEST(Tensor, CopyOfStridedViewIsContiguous) {
  const Tensor t = iota({3, 4});
  const Tensor c = Tensor::copy_of(t.view().slice(0, 1, 3).slice(1, 2, 4));
  EXPECT_EQ(c.shape(), (Shape{2, 2}));
  EXPECT_EQ(std::vector<float>(c.values().begin(), c.values().end()), (std::vector<float>{6, 7, 10, 11}));
}

TEST(Tensor, RankZeroHasOneElement) {
  const Tensor t(Shape{});
  EXPECT_EQ(t.numel(), 1);
  EXPECT_EQ(t.view().to_vector().size(), 1u);
}

TEST(Tensor, EmptyDimensionIteratesNothing) {
  const Tensor t({3, 0});
  EXPECT_EQ(t.numel(), 0);
  EXPECT_TRUE(t.view().to_vector().empty());
}

TEST(Shape, NegativeDimensionIsAnError) { EXPECT_THROW((void)shape_numel({2, -1}), Error); }

TEST(Shape, NonZeroSizesMustMultiplyWithinInt64EvenWhenEmpty) {
  // A zero made the count 0 and hid the overflow, which contiguous_strides then hit (signed
  // overflow; a .npy of shape (0, 42444444444, 444444444, 3) found by fuzz/npy_fuzz.cpp).
  constexpr Index kMax = std::numeric_limits<Index>::max();
  EXPECT_EQ(shape_numel({0, kMax}), 0);
  EXPECT_EQ(shape_numel({kMax, 0, 1}), 0);
  EXPECT_THROW((void)shape_numel({0, kMax, 2}), Error);
  EXPECT_THROW((void)shape_numel({0, 42444444444, 444444444, 3}), Error);
  EXPECT_THROW((void)Tensor({0, Index{1} << 40, Index{1} << 40}), Error);
  const Tensor fits({0, Index{1} << 31, Index{1} << 31});
  EXPECT_EQ(fits.view().strides(), (Shape{Index{1} << 62, Index{1} << 31, 1}));
}

}  // namespace
}  // namespace posemb
