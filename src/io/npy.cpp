#include "posemb/io/npy.hpp"

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/mapped_file.hpp"

namespace posemb::io {
namespace {

constexpr std::string_view kMagic = "\x93NUMPY";
// numpy.lib.format: the magic, the header and its padding fill a multiple of 64 bytes,
// and the header leaves room for 21 digits in the growing axis so that a writer can
// enlarge the array in place (GROWTH_AXIS_MAX_DIGITS).
constexpr std::size_t kArrayAlign = 64;
constexpr std::size_t kGrowthAxisMaxDigits = 21;
// Tuples nest only one level deep in a valid header; the limit keeps a hostile header
// from recursing the parser off the stack.
constexpr int kMaxLiteralDepth = 16;

// A value of the Python literal syntax that .npy headers are written in (numpy reads
// them with ast.literal_eval). Only the kinds a header can hold are represented.
struct Literal {
  enum class Kind { kString, kBool, kNone, kInteger, kTuple, kList, kDict };
  Kind kind = Kind::kNone;
  std::size_t offset = 0;  // file byte offset where the literal starts
  std::string text;        // kString
  bool flag = false;       // kBool
  std::int64_t integer = 0;
  std::vector<Literal> items;     // kTuple, kList; dict values
  std::vector<std::string> keys;  // kDict: keys[i] maps to items[i]
};

std::string_view kind_name(Literal::Kind kind) {
  switch (kind) {
    case Literal::Kind::kString:
      return "a string";
    case Literal::Kind::kBool:
      return "a bool";
    case Literal::Kind::kNone:
      return "None";
    case Literal::Kind::kInteger:
      return "an integer";
    case Literal::Kind::kTuple:
      return "a tuple";
    case Literal::Kind::kList:
      return "a list";
    case Literal::Kind::kDict:
      return "a dict";
  }
  return "?";
}

// Parses the header text, which starts at file offset `base`. Errors name the file and
// the file offset of the character that could not be parsed.
class LiteralParser {
 public:
  LiteralParser(std::string_view text, std::size_t base, std::string_view file)
      : text_(text), base_(base), file_(file) {}

  // One literal followed by nothing but whitespace.
  Literal parse_document() {
    Literal value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail(fmt::format("unexpected {} after the dict", describe_here()));
    return value;
  }

 private:
  Literal parse_value(int depth) {
    if (depth > kMaxLiteralDepth) fail("literals nested too deeply");
    skip_space();
    if (pos_ == text_.size()) fail("unexpected end of the header");
    const char c = text_[pos_];
    if (c == '{') return parse_dict(depth);
    if (c == '(') return parse_sequence(depth, ')', Literal::Kind::kTuple);
    if (c == '[') return parse_sequence(depth, ']', Literal::Kind::kList);
    if (c == '\'' || c == '"') return parse_string();
    if (c == '-' || is_digit(c)) return parse_integer();
    if (std::isalpha(static_cast<unsigned char>(c)) != 0) return parse_name();
    fail(fmt::format("unexpected {}", describe_here()));
  }

  Literal parse_dict(int depth) {
    Literal dict = start(Literal::Kind::kDict);
    ++pos_;  // '{'
    while (true) {
      skip_space();
      if (consume('}')) return dict;
      const std::size_t key_at = pos_;
      Literal key = parse_value(depth + 1);
      if (key.kind != Literal::Kind::kString)
        fail_at(key_at, fmt::format("a dict key must be a string, not {}", kind_name(key.kind)));
      skip_space();
      if (!consume(':')) fail(fmt::format("expected ':' after the key '{}', found {}", key.text, describe_here()));
      dict.keys.push_back(std::move(key.text));
      dict.items.push_back(parse_value(depth + 1));
      skip_space();
      if (consume('}')) return dict;
      if (!consume(',')) fail(fmt::format("expected ',' or '}}' in the dict, found {}", describe_here()));
    }
  }

  // "(a, b)", "(a,)", "()" and "[a, b]"; "(a)" is Python's parenthesised a, not a tuple.
  Literal parse_sequence(int depth, char close, Literal::Kind kind) {
    Literal sequence = start(kind);
    ++pos_;  // '(' or '['
    bool saw_comma = false;
    while (true) {
      skip_space();
      if (consume(close)) break;
      sequence.items.push_back(parse_value(depth + 1));
      skip_space();
      if (consume(close)) break;
      if (!consume(',')) fail(fmt::format("expected ',' or '{}', found {}", close, describe_here()));
      saw_comma = true;
    }
    if (kind == Literal::Kind::kTuple && sequence.items.size() == 1 && !saw_comma) return std::move(sequence.items[0]);
    return sequence;
  }

  Literal parse_string() {
    Literal string = start(Literal::Kind::kString);
    const char quote = text_[pos_++];
    while (true) {
      if (pos_ == text_.size() || text_[pos_] == '\n') fail_at(string.offset, "string is not terminated");
      char c = text_[pos_++];
      if (c == quote) return string;
      if (c == '\\') {
        if (pos_ == text_.size()) fail_at(string.offset, "string is not terminated");
        c = text_[pos_++];
      }
      string.text.push_back(c);
    }
  }

  Literal parse_integer() {
    Literal number = start(Literal::Kind::kInteger);
    const bool negative = consume('-');
    if (pos_ == text_.size() || !is_digit(text_[pos_])) fail("expected a digit");
    std::uint64_t magnitude = 0;
    constexpr std::uint64_t kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    while (pos_ < text_.size() && is_digit(text_[pos_])) {
      // Checked before the multiplication: 10 * magnitude wraps past 2^64 for 20 digits.
      const auto digit = static_cast<std::uint64_t>(text_[pos_++] - '0');
      if (magnitude > (kLimit - digit) / 10) fail_at(number.offset, "integer too large");
      magnitude = magnitude * 10 + digit;
    }
    consume('L');  // Python 2 wrote long integers as 3L; numpy still reads such files
    number.integer = negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
    return number;
  }

  Literal parse_name() {
    Literal value = start(Literal::Kind::kBool);
    std::size_t end = pos_;
    while (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) != 0 || text_[end] == '_'))
      ++end;
    const std::string_view name = text_.substr(pos_, end - pos_);
    if (name == "True" || name == "False") {
      value.flag = name == "True";
    } else if (name == "None") {
      value.kind = Literal::Kind::kNone;
    } else {
      fail(fmt::format("unexpected name '{}' (a header holds strings, integers, True/False and tuples)", name));
    }
    pos_ = end;
    return value;
  }

  Literal start(Literal::Kind kind) const {
    Literal literal;
    literal.kind = kind;
    literal.offset = base_ + pos_;
    return literal;
  }
  void skip_space() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool consume(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  std::string describe_here() const {
    if (pos_ == text_.size()) return "the end of the header";
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (std::isprint(c) != 0) return fmt::format("'{}'", static_cast<char>(c));
    return fmt::format("byte 0x{:02x}", c);
  }
  [[noreturn]] void fail(std::string_view problem) const { fail_at(base_ + pos_, problem); }
  [[noreturn]] void fail_at(std::size_t file_offset, std::string_view problem) const {
    throw Error(fmt::format("{}: .npy header does not parse at byte {}: {}", file_, file_offset, problem));
  }

  std::string_view text_;
  std::size_t base_;
  std::string_view file_;
  std::size_t pos_ = 0;
};

// numpy type strings: an optional byte-order character, a kind and an item size.
std::optional<DType> dtype_of(char kind, int size) {
  switch (kind) {
    case 'f':
      if (size == 2) return DType::kF16;
      if (size == 4) return DType::kF32;
      if (size == 8) return DType::kF64;
      return std::nullopt;
    case 'i':
      if (size == 1) return DType::kI8;
      if (size == 2) return DType::kI16;
      if (size == 4) return DType::kI32;
      if (size == 8) return DType::kI64;
      return std::nullopt;
    case 'u':
      if (size == 1) return DType::kU8;
      if (size == 2) return DType::kU16;
      if (size == 4) return DType::kU32;
      if (size == 8) return DType::kU64;
      return std::nullopt;
    case 'b':
      if (size == 1) return DType::kBool;
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

void parse_descr(const Literal& descr, std::string_view file, NpyHeader& header) {
  if (descr.kind == Literal::Kind::kList)
    throw Error(
        fmt::format("{}: 'descr' at byte {} is a list: structured arrays are not supported", file, descr.offset));
  if (descr.kind != Literal::Kind::kString)
    throw Error(fmt::format("{}: 'descr' at byte {} is {}, expected a type string such as '<f4'", file, descr.offset,
                            kind_name(descr.kind)));
  header.descr = descr.text;
  std::string_view rest = descr.text;
  // '|' (byte order not applicable) and '=' (native) mean this machine's order, as in numpy.
  header.byte_order = std::endian::native == std::endian::little ? ByteOrder::kLittle : ByteOrder::kBig;
  if (!rest.empty() && (rest[0] == '<' || rest[0] == '>' || rest[0] == '|' || rest[0] == '=')) {
    if (rest[0] == '<') header.byte_order = ByteOrder::kLittle;
    if (rest[0] == '>') header.byte_order = ByteOrder::kBig;
    rest.remove_prefix(1);
  }
  std::optional<DType> dtype;
  if (rest.size() == 2 && rest[1] >= '1' && rest[1] <= '8') dtype = dtype_of(rest[0], rest[1] - '0');
  if (!dtype)
    throw Error(
        fmt::format("{}: unsupported dtype '{}' at byte {} (supported: float16/32/64 'f2' 'f4' 'f8', "
                    "int 'i1'-'i8', uint 'u1'-'u8', bool 'b1', with '<', '>' or '|' byte order)",
                    file, descr.text, descr.offset));
  header.dtype = *dtype;
}

void parse_shape(const Literal& shape, std::string_view file, NpyHeader& header) {
  if (shape.kind != Literal::Kind::kTuple)
    throw Error(fmt::format("{}: 'shape' at byte {} is {}, expected a tuple of sizes", file, shape.offset,
                            kind_name(shape.kind)));
  for (const Literal& size : shape.items) {
    if (size.kind != Literal::Kind::kInteger || size.integer < 0)
      throw Error(fmt::format("{}: 'shape' at byte {} has an element that is not a non-negative integer (at byte {})",
                              file, shape.offset, size.offset));
    header.shape.push_back(size.integer);
  }
}

// The number of data bytes the shape needs, or nothing when it is too large: as numpy checks
// (PyArray_NewFromDescr), the element size times the non-zero sizes must fit in an int64,
// even when a size of 0 makes the array empty.
std::optional<std::size_t> data_bytes(const Shape& shape, std::size_t element_size) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<Index>::max());
  std::size_t total = element_size;
  bool empty = false;
  for (const Index size : shape) {
    const auto n = static_cast<std::size_t>(size);
    if (n == 0) {
      empty = true;
      continue;
    }
    if (total > kMax / n) return std::nullopt;
    total *= n;
  }
  return empty ? 0 : total;
}

std::uint32_t load_little_endian(std::span<const std::byte> bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = bytes.size(); i-- > 0;) value = (value << 8) | static_cast<std::uint32_t>(bytes[i]);
  return value;
}

NpyHeader parse_header(std::span<const std::byte> bytes, std::string_view file) {
  constexpr std::size_t kPreamble = 10;  // magic, version, and the shortest (2-byte) header length
  if (bytes.size() < kPreamble)
    throw Error(
        fmt::format("{}: not a .npy file: {} bytes is shorter than the {}-byte preamble (magic, version, "
                    "header length)",
                    file, bytes.size(), kPreamble));
  if (std::string_view(reinterpret_cast<const char*>(bytes.data()), kMagic.size()) != kMagic)
    throw Error(fmt::format("{}: not a .npy file: bytes 0-5 are not the magic \"\\x93NUMPY\"", file));
  NpyHeader header;
  header.major_version = static_cast<int>(bytes[6]);
  header.minor_version = static_cast<int>(bytes[7]);
  if (header.minor_version != 0 || header.major_version < 1 || header.major_version > 3)
    throw Error(fmt::format("{}: unsupported .npy format version {}.{} at byte 6 (known: 1.0, 2.0, 3.0)", file,
                            header.major_version, header.minor_version));
  const std::size_t length_size = header.major_version == 1 ? 2 : 4;
  const std::size_t header_start = 8 + length_size;
  if (bytes.size() < header_start)
    throw Error(
        fmt::format("{}: truncated: the file ends inside the {}-byte header length at byte 8", file, length_size));
  const std::size_t header_length = load_little_endian(bytes.subspan(8, length_size));
  if (header_length > bytes.size() - header_start)
    throw Error(
        fmt::format("{}: truncated: the header length at byte 8 says {} bytes of header follow, but the file "
                    "has only {} bytes after byte {}",
                    file, header_length, bytes.size() - header_start, header_start));
  header.data_offset = header_start + header_length;

  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + header_start, header_length);
  const Literal dict = LiteralParser(text, header_start, file).parse_document();
  if (dict.kind != Literal::Kind::kDict)
    throw Error(
        fmt::format("{}: the .npy header at byte {} is {}, expected a dict", file, header_start, kind_name(dict.kind)));
  const Literal* descr = nullptr;
  const Literal* fortran_order = nullptr;
  const Literal* shape = nullptr;
  for (std::size_t i = 0; i < dict.keys.size(); ++i) {
    const Literal** slot = dict.keys[i] == "descr"           ? &descr
                           : dict.keys[i] == "fortran_order" ? &fortran_order
                           : dict.keys[i] == "shape"         ? &shape
                                                             : nullptr;
    if (slot == nullptr)
      throw Error(
          fmt::format("{}: unexpected key '{}' in the .npy header (it has exactly 'descr', 'fortran_order' "
                      "and 'shape')",
                      file, dict.keys[i]));
    if (*slot != nullptr) throw Error(fmt::format("{}: key '{}' appears twice in the .npy header", file, dict.keys[i]));
    *slot = &dict.items[i];
  }
  for (const auto& [key, slot] :
       {std::pair{"descr", descr}, std::pair{"fortran_order", fortran_order}, std::pair{"shape", shape}}) {
    if (slot == nullptr) throw Error(fmt::format("{}: the .npy header has no '{}' key", file, key));
  }
  parse_descr(*descr, file, header);
  if (fortran_order->kind != Literal::Kind::kBool)
    throw Error(fmt::format("{}: 'fortran_order' at byte {} is {}, expected True or False", file, fortran_order->offset,
                            kind_name(fortran_order->kind)));
  header.fortran_order = fortran_order->flag;
  parse_shape(*shape, file, header);

  const std::optional<std::size_t> needed = data_bytes(header.shape, dtype_size(header.dtype));
  if (!needed)
    throw Error(
        fmt::format("{}: shape {} of '{}' is too large to address", file, shape_to_string(header.shape), header.descr));
  const std::size_t available = bytes.size() - header.data_offset;
  if (available < *needed)
    throw Error(
        fmt::format("{}: truncated: shape {} of '{}' needs {} bytes of data from byte {}, but the file has "
                    "only {}",
                    file, shape_to_string(header.shape), header.descr, *needed, header.data_offset, available));
  if (available > *needed)
    throw Error(
        fmt::format("{}: {} bytes of data from byte {}, but shape {} of '{}' needs exactly {} ({} bytes too "
                    "many)",
                    file, available, header.data_offset, shape_to_string(header.shape), header.descr, *needed,
                    available - *needed));
  return header;
}

// Elements in storage order are C order for fortran_order False; for True they are the
// column-major layout, read through Fortran strides into a row-major copy.
template <class T, class Convert>
BasicTensor<T> read_elements(std::span<const std::byte> bytes, const NpyHeader& header, Convert convert) {
  BasicTensor<T> stored(header.shape);
  const std::size_t count = static_cast<std::size_t>(stored.numel());
  convert(bytes.subspan(header.data_offset, count * dtype_size(header.dtype)), stored.values());
  if (!header.fortran_order || header.shape.size() < 2) return stored;
  Shape fortran_strides(header.shape.size());
  Index stride = 1;
  for (std::size_t d = 0; d < header.shape.size(); ++d) {
    fortran_strides[d] = stride;
    stride *= header.shape[d];
  }
  return BasicTensor<T>::copy_of(TensorView<const T>(stored.data(), header.shape, std::move(fortran_strides)));
}

std::string python_tuple(const Shape& shape) {
  if (shape.size() == 1) return fmt::format("({},)", shape[0]);
  std::string out = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) out += fmt::format("{}{}", i == 0 ? "" : ", ", shape[i]);
  return out + ")";
}

// The magic, version, header length and header exactly as numpy 1.24's
// _write_array_header and _wrap_header produce them.
std::string npy_preamble(std::string_view descr, const Shape& shape) {
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, python_tuple(shape));
  if (!shape.empty()) dict.append(kGrowthAxisMaxDigits - fmt::formatted_size("{}", shape[0]), ' ');
  const std::size_t with_newline = dict.size() + 1;
  int major = 1;
  std::size_t length_size = 2;
  std::size_t padding = kArrayAlign - (kMagic.size() + 2 + length_size + with_newline) % kArrayAlign;
  if (with_newline + padding > 0xffff) {
    major = 2;
    length_size = 4;
    padding = kArrayAlign - (kMagic.size() + 2 + length_size + with_newline) % kArrayAlign;
  }
  const std::size_t header_length = with_newline + padding;
  std::string out(kMagic);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  for (std::size_t i = 0; i < length_size; ++i) out.push_back(static_cast<char>((header_length >> (8 * i)) & 0xffu));
  out += dict;
  out.append(padding, ' ');
  out.push_back('\n');
  return out;
}

template <class T>
std::string encode_array(std::string_view descr, TensorView<const T> values) {
  std::string bytes = npy_preamble(descr, values.shape());
  append_little_endian(values, bytes);
  return bytes;
}

}  // namespace

NpyHeader parse_npy_header(std::span<const std::byte> bytes, std::string_view source) {
  return parse_header(bytes, source);
}

Tensor decode_npy(std::span<const std::byte> bytes, std::string_view source) {
  const NpyHeader header = parse_header(bytes, source);
  if (!is_floating(header.dtype))
    throw Error(
        fmt::format("{}: holds '{}' ({}) elements, expected floats (float16, float32 or float64); integer "
                    "arrays are read as ids (read_npy_ids)",
                    source, header.descr, dtype_name(header.dtype)));
  return read_elements<float>(bytes, header, [&](std::span<const std::byte> stored, std::span<float> dst) {
    convert_to_float(header.dtype, header.byte_order, stored, dst);
  });
}

IdTensor decode_npy_ids(std::span<const std::byte> bytes, std::string_view source) {
  const NpyHeader header = parse_header(bytes, source);
  if (is_floating(header.dtype))
    throw Error(
        fmt::format("{}: holds '{}' ({}) elements, expected integers or bools for ids; float arrays are read "
                    "with read_npy",
                    source, header.descr, dtype_name(header.dtype)));
  return read_elements<std::int64_t>(
      bytes, header, [&](std::span<const std::byte> stored, std::span<std::int64_t> dst) {
        if (const auto bad = convert_to_int64(header.dtype, header.byte_order, stored, dst))
          throw Error(
              fmt::format("{}: element {} (in storage order) of the '{}' array is larger than the int64 maximum",
                          source, *bad, header.descr));
      });
}

std::string encode_npy(TensorView<const float> values) { return encode_array("<f4", values); }
std::string encode_npy(TensorView<const std::int64_t> values) { return encode_array("<i8", values); }

NpyHeader read_npy_header(const std::filesystem::path& path) {
  const MappedFile file(path);
  return parse_header(file.bytes(), path.string());
}

Tensor read_npy(const std::filesystem::path& path) {
  const MappedFile file(path);
  return decode_npy(file.bytes(), path.string());
}

IdTensor read_npy_ids(const std::filesystem::path& path) {
  const MappedFile file(path);
  return decode_npy_ids(file.bytes(), path.string());
}

void write_npy(const std::filesystem::path& path, TensorView<const float> values) {
  write_file_atomically(path, encode_npy(values));
}

void write_npy(const std::filesystem::path& path, TensorView<const std::int64_t> values) {
  write_file_atomically(path, encode_npy(values));
}

}  // namespace posemb::io
