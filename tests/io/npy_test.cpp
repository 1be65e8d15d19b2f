// .npy reading against files numpy wrote (tests/goldens/io/npy, made by
// tools/goldens/io/make_npy_fixtures.py), writing against numpy's bytes, round trips, and
// every malformed case, each built here from a valid file.
#include "posemb/io/npy.hpp"

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

// What numpy wrote: the committed fixture's bytes.
std::string numpy_file(std::string_view name) {
  return read_file_bytes(testing::golden(std::string("npy/") + std::string(name)));
}

TEST(NpyNumpyFixtures, EveryFileReadsAsNumpyWroteIt) {
  const auto manifest = testing::read_json(testing::golden("npy/expected.json"));
  ASSERT_GE(manifest["files"].size(), 20u);
  for (const auto& [name, expected] : manifest["files"].items()) {
    SCOPED_TRACE(name);
    const auto path = testing::golden("npy/" + name);
    const NpyHeader header = read_npy_header(path);
    EXPECT_EQ(header.descr, expected["descr"].get<std::string>());
    EXPECT_EQ(header.shape, expected["shape"].get<Shape>());
    EXPECT_EQ(header.fortran_order, expected["fortran_order"].get<bool>());
    EXPECT_EQ(header.major_version, expected["version"][0].get<int>());
    // Both from the mapped file and from exact-size heap bytes (where ASan sees overreads).
    const auto heap = testing::exact_bytes(read_file_bytes(path));
    if (expected.contains("float32_bits")) {
      const auto bits = expected["float32_bits"].get<std::vector<std::uint32_t>>();
      const Tensor from_file = read_npy(path);
      EXPECT_EQ(from_file.shape(), header.shape);
      EXPECT_EQ(bits_of(from_file), bits);
      EXPECT_EQ(bits_of(decode_npy(heap, name)), bits);
      EXPECT_THAT(testing::error_of([&] { (void)read_npy_ids(path); }),
                  AllOf(HasSubstr(path.string()), HasSubstr("expected integers or bools")));
    } else {
      const auto ids = expected["ids"].get<std::vector<std::int64_t>>();
      const IdTensor from_file = read_npy_ids(path);
      EXPECT_EQ(from_file.shape(), header.shape);
      EXPECT_EQ(values_of(from_file), ids);
      EXPECT_EQ(values_of(decode_npy_ids(heap, name)), ids);
      EXPECT_THAT(testing::error_of([&] { (void)read_npy(path); }),
                  AllOf(HasSubstr(path.string()), HasSubstr("expected floats")));
    }
  }
}

TEST(NpyNumpyFixtures, FortranOrderIsTransposedIntoRowMajor) {
  // numpy wrote np.asfortranarray(np.arange(24).reshape(2, 3, 4) * 0.5): the file holds the
  // elements column-major, posemb's tensor holds them row-major.
  const auto path = testing::golden("npy/f4_fortran.npy");
  ASSERT_TRUE(read_npy_header(path).fortran_order);
  const Tensor t = read_npy(path);
  ASSERT_EQ(t.shape(), (Shape{2, 3, 4}));
  for (Index i = 0; i < 2; ++i)
    for (Index j = 0; j < 3; ++j)
      for (Index k = 0; k < 4; ++k) EXPECT_EQ(t.at(i, j, k), static_cast<float>(i * 12 + j * 4 + k) * 0.5f);
}

TEST(NpyNumpyFixtures, Versions2And3HaveFourByteHeaderLengths) {
  EXPECT_EQ(read_npy_header(testing::golden("npy/f4_v2.npy")).major_version, 2);
  EXPECT_EQ(read_npy_header(testing::golden("npy/f4_v3.npy")).major_version, 3);
  EXPECT_EQ(read_npy_header(testing::golden("npy/f4_v3.npy")).data_offset % 64, 0u);
}

TEST(NpyWrite, BytesAreNumpySaves) {
  // Read what np.save wrote, write it back: the bytes must be numpy's, header padding and all.
  for (const char* name : {"f4.npy", "f4_scalar.npy", "f4_empty.npy", "f4_fortran.npy"}) {
    SCOPED_TRACE(name);
    const Tensor t = read_npy(testing::golden(std::string("npy/") + name));
    if (std::string_view(name) == "f4_fortran.npy") continue;  // numpy keeps its Fortran order; we write C order
    EXPECT_EQ(encode_npy(t.view()), numpy_file(name));
  }
  const IdTensor ids = read_npy_ids(testing::golden("npy/i8.npy"));
  EXPECT_EQ(encode_npy(ids.view()), numpy_file("i8.npy"));
}

TEST(NpyWrite, RoundTripKeepsShapeAndEveryBit) {
  const auto dir = testing::fresh_dir();
  Tensor t({3, 5, 7});
  for (Index i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i) * -0.37f + 1e-30f;
  t.data()[4] = -0.0f;
  write_npy(dir / "t.npy", t.view());
  const Tensor back = read_npy(dir / "t.npy");
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(bits_of(back), bits_of(t));

  const IdTensor ids({2, 2}, {-5, 0, 50256, INT64_MIN});
  write_npy(dir / "ids.npy", ids.view());
  EXPECT_EQ(values_of(read_npy_ids(dir / "ids.npy")), values_of(ids));
}

TEST(NpyWrite, StridedViewIsWrittenRowMajor) {
  const auto dir = testing::fresh_dir();
  Tensor t({4, 5});
  for (Index i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(i);
  write_npy(dir / "slice.npy", t.view().slice(1, 1, 3));  // t[:, 1:3]
  const Tensor back = read_npy(dir / "slice.npy");
  EXPECT_EQ(back.shape(), (Shape{4, 2}));
  EXPECT_EQ(back.view().to_vector(), (std::vector<float>{1, 2, 6, 7, 11, 12, 16, 17}));
}

TEST(NpyWrite, HeaderTooLongForVersion1UsesVersion2) {
  // 1.0's header length is 16 bits; numpy switches to 2.0 beyond it, and so do we.
  const Tensor t(Shape(30000, 1));
  const std::string bytes = encode_npy(t.view());
  const NpyHeader header = parse_npy_header(testing::exact_bytes(bytes), "long.npy");
  EXPECT_EQ(header.major_version, 2);
  EXPECT_EQ(header.shape.size(), 30000u);
  EXPECT_EQ(header.data_offset % 64, 0u);
}

// --- Malformed files -------------------------------------------------------------------

// A version 1.0 file with this header text (padding and newline included) and data.
std::string npy_with_header(std::string_view header, std::string_view data) {
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(static_cast<char>(header.size() & 0xff));
  bytes.push_back(static_cast<char>(header.size() >> 8));
  return bytes + std::string(header) + std::string(data);
}
constexpr std::size_t kV1HeaderStart = 10;
const std::string kSixFloats(24, '\0');

// The error reading these bytes gives, from a file and from exact-size heap bytes; the two
// must agree.
std::string npy_error(const std::string& bytes) {
  const auto path = testing::fresh_dir() / "case.npy";
  write_file_atomically(path, bytes);
  const std::string from_file = testing::error_of([&] { (void)read_npy(path); });
  EXPECT_EQ(testing::error_of([&] { (void)decode_npy(testing::exact_bytes(bytes), path.string()); }), from_file);
  EXPECT_THAT(from_file, HasSubstr(path.string()));
  return from_file;
}

TEST(NpyMalformed, ValidBaseReads) {
  // The base every case below breaks in one place.
  const std::string valid =
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", kSixFloats);
  EXPECT_EQ(decode_npy(testing::exact_bytes(valid), "base").shape(), (Shape{2, 3}));
}

TEST(NpyMalformed, TooShortForThePreamble) {
  EXPECT_THAT(npy_error(std::string("\x93NUM", 4)), HasSubstr("shorter than the 10-byte preamble"));
  EXPECT_THAT(npy_error(""), HasSubstr("0 bytes is shorter"));
}

TEST(NpyMalformed, BadMagic) {
  std::string bytes = numpy_file("f4.npy");
  bytes[1] = 'M';
  EXPECT_THAT(npy_error(bytes), HasSubstr("not a .npy file: bytes 0-5 are not the magic"));
}

TEST(NpyMalformed, UnknownVersion) {
  std::string bytes = numpy_file("f4.npy");
  bytes[6] = 4;
  EXPECT_THAT(npy_error(bytes), HasSubstr("unsupported .npy format version 4.0 at byte 6"));
}

TEST(NpyMalformed, TruncatedHeader) {
  const std::string bytes = numpy_file("f4.npy").substr(0, 40);
  EXPECT_THAT(npy_error(bytes), HasSubstr("truncated: the header length at byte 8 says 118 bytes of header follow, "
                                          "but the file has only 30"));
  // Cut inside the 4-byte length of a version 2.0 file.
  EXPECT_THAT(npy_error(numpy_file("f4_v2.npy").substr(0, 11)), HasSubstr("ends inside the 4-byte header length"));
}

TEST(NpyMalformed, TruncatedData) {
  const std::string full = numpy_file("f4.npy");
  EXPECT_THAT(
      npy_error(full.substr(0, full.size() - 3)),
      HasSubstr("truncated: shape [2, 3] of '<f4' needs 24 bytes of data from byte 128, but the file has only 21"));
}

TEST(NpyMalformed, DataLongerThanTheShape) {
  EXPECT_THAT(
      npy_error(numpy_file("f4.npy") + "xyz"),
      HasSubstr("27 bytes of data from byte 128, but shape [2, 3] of '<f4' needs exactly 24 (3 bytes too many)"));
}

TEST(NpyMalformed, HeaderSyntaxErrorsNameTheByte) {
  const std::string missing_comma = "{'descr': '<f4' 'fortran_order': False, 'shape': (2, 3), }\n";
  EXPECT_THAT(npy_error(npy_with_header(missing_comma, kSixFloats)),
              HasSubstr(fmt::format("header does not parse at byte {}: expected ',' or '}}' in the dict, found '''",
                                    kV1HeaderStart + missing_comma.find("'fortran_order'"))));
  // A quote missing after <f4: the string runs to the next quote, then 'fortran_order' is bare.
  const std::string lost_quote = "{'descr': '<f4, 'fortran_order': False}\n";
  EXPECT_THAT(npy_error(npy_with_header(lost_quote, kSixFloats)),
              HasSubstr(fmt::format("at byte {}: expected ',' or '}}' in the dict, found 'f'",
                                    kV1HeaderStart + lost_quote.find("fortran_order"))));
  const std::string open_string = "{'descr': '<f4\n";
  EXPECT_THAT(npy_error(npy_with_header(open_string, kSixFloats)),
              HasSubstr(fmt::format("at byte {}: string is not terminated", kV1HeaderStart + open_string.find("'<"))));
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f4', \x01}\n", kSixFloats)), HasSubstr("unexpected byte 0x01"));
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}\n", kSixFloats)),
              HasSubstr("unexpected '}' after the dict"));
  EXPECT_THAT(npy_error(npy_with_header("{'shape': " + std::string(100, '(') + "\n", "")),
              HasSubstr("nested too deeply"));
  EXPECT_THAT(npy_error(npy_with_header("{'shape': (99999999999999999999,)}\n", "")), HasSubstr("integer too large"));
}

TEST(NpyMalformed, IntegersThatWrapPastTwoTo64AreTooLarge) {
  // 18446744073709551620 is 2^64 + 4: the digit loop wrapped it to 4 and read a 4-element
  // array (found reading the parser beside fuzz/npy_fuzz.cpp; no sanitizer sees a wrap of an
  // unsigned integer).
  const std::string wrapped = npy_with_header(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551620,), }\n", std::string(16, '\0'));
  EXPECT_THAT(npy_error(wrapped), HasSubstr("at byte 61: integer too large"));
  const std::string largest = npy_with_header(
      "{'descr': '|b1', 'fortran_order': False, 'shape': (9223372036854775807, 0), }\n", "");
  EXPECT_EQ(decode_npy_ids(testing::exact_bytes(largest), "x").shape(), (Shape{9223372036854775807, 0}));
  EXPECT_THAT(npy_error(npy_with_header("{'shape': (9223372036854775808,)}\n", "")), HasSubstr("integer too large"));
}

TEST(NpyMalformed, AnEmptyArrayWhoseOtherSizesOverflowIsTooLarge) {
  // numpy refuses these ("array is too big"); the reader took them, and viewing the array
  // overflowed its strides (fuzz/npy_fuzz.cpp).
  EXPECT_THAT(npy_error(npy_with_header(
                  "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 42444444444, 444444444, 3), }\n", "")),
              HasSubstr("shape [0, 42444444444, 444444444, 3] of '<f8' is too large to address"));
  EXPECT_THAT(npy_error(npy_with_header(
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904), }\n", "")),
              HasSubstr("too large to address"));
  const std::string fits =
      npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2305843009213693951), }\n", "");
  EXPECT_EQ(decode_npy(testing::exact_bytes(fits), "x").numel(), 0);
}

TEST(NpyMalformed, HeaderIsNotADict) {
  EXPECT_THAT(npy_error(npy_with_header("[1, 2]\n", kSixFloats)), HasSubstr("the .npy header at byte 10 is a list"));
}

TEST(NpyMalformed, MissingExtraOrRepeatedKeys) {
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f4', 'fortran_order': False}\n", kSixFloats)),
              HasSubstr("the .npy header has no 'shape' key"));
  EXPECT_THAT(
      npy_error(npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}\n", kSixFloats)),
      HasSubstr("unexpected key 'x'"));
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}\n",
                                        kSixFloats)),
              HasSubstr("key 'descr' appears twice"));
}

// The file offset of `needle` in a header made by npy_with_header (or in a whole file).
std::size_t header_offset(std::string_view header, std::string_view needle) {
  return kV1HeaderStart + header.find(needle);
}
std::size_t file_offset(std::string_view file, std::string_view needle) { return file.find(needle); }

TEST(NpyMalformed, UnsupportedDtypes) {
  const std::string complex = numpy_file("unsupported_c8.npy");
  EXPECT_THAT(npy_error(complex),
              HasSubstr(fmt::format("unsupported dtype '<c8' at byte {}", file_offset(complex, "'<c8'"))));
  const std::string structured = numpy_file("unsupported_structured.npy");
  EXPECT_THAT(npy_error(structured), HasSubstr(fmt::format("'descr' at byte {} is a list: structured arrays are not "
                                                           "supported",
                                                           file_offset(structured, "[("))));
  EXPECT_THAT(npy_error(npy_with_header("{'descr': '<f3', 'fortran_order': False, 'shape': (8,)}\n", kSixFloats)),
              HasSubstr("unsupported dtype '<f3'"));
  const std::string number = "{'descr': 4, 'fortran_order': False, 'shape': (6,)}\n";
  EXPECT_THAT(
      npy_error(npy_with_header(number, kSixFloats)),
      HasSubstr(fmt::format("'descr' at byte {} is an integer, expected a type string", header_offset(number, "4,"))));
}

TEST(NpyMalformed, BadFortranOrderOrShape) {
  const std::string order = "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}\n";
  EXPECT_THAT(npy_error(npy_with_header(order, kSixFloats)),
              HasSubstr(fmt::format("'fortran_order' at byte {} is an integer, expected True or False",
                                    header_offset(order, "0,"))));
  const std::string list = "{'descr': '<f4', 'fortran_order': False, 'shape': [6]}\n";
  EXPECT_THAT(
      npy_error(npy_with_header(list, kSixFloats)),
      HasSubstr(fmt::format("'shape' at byte {} is a list, expected a tuple of sizes", header_offset(list, "[6]"))));
  const std::string negative = "{'descr': '<f4', 'fortran_order': False, 'shape': (-6,)}\n";
  EXPECT_THAT(npy_error(npy_with_header(negative, kSixFloats)),
              HasSubstr(fmt::format("has an element that is not a non-negative integer (at byte {})",
                                    header_offset(negative, "-6"))));
  const std::string text = "{'descr': '<f4', 'fortran_order': False, 'shape': (6, 'a')}\n";
  EXPECT_THAT(npy_error(npy_with_header(text, kSixFloats)),
              HasSubstr(fmt::format("not a non-negative integer (at byte {})", header_offset(text, "'a'"))));
  EXPECT_THAT(
      npy_error(npy_with_header(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904)}\n", "")),
      HasSubstr("is too large to address"));
}

TEST(NpyMalformed, UnsignedIdAboveInt64) {
  const auto path = testing::golden("npy/u8_above_int64.npy");
  EXPECT_THAT(
      testing::error_of([&] { (void)read_npy_ids(path); }),
      AllOf(HasSubstr(path.string()), HasSubstr("element 1 (in storage order) of the '<u8' array is larger than "
                                                "the int64 maximum")));
}

}  // namespace
}  // namespace posemb::io
