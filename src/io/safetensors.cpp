#include "posemb/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::io {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kLengthBytes = 8;
// The reference reader refuses longer headers (MAX_HEADER_SIZE in safetensors'
// tensor.rs); anything longer is a corrupt length or not a safetensors file.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// Every dtype name the format defines, with its width in bits and, where posemb can
// convert it, its DType. Sub-byte and 8-bit float types are known (so that files holding
// them open and list) but not loadable.
struct KnownDtype {
  std::string_view name;
  std::uint64_t bits;
  std::optional<DType> dtype;
};
// clang-format off
constexpr std::array<KnownDtype, 20> kKnownDtypes = {{
    {"BOOL", 8, DType::kBool},  {"U8", 8, DType::kU8},        {"I8", 8, DType::kI8},
    {"U16", 16, DType::kU16},   {"I16", 16, DType::kI16},     {"U32", 32, DType::kU32},
    {"I32", 32, DType::kI32},   {"U64", 64, DType::kU64},     {"I64", 64, DType::kI64},
    {"F16", 16, DType::kF16},   {"BF16", 16, DType::kBF16},   {"F32", 32, DType::kF32},
    {"F64", 64, DType::kF64},   {"F8_E5M2", 8, {}},           {"F8_E4M3", 8, {}},
    {"F8_E8M0", 8, {}},         {"F4", 4, {}},                {"F6_E2M3", 6, {}},
    {"F6_E3M2", 6, {}},         {"C64", 64, {}},
}};
// clang-format on

const KnownDtype* find_dtype(std::string_view name) {
  for (const KnownDtype& known : kKnownDtypes)
    if (known.name == name) return &known;
  return nullptr;
}

std::string known_dtype_names() {
  std::string names;
  for (const KnownDtype& known : kKnownDtypes) names += fmt::format("{}{}", names.empty() ? "" : ", ", known.name);
  return names;
}

std::string_view json_type(const Json& value) {
  if (value.is_number_unsigned()) return "a non-negative integer";
  if (value.is_number_integer()) return "a negative integer";
  if (value.is_number_float()) return "a non-integer number";
  if (value.is_object()) return "an object";
  if (value.is_array()) return "an array";
  if (value.is_string()) return "a string";
  if (value.is_boolean()) return "a boolean";
  return "null";
}

std::string range_to_string(std::uint64_t begin, std::uint64_t end) { return fmt::format("[{}, {})", begin, end); }

// Edit distance, for suggesting the name the caller probably meant.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitution});
    }
  }
  return row[b.size()];
}

// Parses and checks the header JSON of `file`; fills the tensors (unsorted) and metadata.
class HeaderReader {
 public:
  HeaderReader(const std::string& file, std::uint64_t data_start, std::uint64_t buffer_size)
      : file_(file), data_start_(data_start), buffer_size_(buffer_size) {}

  void read(std::string_view text, std::vector<SafetensorsTensorInfo>& tensors,
            std::map<std::string, std::string>& metadata) const {
    // nlohmann's lexer takes a NUL byte for the end of the input and would ignore what
    // follows; JSON has no raw NUL anywhere, so refuse it first.
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos)
      fail(fmt::format("the JSON header has a NUL byte at byte {}", kLengthBytes + nul));
    const Json header = parse(text);
    if (!header.is_object()) fail(fmt::format("the JSON header is {}, expected an object", json_type(header)));
    for (const auto& [key, value] : header.items()) {
      if (key == "__metadata__") {
        read_metadata(value, metadata);
      } else {
        tensors.push_back(read_entry(key, value));
      }
    }
  }

 private:
  // The JSON value of the header; duplicate keys (which nlohmann would silently merge)
  // are an error, as the format says.
  Json parse(std::string_view text) const {
    struct Duplicate {
      std::string key;
      std::string parent;  // the key of the enclosing object; "" at the top level
      std::size_t depth;
    };
    std::optional<Duplicate> duplicate;
    std::vector<std::set<std::string>> keys_seen;
    std::vector<std::string> parents;
    std::string last_key;
    const auto track_keys = [&](int /*depth*/, Json::parse_event_t event, Json& parsed) {
      if (event == Json::parse_event_t::object_start) {
        keys_seen.emplace_back();
        parents.push_back(last_key);
      } else if (event == Json::parse_event_t::object_end) {
        keys_seen.pop_back();
        parents.pop_back();
      } else if (event == Json::parse_event_t::key) {
        last_key = parsed.get<std::string>();
        if (!keys_seen.back().insert(last_key).second && !duplicate)
          duplicate = Duplicate{last_key, parents.back(), keys_seen.size()};
      }
      return true;
    };
    Json header;
    try {
      header = Json::parse(text.begin(), text.end(), track_keys);
    } catch (const Json::parse_error& e) {
      // e.byte counts characters read, 1-based: the offending one is e.byte - 1.
      const std::size_t at = kLengthBytes + (e.byte > 0 ? e.byte - 1 : 0);
      fail(fmt::format("the header is not valid JSON: syntax error at byte {}: {}", at, parse_error_reason(e.what())));
    } catch (const Json::exception& e) {
      fail(fmt::format("the header is not valid JSON: {}", e.what()));
    }
    if (duplicate) {
      if (duplicate->depth == 1) fail(fmt::format("tensor name {:?} appears twice in the header", duplicate->key));
      fail(fmt::format("key {:?} appears twice in the header entry {:?}", duplicate->key, duplicate->parent));
    }
    return header;
  }

  // nlohmann's message without its "[json.exception...] parse error at line 1, column 6: "
  // prefix: the byte offset we give replaces the line and column.
  static std::string parse_error_reason(std::string_view what) {
    const std::size_t column = what.find("column ");
    if (column == std::string_view::npos) return std::string(what);
    const std::size_t colon = what.find(": ", column);
    return std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
  }

  void read_metadata(const Json& value, std::map<std::string, std::string>& metadata) const {
    if (!value.is_object())
      fail(fmt::format("\"__metadata__\" is {}, expected an object of strings", json_type(value)));
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string())
        fail(fmt::format("\"__metadata__\" entry {:?} is {}, expected a string", key, json_type(item)));
      metadata.emplace(key, item.get<std::string>());
    }
  }

  SafetensorsTensorInfo read_entry(const std::string& name, const Json& entry) const {
    SafetensorsTensorInfo info;
    info.name = name;
    if (!entry.is_object())
      fail_tensor(name, fmt::format("the entry is {}, expected an object with dtype, shape and data_offsets",
                                    json_type(entry)));
    for (const auto& [key, value] : entry.items()) {
      if (key != "dtype" && key != "shape" && key != "data_offsets")
        fail_tensor(name, fmt::format("unexpected key {:?} (an entry has exactly dtype, shape and data_offsets)", key));
    }
    for (const char* key : {"dtype", "shape", "data_offsets"}) {
      if (!entry.contains(key)) fail_tensor(name, fmt::format("the entry has no \"{}\"", key));
    }

    const Json& dtype = entry["dtype"];
    if (!dtype.is_string()) fail_tensor(name, fmt::format("dtype is {}, expected a string", json_type(dtype)));
    info.dtype_name = dtype.get<std::string>();
    const KnownDtype* known = find_dtype(info.dtype_name);
    if (known == nullptr)
      fail_tensor(name,
                  fmt::format("unknown dtype {:?} (the format defines {})", info.dtype_name, known_dtype_names()));
    info.dtype = known->dtype;

    const Json& shape = entry["shape"];
    if (!shape.is_array()) fail_tensor(name, fmt::format("shape is {}, expected an array", json_type(shape)));
    for (const Json& size : shape) {
      if (!size.is_number_unsigned() ||
          size.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<Index>::max()))
        fail_tensor(name,
                    fmt::format("shape {} has an element that is not a non-negative 64-bit integer", shape.dump()));
      info.shape.push_back(size.get<Index>());
    }

    const Json& offsets = entry["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
        !offsets[1].is_number_unsigned())
      fail_tensor(name,
                  fmt::format("data_offsets {} is not a pair [begin, end] of non-negative integers", offsets.dump()));
    info.begin = offsets[0].get<std::uint64_t>();
    info.end = offsets[1].get<std::uint64_t>();
    if (info.begin > info.end)
      fail_tensor(name, fmt::format("data_offsets {} begin after they end", range_to_string(info.begin, info.end)));
    if (info.end > buffer_size_)
      fail_tensor(name, fmt::format("data_offsets {} end past the data buffer, which has {} bytes (the file ends at "
                                    "byte {}, the data buffer starts at byte {})",
                                    range_to_string(info.begin, info.end), buffer_size_, data_start_ + buffer_size_,
                                    data_start_));

    // Bits rather than bytes, for the sub-byte types (F4, F6_*); checked against overflow.
    std::uint64_t bits = known->bits;
    for (const Index size : info.shape) {
      const auto n = static_cast<std::uint64_t>(size);
      if (n != 0 && bits > std::numeric_limits<std::uint64_t>::max() / n)
        fail_tensor(
            name, fmt::format("shape {} of {} is too large to address", shape_to_string(info.shape), info.dtype_name));
      bits *= n;
    }
    if (bits % 8 != 0 || bits / 8 != info.end - info.begin)
      fail_tensor(
          name, fmt::format("shape {} of {} needs {} bytes, but data_offsets {} hold {}", shape_to_string(info.shape),
                            info.dtype_name, bits % 8 == 0 ? fmt::format("{}", bits / 8) : fmt::format("{} bits", bits),
                            range_to_string(info.begin, info.end), info.end - info.begin));
    return info;
  }

  [[noreturn]] void fail(std::string_view problem) const { throw Error(fmt::format("{}: {}", file_, problem)); }
  [[noreturn]] void fail_tensor(std::string_view name, std::string_view problem) const {
    throw Error(fmt::format("{}: tensor {:?}: {}", file_, name, problem));
  }

  const std::string& file_;
  std::uint64_t data_start_;
  std::uint64_t buffer_size_;
};

// Taken in offset order, the tensors must cover the data buffer exactly once.
void check_tiling(const std::vector<SafetensorsTensorInfo>& tensors, std::uint64_t buffer_size,
                  const std::string& file) {
  std::uint64_t covered = 0;
  const SafetensorsTensorInfo* previous = nullptr;
  for (const SafetensorsTensorInfo& t : tensors) {
    if (t.begin < covered)
      throw Error(fmt::format("{}: tensor {:?}: data_offsets {} overlap those of tensor {:?}, {}", file, t.name,
                              range_to_string(t.begin, t.end), previous->name,
                              range_to_string(previous->begin, previous->end)));
    if (t.begin > covered)
      throw Error(
          fmt::format("{}: tensor {:?}: data_offsets {} leave a gap: bytes {} of the data buffer belong to no "
                      "tensor{}",
                      file, t.name, range_to_string(t.begin, t.end), range_to_string(covered, t.begin),
                      previous ? fmt::format(" (the previous tensor, {:?}, ends at {})", previous->name, covered)
                               : std::string(" (the first tensor must start at 0)")));
    covered = t.end;
    previous = &t;
  }
  if (covered != buffer_size)
    throw Error(
        fmt::format("{}: the data buffer has {} bytes but the tensors cover only {}: bytes {} of the data "
                    "buffer belong to no tensor",
                    file, buffer_size, covered, range_to_string(covered, buffer_size)));
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : source_(path.string()), mapped_(path) {
  validate();
}

SafetensorsFile SafetensorsFile::from_bytes(std::span<const std::byte> bytes, std::string source) {
  SafetensorsFile file;
  file.source_ = std::move(source);
  file.owned_.assign(bytes.begin(), bytes.end());
  file.validate();
  return file;
}

std::span<const std::byte> SafetensorsFile::bytes() const { return mapped_ ? mapped_->bytes() : std::span(owned_); }

void SafetensorsFile::validate() {
  const std::string& file = source_;
  const std::span<const std::byte> bytes = this->bytes();
  if (bytes.size() < kLengthBytes)
    throw Error(fmt::format("{}: not a safetensors file: {} bytes is too short for the 8-byte header length", file,
                            bytes.size()));
  std::uint64_t header_length = 0;
  for (std::size_t i = kLengthBytes; i-- > 0;)
    header_length = (header_length << 8) | static_cast<std::uint64_t>(bytes[i]);
  const std::uint64_t rest = bytes.size() - kLengthBytes;
  // Past the end of the file: a safetensors file cut short, if a JSON header starts at byte 8;
  // otherwise (text, an image, a .npy file) the first 8 bytes were never a header length.
  const bool json_follows = rest > 0 && bytes[kLengthBytes] == std::byte{'{'};
  if (header_length > rest && (header_length > kMaxHeaderBytes || !json_follows)) {
    throw Error(fmt::format(
        "{}: not a safetensors file: the header length at byte 0 is {}, but only {} bytes follow "
        "it{}",
        file, header_length, rest,
        header_length > kMaxHeaderBytes ? fmt::format(" (and the format allows at most {})", kMaxHeaderBytes)
                                        : std::string(", and byte 8 is not the '{' that starts a JSON header")));
  }
  if (header_length > kMaxHeaderBytes)
    throw Error(
        fmt::format("{}: not a safetensors file: the header length at byte 0 is {}, more than the format's "
                    "limit of {} bytes",
                    file, header_length, kMaxHeaderBytes));
  if (header_length > rest)
    throw Error(fmt::format("{}: truncated: the header length at byte 0 is {}, but only {} bytes follow it", file,
                            header_length, rest));
  data_start_ = kLengthBytes + static_cast<std::size_t>(header_length);
  const std::uint64_t buffer_size = bytes.size() - data_start_;

  HeaderReader(file, data_start_, buffer_size)
      .read(std::string_view(reinterpret_cast<const char*>(bytes.data()) + kLengthBytes,
                             static_cast<std::size_t>(header_length)),
            tensors_, metadata_);
  std::stable_sort(tensors_.begin(), tensors_.end(),
                   [](const SafetensorsTensorInfo& a, const SafetensorsTensorInfo& b) {
                     return std::pair(a.begin, a.end) < std::pair(b.begin, b.end);
                   });
  check_tiling(tensors_, buffer_size, file);
  for (std::size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
}

bool SafetensorsFile::contains(std::string_view name) const { return index_.find(name) != index_.end(); }

const SafetensorsTensorInfo& SafetensorsFile::info(std::string_view name) const {
  if (const auto found = index_.find(name); found != index_.end()) return tensors_[found->second];

  std::string message = fmt::format("{}: no tensor named {:?}", source_, name);
  const SafetensorsTensorInfo* closest = nullptr;
  std::size_t closest_distance = std::numeric_limits<std::size_t>::max();
  for (const SafetensorsTensorInfo& t : tensors_) {
    const std::size_t distance = edit_distance(name, t.name);
    if (distance < closest_distance) {
      closest = &t;
      closest_distance = distance;
    }
  }
  // Suggest only what looks like a typo of the name asked for.
  if (closest != nullptr && closest_distance <= std::max<std::size_t>(2, name.size() / 3))
    message += fmt::format("; did you mean {:?}?", closest->name);
  constexpr std::size_t kListed = 10;
  if (tensors_.empty()) throw Error(message + "; the file holds no tensors");
  message += fmt::format(" (the file holds {} tensor{}: ", tensors_.size(), tensors_.size() == 1 ? "" : "s");
  for (std::size_t i = 0; i < std::min(kListed, tensors_.size()); ++i)
    message += fmt::format("{}{:?}", i == 0 ? "" : ", ", tensors_[i].name);
  if (tensors_.size() > kListed) message += fmt::format(", ... and {} more", tensors_.size() - kListed);
  throw Error(message + ")");
}

std::span<const std::byte> SafetensorsFile::raw_bytes(std::string_view name) const {
  const SafetensorsTensorInfo& t = info(name);
  return bytes().subspan(data_start_ + static_cast<std::size_t>(t.begin), static_cast<std::size_t>(t.end - t.begin));
}

namespace {

void check_shape(const SafetensorsFile& file, const SafetensorsTensorInfo& t, const Shape& expected) {
  if (t.shape != expected)
    throw Error(fmt::format("{}: tensor {:?} has shape {}, expected {}", file.source(), t.name,
                            shape_to_string(t.shape), shape_to_string(expected)));
}

}  // namespace

Tensor SafetensorsFile::load_tensor(std::string_view name) const {
  const SafetensorsTensorInfo& t = info(name);
  if (!t.dtype || !is_floating(*t.dtype))
    throw Error(fmt::format("{}: tensor {:?} has dtype {}; load_tensor reads F16, BF16, F32 and F64 as float32{}",
                            source_, t.name, t.dtype_name,
                            t.dtype ? " (integer and BOOL tensors are read with load_ids)" : ""));
  Tensor out(t.shape);
  convert_to_float(*t.dtype, ByteOrder::kLittle, raw_bytes(name), out.values());
  return out;
}

Tensor SafetensorsFile::load_tensor(std::string_view name, const Shape& expected_shape) const {
  check_shape(*this, info(name), expected_shape);
  return load_tensor(name);
}

IdTensor SafetensorsFile::load_ids(std::string_view name) const {
  const SafetensorsTensorInfo& t = info(name);
  if (!t.dtype || is_floating(*t.dtype))
    throw Error(fmt::format("{}: tensor {:?} has dtype {}; load_ids reads integer and BOOL tensors as int64{}", source_,
                            t.name, t.dtype_name, t.dtype ? " (float tensors are read with load_tensor)" : ""));
  IdTensor out(t.shape);
  if (const auto bad = convert_to_int64(*t.dtype, ByteOrder::kLittle, raw_bytes(name), out.values()))
    throw Error(fmt::format("{}: tensor {:?}: element {} is larger than the int64 maximum", source_, t.name, *bad));
  return out;
}

IdTensor SafetensorsFile::load_ids(std::string_view name, const Shape& expected_shape) const {
  check_shape(*this, info(name), expected_shape);
  return load_ids(name);
}

void SafetensorsWriter::check_new_name(const std::string& name) const {
  if (name == "__metadata__") throw Error("safetensors: \"__metadata__\" is reserved and cannot name a tensor");
  for (const Entry& e : entries_)
    if (e.name == name) throw Error(fmt::format("safetensors: tensor {:?} is added twice", name));
}

void SafetensorsWriter::add(std::string name, TensorView<const float> values) {
  check_new_name(name);
  entries_.push_back(Entry{std::move(name), DType::kF32, values, {}});
}

void SafetensorsWriter::add(std::string name, TensorView<const std::int64_t> ids) {
  check_new_name(name);
  entries_.push_back(Entry{std::move(name), DType::kI64, {}, ids});
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

std::string SafetensorsWriter::bytes() const {
  // The reference writer's order: wider elements first, then by name, so that with the
  // header padded to 8 bytes every tensor is aligned to its element size.
  std::vector<const Entry*> order;
  for (const Entry& e : entries_) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    const std::size_t a_size = dtype_size(a->dtype), b_size = dtype_size(b->dtype);
    return a_size != b_size ? a_size > b_size : a->name < b->name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  std::uint64_t offset = 0;
  for (const Entry* e : order) {
    const Shape& shape = e->dtype == DType::kF32 ? e->values.shape() : e->ids.shape();
    const std::uint64_t size = static_cast<std::uint64_t>(shape_numel(shape)) * dtype_size(e->dtype);
    header[e->name] = {{"dtype", dtype_name(e->dtype)}, {"shape", shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("safetensors: a tensor name or metadata string is not valid UTF-8: {}", e.what()));
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(kLengthBytes + text.size() + static_cast<std::size_t>(offset));
  for (std::size_t i = 0; i < kLengthBytes; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xffu));
  out += text;
  for (const Entry* e : order) {
    if (e->dtype == DType::kF32) {
      append_little_endian(e->values, out);
    } else {
      append_little_endian(e->ids, out);
    }
  }
  return out;
}

void SafetensorsWriter::write(const std::filesystem::path& path) const { write_file_atomically(path, bytes()); }

}  // namespace posemb::io
