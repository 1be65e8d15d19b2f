// format_torch against repr() of real torch 1.13 tensors (tests/goldens/core/tensor_print.json,
// written by tools/goldens/core/tensor_print.py).
#include "posemb/core/tensor_print.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb {
namespace {

using nlohmann::json;

const json& golden() {
  static const json document = json::parse(io::read_file_bytes(POSEMB_GOLDENS_DIR "/core/tensor_print.json"));
  return document;
}

TorchPrintOptions options_of(const json& o) {
  TorchPrintOptions options;
  options.precision = o.at("precision").get<int>();
  options.threshold = o.at("threshold").get<Index>();
  options.edgeitems = o.at("edgeitems").get<Index>();
  options.linewidth = o.at("linewidth").get<Index>();
  if (!o.at("sci_mode").is_null()) options.sci_mode = o.at("sci_mode").get<bool>();
  return options;
}

// The case's view: the tensor itself, or its last two dimensions swapped (a strided view).
template <class T>
TensorView<const T> view_of(const BasicTensor<T>& tensor, bool transpose_last_two) {
  TensorView<const T> view = tensor.view();
  if (!transpose_last_two) return view;
  Shape shape = view.shape(), strides = view.strides();
  std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
  std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
  return TensorView<const T>(view.data(), shape, strides);
}

std::string format_case(const json& c) {
  const auto shape = c.at("shape").get<Shape>();
  const auto suffixes = c.at("suffixes").get<std::vector<std::string>>();
  const TorchPrintOptions options = options_of(c.at("options"));
  const bool transpose = c.at("transpose_last_two").get<bool>();
  if (c.at("dtype") == "int64") {
    const auto values = c.at("values").get<std::vector<std::int64_t>>();
    const IdTensor tensor(shape, values);
    return format_torch(view_of(tensor, transpose), suffixes, options);
  }
  std::vector<float> values;
  for (const auto& bits : c.at("bits")) values.push_back(std::bit_cast<float>(bits.get<std::uint32_t>()));
  const Tensor tensor(shape, values);
  return format_torch(view_of(tensor, transpose), suffixes, options);
}

TEST(TensorPrint, MatchesTorchReprOnEveryGoldenCase) {
  const json& cases = golden().at("cases");
  ASSERT_GE(cases.size(), 400u) << "the golden file lost its cases";
  int failures = 0;
  for (const json& c : cases) {
    const std::string expected = c.at("repr").get<std::string>();
    const std::string actual = format_case(c);
    EXPECT_EQ(actual, expected) << "case " << c.at("name").get<std::string>();
    if (actual != expected && ++failures > 20) FAIL() << "too many mismatches; stopping";
  }
}

TEST(TensorPrint, GoldenCoversEveryStyleAndFeature) {
  // Guards the golden file itself: if a regeneration dropped a feature, the test above would
  // pass without checking it.
  bool fixed = false, integral = false, scientific = false, summarised = false, wrapped = false, suffix = false,
       strided = false, empty = false, scalar = false, rank4 = false;
  for (const json& c : golden().at("cases")) {
    const auto repr = c.at("repr").get<std::string>();
    fixed |= repr.find(".4087") != std::string::npos;
    integral |= repr.find("1., ") != std::string::npos;
    scientific |= repr.find("e-05") != std::string::npos;
    summarised |= repr.find("...") != std::string::npos;
    wrapped |= repr.find(",\n        ") != std::string::npos;
    suffix |= repr.find("grad_fn=<EmbeddingBackward0>") != std::string::npos;
    strided |= c.at("transpose_last_two").get<bool>();
    empty |= repr.find("[]") != std::string::npos;
    scalar |= c.at("shape").empty();
    rank4 |= c.at("shape").size() == 4;
  }
  EXPECT_TRUE(fixed && integral && scientific && summarised && wrapped && suffix && strided && empty && scalar &&
              rank4);
}

TEST(TensorPrint, SizeLooksLikeTorchSize) {
  EXPECT_EQ(format_torch_size({1, 5, 2}), "torch.Size([1, 5, 2])");
  EXPECT_EQ(format_torch_size({}), "torch.Size([])");
  EXPECT_EQ(format_torch_size({0}), "torch.Size([0])");
}

TEST(TensorPrint, PrintsViewsWithoutCopying) {
  // A column of a row-major matrix is strided; it prints like torch's t[:, 1].
  const Tensor t({3, 2}, {1.5f, -2.0f, 0.25f, 4.0f, 8.0f, 1.0f});
  EXPECT_EQ(format_torch(t.view().select(1, 1)), "tensor([-2.,  4.,  1.])");
  EXPECT_EQ(format_torch(t.view().select(1, 0)), "tensor([1.5000, 0.2500, 8.0000])");
}

TEST(TensorPrint, RejectsOptionsTorchWouldMisprint) {
  const Tensor t({2}, {1.0f, 2.0f});
  TorchPrintOptions bad;
  bad.edgeitems = 0;
  EXPECT_THROW((void)format_torch(t, {}, bad), Error);
  bad = {};
  bad.precision = -1;
  EXPECT_THROW((void)format_torch(t, {}, bad), Error);
  bad = {};
  bad.linewidth = 0;
  try {
    (void)format_torch(t, {}, bad);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("linewidth"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace posemb
