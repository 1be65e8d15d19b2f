// safetensors reading against files an independent writer made (tests/goldens/io/
// safetensors, by tools/goldens/io/make_safetensors_fixtures.py, with torch's float32
// values for F16/BF16/F64), writing against the reference writer's published test vectors,
// round trips, and every malformed case, each built here in a few visible bytes.
#include "posemb/io/safetensors.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "io_test_support.hpp"

namespace posemb::io {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::vector<std::uint32_t> bits_of(const Tensor& t) {
  std::vector<std::uint32_t> bits;
  for (const float v : t.values()) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

std::vector<std::int64_t> values_of(const IdTensor& t) { return {t.values().begin(), t.values().end()}; }

// A safetensors file: the 8-byte little-endian length of `header`, `header`, `data`.
std::string safetensors_file(std::string_view header, std::string_view data) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return bytes + std::string(header) + std::string(data);
}

// Checks one fixture against its expected.json entry; `file` came from disk or memory.
void expect_matches_manifest(const SafetensorsFile& file, const nlohmann::json& expected) {
  EXPECT_EQ(file.metadata(), (expected["metadata"].get<std::map<std::string, std::string>>()));
  const auto& tensors = expected["tensors"];
  ASSERT_EQ(file.tensors().size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const SafetensorsTensorInfo& info = file.tensors()[i];
    const std::string name = tensors[i]["name"];
    SCOPED_TRACE(name);
    // tensors() is in data order, which the manifest lists.
    EXPECT_EQ(info.name, name);
    EXPECT_EQ(info.dtype_name, tensors[i]["dtype"].get<std::string>());
    EXPECT_EQ(info.shape, tensors[i]["shape"].get<Shape>());
    EXPECT_EQ(info.begin, tensors[i]["data_offsets"][0].get<std::uint64_t>());
    EXPECT_EQ(info.end, tensors[i]["data_offsets"][1].get<std::uint64_t>());
    if (tensors[i].contains("float32_bits")) {
      const Tensor t = file.load_tensor(name);
      EXPECT_EQ(t.shape(), info.shape);
      EXPECT_EQ(bits_of(t), tensors[i]["float32_bits"].get<std::vector<std::uint32_t>>());
      EXPECT_THAT(testing::error_of([&] { (void)file.load_ids(name); }),
                  AllOf(HasSubstr(file.source()), HasSubstr(fmt::format("tensor \"{}\"", name)),
                        HasSubstr("load_ids reads integer and BOOL tensors")));
    } else if (tensors[i].contains("ids")) {
      const IdTensor t = file.load_ids(name);
      EXPECT_EQ(t.shape(), info.shape);
      EXPECT_EQ(values_of(t), tensors[i]["ids"].get<std::vector<std::int64_t>>());
      EXPECT_THAT(testing::error_of([&] { (void)file.load_tensor(name); }),
                  AllOf(HasSubstr(file.source()), HasSubstr(fmt::format("tensor \"{}\"", name)),
                        HasSubstr("load_tensor reads F16, BF16, F32 and F64")));
    }
  }
}

TEST(SafetensorsIndependentFixtures, EveryFileReadsAsWritten) {
  const auto manifest = testing::read_json(testing::golden("safetensors/expected.json"));
  ASSERT_EQ(manifest["files"].size(), 4u);
  for (const auto& [name, expected] : manifest["files"].items()) {
    SCOPED_TRACE(name);
    const auto path = testing::golden("safetensors/" + name);
    expect_matches_manifest(SafetensorsFile(path), expected);
    expect_matches_manifest(SafetensorsFile::from_bytes(testing::exact_bytes(read_file_bytes(path)), name), expected);
  }
}

TEST(SafetensorsIndependentFixtures, Gpt2TablesLoadByNameWithTheirShapes) {
  const SafetensorsFile file(testing::golden("safetensors/gpt2_tables.safetensors"));
  EXPECT_EQ(file.load_tensor("wte.weight", {6, 4}).shape(), (Shape{6, 4}));
  EXPECT_EQ(file.load_tensor("wpe.weight", {5, 4}).shape(), (Shape{5, 4}));
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_THAT(testing::error_of([&] {
                (void)file.load_tensor("wpe.weight", {1024, 4});
              }),
              AllOf(HasSubstr(file.source()), HasSubstr("tensor \"wpe.weight\" has shape [5, 4], expected [1024, 4]")));
}

TEST(SafetensorsIndependentFixtures, UnalignedTensorsReadExactly) {
  // The header length is odd, so every tensor starts at an odd file offset: reads must
  // not assume alignment (UBSan checks this in the asan preset).
  const SafetensorsFile file(testing::golden("safetensors/all_dtypes.safetensors"));
  EXPECT_EQ(file.data_start() % 2, 1u);
  EXPECT_EQ(file.raw_bytes("float").size(), 6u * 4);
}

TEST(SafetensorsIndependentFixtures, UnconvertibleDtypeListsButDoesNotLoad) {
  const SafetensorsFile file(testing::golden("safetensors/unconvertible.safetensors"));
  EXPECT_EQ(file.info("fp8").dtype_name, "F8_E4M3");
  EXPECT_FALSE(file.info("fp8").dtype.has_value());
  EXPECT_EQ(file.raw_bytes("fp8").size(), 4u);
  EXPECT_THAT(testing::error_of([&] { (void)file.load_tensor("fp8"); }),
              AllOf(HasSubstr(file.source()), HasSubstr("tensor \"fp8\" has dtype F8_E4M3")));
  EXPECT_THAT(testing::error_of([&] { (void)file.load_ids("fp8"); }), HasSubstr("tensor \"fp8\" has dtype F8_E4M3"));
}

// --- Writing ---------------------------------------------------------------------------

TEST(SafetensorsWrite, MatchesTheReferenceWritersTestVectors) {
  // Expected bytes from the reference implementation's own tests (safetensors'
  // safetensors/src/tensor.rs: test_serialization, test_serialization_forced_alignement,
  // test_empty): compact JSON, entries as dtype/shape/data_offsets, header padded with
  // spaces to a multiple of 8.
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  std::string data(reinterpret_cast<const char*>(values.data()), 24);

  SafetensorsWriter one;
  one.add("attn.0", TensorView<const float>(values.data(), {1, 2, 3}));
  EXPECT_EQ(one.bytes(), safetensors_file(R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})", data));

  SafetensorsWriter padded;
  padded.add("attn0", TensorView<const float>(values.data(), {1, 1, 2, 3}));
  EXPECT_EQ(padded.bytes(),
            safetensors_file(R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       )", data));

  EXPECT_EQ(SafetensorsWriter().bytes(), safetensors_file("{}      ", ""));
  SafetensorsWriter metadata_only;
  metadata_only.set_metadata("framework", "pt");
  EXPECT_EQ(metadata_only.bytes(), safetensors_file(R"({"__metadata__":{"framework":"pt"}}     )", ""));
}

TEST(SafetensorsWrite, RoundTripWithIdsAndMetadata) {
  const auto path = testing::fresh_dir() / "model.safetensors";
  Tensor wte({7, 3});
  for (Index i = 0; i < wte.numel(); ++i) wte.data()[i] = static_cast<float>(i) * 0.25f - 1.0f;
  const Tensor scalar(Shape{}, {42.5f});
  const Tensor empty({0, 3});
  const IdTensor ids({5}, {0, 50256, -1, INT64_MAX, INT64_MIN});
  SafetensorsWriter writer;
  writer.add("wte.weight", wte.view());
  writer.add("scalar", scalar.view());
  writer.add("empty", empty.view());
  writer.add("ids", ids.view());
  writer.set_metadata("format", "pt");
  writer.set_metadata("note", "written by posemb");
  writer.write(path);

  const SafetensorsFile file(path);
  EXPECT_EQ(file.metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "written by posemb"}}));
  EXPECT_EQ(bits_of(file.load_tensor("wte.weight", {7, 3})), bits_of(wte));
  EXPECT_EQ(file.load_tensor("scalar", {}).values()[0], 42.5f);
  EXPECT_EQ(file.load_tensor("empty", {0, 3}).numel(), 0);
  EXPECT_EQ(values_of(file.load_ids("ids", {5})), values_of(ids));
}

TEST(SafetensorsWrite, LayoutIsDeterministicAndAlignedToElementSize) {
  const Tensor a({3}, {1, 2, 3});  // 12 bytes: not a multiple of 8
  const Tensor b({1}, {4});
  const IdTensor ids({1}, {9});
  SafetensorsWriter forward;
  forward.add("b", b.view());
  forward.add("ids", ids.view());
  forward.add("a", a.view());
  SafetensorsWriter backward;
  backward.add("a", a.view());
  backward.add("ids", ids.view());
  backward.add("b", b.view());
  const std::string bytes = forward.bytes();
  EXPECT_EQ(bytes, backward.bytes());

  const auto file = SafetensorsFile::from_bytes(testing::exact_bytes(bytes), "layout");
  EXPECT_EQ(file.data_start() % 8, 0u);
  // I64 first (widest), then F32 by name; packed without gaps as the format requires.
  ASSERT_EQ(file.tensors().size(), 3u);
  EXPECT_EQ(file.tensors()[0].name, "ids");
  EXPECT_EQ(file.tensors()[1].name, "a");
  EXPECT_EQ(file.tensors()[2].name, "b");
  for (const auto& t : file.tensors()) EXPECT_EQ((file.data_start() + t.begin) % dtype_size(*t.dtype), 0u) << t.name;
}

TEST(SafetensorsWrite, StridedViewIsWrittenRowMajor) {
  Tensor t({3, 4});
  for (Index i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);
  SafetensorsWriter writer;
  writer.add("column", t.view().select(1, 2));  // t[:, 2]
  const auto file = SafetensorsFile::from_bytes(testing::exact_bytes(writer.bytes()), "strided");
  EXPECT_EQ(file.load_tensor("column").view().to_vector(), (std::vector<float>{2, 6, 10}));
}

TEST(SafetensorsWrite, BadNamesAreErrors) {
  const Tensor t({1}, {1});
  SafetensorsWriter writer;
  writer.add("x", t.view());
  EXPECT_THAT(testing::error_of([&] { writer.add("x", t.view()); }), HasSubstr("tensor \"x\" is added twice"));
  EXPECT_THAT(testing::error_of([&] { writer.add("__metadata__", t.view()); }), HasSubstr("reserved"));
  writer.add("bad\xff", t.view());
  EXPECT_THAT(testing::error_of([&] { (void)writer.bytes(); }), HasSubstr("not valid UTF-8"));
}

// --- Malformed files -------------------------------------------------------------------

// Two F32 tensors, "a" = [1, 2] and "b" = [3], tiling a 12-byte buffer: the base that
// the cases below break in one place each.
constexpr std::string_view kValidHeader =
    R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
const std::string kTwelveBytes(12, '\0');

// The error opening these bytes gives, from a file and from exact-size heap bytes; the
// two must agree.
std::string open_error(const std::string& bytes) {
  const auto path = testing::fresh_dir() / "case.safetensors";
  write_file_atomically(path, bytes);
  const std::string from_file = testing::error_of([&] { SafetensorsFile file(path); });
  EXPECT_EQ(testing::error_of([&] { (void)SafetensorsFile::from_bytes(testing::exact_bytes(bytes), path.string()); }),
            from_file);
  EXPECT_THAT(from_file, HasSubstr(path.string()));
  return from_file;
}

// kValidHeader with one substring replaced.
std::string header_with(std::string_view from, std::string_view to) {
  std::string header(kValidHeader);
  const std::size_t at = header.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return header.replace(at, from.size(), to);
}

TEST(SafetensorsMalformed, ValidBaseOpens) {
  const auto file =
      SafetensorsFile::from_bytes(testing::exact_bytes(safetensors_file(kValidHeader, kTwelveBytes)), "base");
  EXPECT_EQ(file.tensors().size(), 2u);
}

TEST(SafetensorsMalformed, TooShortForTheHeaderLength) {
  EXPECT_THAT(open_error(std::string(5, '\0')), HasSubstr("5 bytes is too short for the 8-byte header length"));
  EXPECT_THAT(open_error(""), HasSubstr("0 bytes is too short"));
}

TEST(SafetensorsMalformed, AbsurdHeaderLength) {
  // What the magic of a .npy file reads as: a huge length.
  const std::string npy = read_file_bytes(testing::golden("npy/f4.npy"));
  EXPECT_THAT(open_error(npy), HasSubstr("not a safetensors file: the header length at byte 0 is"));
  EXPECT_THAT(open_error(npy), HasSubstr(fmt::format("but only {} bytes follow it (and the format allows at most "
                                                     "100000000)",
                                                     npy.size() - 8)));
}

TEST(SafetensorsMalformed, ALengthPastTheEndWithoutJsonIsNotSafetensors) {
  // A small length that runs past the end, and no '{' at byte 8: not a file cut short.
  std::string bytes("\x40\0\0\0\0\0\0\0garbage!", 16);
  EXPECT_THAT(open_error(bytes), HasSubstr("not a safetensors file: the header length at byte 0 is 64, but only 8 "
                                           "bytes follow it, and byte 8 is not the '{' that starts a JSON header"));
}

TEST(SafetensorsMalformed, HeaderLengthPastTheEnd) {
  const std::string valid = safetensors_file(kValidHeader, kTwelveBytes);
  EXPECT_THAT(open_error(valid.substr(0, 50)),
              HasSubstr(fmt::format("truncated: the header length at byte 0 is {}, but only 42 bytes follow it",
                                    kValidHeader.size())));
}

TEST(SafetensorsMalformed, TruncatedData) {
  const std::string valid = safetensors_file(kValidHeader, kTwelveBytes);
  EXPECT_THAT(open_error(valid.substr(0, valid.size() - 2)),
              HasSubstr("tensor \"b\": data_offsets [8, 12) end past the data buffer, which has 10 bytes"));
}

TEST(SafetensorsMalformed, JsonSyntaxErrorNamesTheByte) {
  // b's shape closed with '}' instead of ']': the error is at that byte of the file.
  const std::string broken = header_with(R"("shape":[1])", R"("shape":[1})");
  EXPECT_THAT(
      open_error(safetensors_file(broken, kTwelveBytes)),
      HasSubstr(fmt::format("the header is not valid JSON: syntax error at byte {}: ", 8 + broken.find("[1}") + 2)));
  // A token that is wrong as a whole is reported at its last byte (where parsing stopped).
  const std::string missing_comma = header_with(R"("dtype":"F32","shape":[1])", R"("dtype":"F32" "shape":[1])");
  EXPECT_THAT(open_error(safetensors_file(missing_comma, kTwelveBytes)),
              HasSubstr(fmt::format("syntax error at byte {}: syntax error while parsing object - unexpected string "
                                    "literal; expected '}}'",
                                    8 + missing_comma.find(R"("shape":[1])") + 6)));
}

TEST(SafetensorsMalformed, NulByteInTheHeader) {
  const std::string header = std::string(kValidHeader) + std::string("\0x", 2);
  EXPECT_THAT(open_error(safetensors_file(header, kTwelveBytes)),
              HasSubstr(fmt::format("the JSON header has a NUL byte at byte {}", 8 + kValidHeader.size())));
}

TEST(SafetensorsMalformed, InvalidUtf8InTheHeader) {
  EXPECT_THAT(open_error(safetensors_file(header_with(R"("b")", "\"b\xff\""), kTwelveBytes)),
              HasSubstr("ill-formed UTF-8"));
}

TEST(SafetensorsMalformed, HeaderIsNotAnObject) {
  EXPECT_THAT(open_error(safetensors_file("[1, 2]", "")), HasSubstr("the JSON header is an array, expected an object"));
}

TEST(SafetensorsMalformed, DuplicateTensorNamesOrKeys) {
  const std::string twice_b = std::string(kValidHeader.substr(0, kValidHeader.size() - 1)) +
                              R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_THAT(open_error(safetensors_file(twice_b, kTwelveBytes)), HasSubstr("tensor name \"b\" appears twice"));
  EXPECT_THAT(
      open_error(safetensors_file(
          header_with(R"("dtype":"F32","shape":[1])", R"("dtype":"F32","dtype":"F32","shape":[1])"), kTwelveBytes)),
      HasSubstr("key \"dtype\" appears twice in the header entry \"b\""));
}

TEST(SafetensorsMalformed, EntryKeysAndTypes) {
  const auto error = [](std::string_view from, std::string_view to) {
    return open_error(safetensors_file(header_with(from, to), kTwelveBytes));
  };
  EXPECT_THAT(error(R"({"dtype":"F32","shape":[1],"data_offsets":[8,12]})", "[8, 12]"),
              HasSubstr("tensor \"b\": the entry is an array, expected an object"));
  EXPECT_THAT(error(R"("dtype":"F32","shape":[1],)", R"("dtype":"F32",)"),
              HasSubstr("tensor \"b\": the entry has no \"shape\""));
  EXPECT_THAT(error(R"("shape":[1],)", R"("shape":[1],"offsets":[8,12],)"),
              HasSubstr("tensor \"b\": unexpected key \"offsets\""));
  EXPECT_THAT(error(R"("dtype":"F32","shape":[1])", R"("dtype":32,"shape":[1])"),
              HasSubstr("tensor \"b\": dtype is a non-negative integer, expected a string"));
  EXPECT_THAT(error(R"("dtype":"F32","shape":[1])", R"("dtype":"F33","shape":[1])"),
              HasSubstr("tensor \"b\": unknown dtype \"F33\" (the format defines BOOL, U8"));
  EXPECT_THAT(error(R"("shape":[1])", R"("shape":1)"),
              HasSubstr("tensor \"b\": shape is a non-negative integer, expected an array"));
  EXPECT_THAT(error(R"("shape":[1])", R"("shape":[-1])"),
              HasSubstr("tensor \"b\": shape [-1] has an element that is not a non-negative 64-bit integer"));
  EXPECT_THAT(error(R"("shape":[1])", R"("shape":[1.0])"), HasSubstr("tensor \"b\": shape [1.0] has an element"));
  EXPECT_THAT(error(R"("data_offsets":[8,12])", R"("data_offsets":[8])"),
              HasSubstr("tensor \"b\": data_offsets [8] is not a pair [begin, end] of non-negative integers"));
  EXPECT_THAT(error(R"("data_offsets":[8,12])", R"("data_offsets":[-8,12])"),
              HasSubstr("tensor \"b\": data_offsets [-8,12] is not a pair"));
}

TEST(SafetensorsMalformed, OffsetsBackwardsOrPastTheBuffer) {
  const auto error = [](std::string_view to) {
    return open_error(safetensors_file(header_with(R"("data_offsets":[8,12])", to), kTwelveBytes));
  };
  EXPECT_THAT(error(R"("data_offsets":[12,8])"), HasSubstr("tensor \"b\": data_offsets [12, 8) begin after they end"));
  EXPECT_THAT(error(R"("data_offsets":[8,16])"),
              HasSubstr("tensor \"b\": data_offsets [8, 16) end past the data buffer, which has 12 bytes"));
  // An end that would wrap a 64-bit sum of offset and length.
  EXPECT_THAT(error(R"("data_offsets":[8,18446744073709551615])"), HasSubstr("end past the data buffer"));
}

TEST(SafetensorsMalformed, ByteLengthDisagreesWithShapeAndDtype) {
  EXPECT_THAT(open_error(safetensors_file(header_with(R"("shape":[1])", R"("shape":[2])"), kTwelveBytes)),
              HasSubstr("tensor \"b\": shape [2] of F32 needs 8 bytes, but data_offsets [8, 12) hold 4"));
  EXPECT_THAT(open_error(safetensors_file(header_with(R"("dtype":"F32","shape":[1])", R"("dtype":"F64","shape":[1])"),
                                          kTwelveBytes)),
              HasSubstr("tensor \"b\": shape [1] of F64 needs 8 bytes, but data_offsets [8, 12) hold 4"));
  EXPECT_THAT(open_error(safetensors_file(
                  header_with(R"("shape":[1])", R"("shape":[4294967296,4294967296,4294967296])"), kTwelveBytes)),
              HasSubstr("tensor \"b\": shape [4294967296, 4294967296, 4294967296] of F32 is too large to address"));
}

TEST(SafetensorsMalformed, OverlappingTensors) {
  EXPECT_THAT(
      open_error(safetensors_file(
          header_with(R"("shape":[1],"data_offsets":[8,12])", R"("shape":[1],"data_offsets":[4,8])"), kTwelveBytes)),
      HasSubstr("tensor \"b\": data_offsets [4, 8) overlap those of tensor \"a\", [0, 8)"));
}

TEST(SafetensorsMalformed, GapsAndUncoveredBytes) {
  // A gap between a and b.
  const std::string gap =
      R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_THAT(open_error(safetensors_file(gap, kTwelveBytes)),
              HasSubstr("tensor \"b\": data_offsets [8, 12) leave a gap: bytes [4, 8) of the data buffer belong to no "
                        "tensor (the previous tensor, \"a\", ends at 4)"));
  // The first tensor not at 0.
  const std::string late = R"({"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  EXPECT_THAT(open_error(safetensors_file(late, kTwelveBytes)), HasSubstr("(the first tensor must start at 0)"));
  // Bytes after the last tensor.
  EXPECT_THAT(open_error(safetensors_file(kValidHeader, kTwelveBytes + "pad")),
              HasSubstr("the data buffer has 15 bytes but the tensors cover only 12: bytes [12, 15) of the data buffer "
                        "belong to no tensor"));
}

TEST(SafetensorsMalformed, BadMetadata) {
  const auto with_metadata = [](std::string_view metadata) {
    return open_error(
        safetensors_file(fmt::format(R"({{"__metadata__":{},{})", metadata, kValidHeader.substr(1)), kTwelveBytes));
  };
  EXPECT_THAT(with_metadata(R"("pt")"), HasSubstr("\"__metadata__\" is a string, expected an object of strings"));
  EXPECT_THAT(with_metadata(R"({"format":"pt","epochs":3})"),
              HasSubstr("\"__metadata__\" entry \"epochs\" is a non-negative integer, expected a string"));
}

TEST(SafetensorsLoad, MissingNameSuggestsTheClosestAndListsNames) {
  const SafetensorsFile file(testing::golden("safetensors/gpt2_tables.safetensors"));
  EXPECT_THAT(testing::error_of([&] { (void)file.load_tensor("wte.weigth"); }),
              AllOf(HasSubstr(file.source()), HasSubstr("no tensor named \"wte.weigth\"; did you mean \"wte.weight\"?"),
                    HasSubstr("(the file holds 2 tensors: \"wpe.weight\", \"wte.weight\")")));
  const std::string unrelated = testing::error_of([&] { (void)file.load_tensor("lm_head.bias"); });
  EXPECT_THAT(unrelated, HasSubstr("no tensor named \"lm_head.bias\" (the file holds 2 tensors"));
  EXPECT_THAT(unrelated, ::testing::Not(HasSubstr("did you mean")));
  EXPECT_FALSE(file.contains("lm_head.bias"));
  EXPECT_TRUE(file.contains("wte.weight"));
}

TEST(SafetensorsLoad, FileWithNoTensorsOpensAndSaysSo) {
  SafetensorsWriter writer;
  writer.set_metadata("format", "pt");
  const auto file = SafetensorsFile::from_bytes(testing::exact_bytes(writer.bytes()), "empty.safetensors");
  EXPECT_TRUE(file.tensors().empty());
  EXPECT_EQ(file.metadata().at("format"), "pt");
  EXPECT_THAT(testing::error_of([&] { (void)file.load_tensor("wte.weight"); }),
              HasSubstr("empty.safetensors: no tensor named \"wte.weight\"; the file holds no tensors"));
}

TEST(SafetensorsLoad, ManyNamesAreListedInPart) {
  std::vector<Tensor> tables;
  for (int i = 0; i < 15; ++i) tables.emplace_back(Shape{1}, std::initializer_list<float>{static_cast<float>(i)});
  SafetensorsWriter writer;
  for (int i = 0; i < 15; ++i) writer.add(fmt::format("h.{:02}.weight", i), tables[static_cast<std::size_t>(i)].view());
  const auto file = SafetensorsFile::from_bytes(testing::exact_bytes(writer.bytes()), "many");
  EXPECT_THAT(testing::error_of([&] { (void)file.info("nope"); }), HasSubstr("\"h.09.weight\", ... and 5 more)"));
}

TEST(SafetensorsLoad, AnEmptyTensorWhoseOtherSizesOverflowOpensButDoesNotLoad) {
  // The reference reader accepts the shape (its element count is 0); a Tensor of it would
  // overflow its strides (fuzz/safetensors_fuzz.cpp, viewing what it loads), so loading is an
  // error naming the tensor.
  const auto file = SafetensorsFile::from_bytes(
      testing::exact_bytes(safetensors_file(
          R"({"e":{"dtype":"F32","shape":[0,9223372036854775807,2],"data_offsets":[0,0]}})", "")),
      "empty");
  EXPECT_EQ(file.info("e").shape, (Shape{0, 9223372036854775807, 2}));
  EXPECT_THAT(testing::error_of([&] { (void)file.load_tensor("e"); }),
              HasSubstr("shape [0, 9223372036854775807, 2] has too many elements"));
}

TEST(SafetensorsLoad, UnsignedIdAboveInt64IsAnError) {
  std::string data(16, '\0');
  data[7] = 0x7f;                      // INT64_MAX's top byte with the rest 0x00: fits
  data[15] = static_cast<char>(0x80);  // 2^63: does not
  const auto file = SafetensorsFile::from_bytes(
      testing::exact_bytes(safetensors_file(R"({"u":{"dtype":"U64","shape":[2],"data_offsets":[0,16]}})", data)),
      "u64");
  EXPECT_THAT(testing::error_of([&] { (void)file.load_ids("u"); }),
              HasSubstr("u64: tensor \"u\": element 1 is larger than the int64 maximum"));
}

}  // namespace
}  // namespace posemb::io
