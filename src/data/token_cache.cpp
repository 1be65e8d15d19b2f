#include "posemb/data/token_cache.hpp"

#include <fmt/format.h>

#include <bit>
#include <charconv>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/json_integer.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/mapped_file.hpp"

namespace posemb::data {
namespace {

static_assert(std::endian::native == std::endian::little, "token caches are read in place as little-endian u32");

constexpr char kMagic[8] = {'P', 'S', 'M', 'B', 'T', 'O', 'K', '1'};

std::uint64_t read_u64(const char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void append_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

// The cache's bytes, memory-mapped (pages are read when the sampler first touches them), or a
// copy of bytes given to from_bytes, 8-byte aligned as a mapping is, for the in-place u32 reads.
struct TokenCache::Storage {
  explicit Storage(const std::filesystem::path& path) : file(path) {}
  explicit Storage(std::string_view bytes) : size(bytes.size()), owned((bytes.size() + 7) / 8) {
    if (!bytes.empty()) std::memcpy(owned.data(), bytes.data(), bytes.size());
  }
  std::string_view bytes() const {
    return file ? file->chars() : std::string_view(reinterpret_cast<const char*>(owned.data()), size);
  }
  std::optional<io::MappedFile> file;
  std::size_t size = 0;
  std::vector<std::uint64_t> owned;
};

TokenCache::TokenCache(TokenCache&&) noexcept = default;
TokenCache& TokenCache::operator=(TokenCache&&) noexcept = default;
TokenCache::~TokenCache() = default;

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

void TokenCache::write(const std::filesystem::path& cache_file, std::string_view text, const TextTokenizer& tokenizer,
                       std::string_view source) {
  const std::vector<std::uint32_t> tokens = tokenizer.encode(text, source);
  nlohmann::ordered_json header;
  header["tokenizer"] = tokenizer.name();
  header["vocab_size"] = tokenizer.vocab_size();
  header["token_count"] = tokens.size();
  header["source_size"] = text.size();
  header["source_fnv1a64"] = fmt::format("{:016x}", fnv1a64(text));
  std::string json = header.dump();
  while ((16 + json.size()) % 8 != 0) json += ' ';
  std::string out(kMagic, sizeof kMagic);
  append_u64(out, json.size());
  out += json;
  const std::size_t at = out.size();
  out.resize(at + tokens.size() * 4);
  for (std::size_t i = 0; i < tokens.size(); ++i)
    for (int b = 0; b < 4; ++b) out[at + 4 * i + std::size_t(b)] = static_cast<char>((tokens[i] >> (8 * b)) & 0xff);
  io::write_file_atomically(cache_file, out);
}

TokenCache TokenCache::open(const std::filesystem::path& cache_file) {
  TokenCache cache;
  cache.storage_ = std::make_unique<Storage>(cache_file);
  cache.validate(cache_file.string());
  return cache;
}

TokenCache TokenCache::from_bytes(std::string_view bytes, const std::string& source) {
  TokenCache cache;
  cache.storage_ = std::make_unique<Storage>(bytes);
  cache.validate(source);
  return cache;
}

void TokenCache::validate(const std::string& where) {
  const std::string_view bytes = storage_->bytes();
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw Error(fmt::format("{}: not a posemb token cache (no PSMBTOK1 magic at byte 0)", where));
  const std::uint64_t header_size = read_u64(bytes.data() + 8);
  if (header_size > bytes.size() - 16 || (16 + header_size) % 8 != 0)
    throw Error(fmt::format("{}: header length {} at byte 8 does not fit the file of {} bytes", where, header_size,
                            bytes.size()));
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.begin() + 16, bytes.begin() + 16 + std::ptrdiff_t(header_size));
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: header at byte 16 is not valid JSON: {}", where, e.what()));
  }
  // A JSON integer that T holds (get<T>() would convert 1e30 with undefined behaviour).
  const auto integer = [&]<class T>(const char* key, T& out) {
    const std::optional<T> value = json_integer<T>(header.at(key));
    if (!value)
      throw Error(fmt::format("{}: header field {} is not an integer{} (is {})", where, key,
                              std::is_signed_v<T> ? "" : " ≥ 0", header.at(key).dump()));
    out = *value;
  };
  try {
    tokenizer_ = header.at("tokenizer").get<std::string>();
    integer("vocab_size", vocab_size_);
    std::uint64_t count = 0;
    integer("token_count", count);
    integer("source_size", source_size_);
    // Exactly what write() writes: 16 lowercase hexadecimal digits (std::stoull would take
    // "-1", " 0x1" and throw out_of_range on 17 digits).
    const std::string hash = header.at("source_fnv1a64").get<std::string>();
    const auto [end, error] = std::from_chars(hash.data(), hash.data() + hash.size(), source_hash_, 16);
    if (hash.size() != 16 || error != std::errc() || end != hash.data() + hash.size() ||
        hash.find_first_not_of("0123456789abcdef") != std::string::npos)
      throw Error(fmt::format("{}: header field source_fnv1a64 is not 16 hexadecimal digits (is {:?})", where, hash));
    // Compared as data / 4 against count: count * 4 wraps for counts of 2^62 and more, and a
    // wrapped product equal to the bytes there would span far past the file.
    const std::uint64_t data = bytes.size() - 16 - header_size;
    if (data % 4 != 0 || data / 4 != count)
      throw Error(fmt::format("{}: header says {} tokens ({} bytes) but {} bytes follow it", where, count,
                              count <= UINT64_MAX / 4 ? fmt::format("{}", count * 4) : "more than 2^64", data));
    tokens_ = {reinterpret_cast<const std::uint32_t*>(bytes.data() + 16 + header_size),
                     static_cast<std::size_t>(count)};
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: header is missing a field or has a wrong type: {}", where, e.what()));
  }
  for (std::size_t i = 0; i < tokens_.size(); ++i)
    if (Index(tokens_[i]) >= vocab_size_)
      throw Error(fmt::format("{}: token {} at index {} (byte {}) is not below the vocabulary size {}", where,
                              tokens_[i], i, 16 + header_size + 4 * i, vocab_size_));
}

TokenCache TokenCache::open_or_build(const std::filesystem::path& text_file, const TextTokenizer& tokenizer,
                                     const std::filesystem::path& cache_file) {
  const std::string text = io::read_file_bytes(text_file);
  const std::uint64_t hash = fnv1a64(text);
  std::error_code ec;
  if (std::filesystem::exists(cache_file, ec)) {
    try {
      TokenCache cache = open(cache_file);
      if (cache.tokenizer_ == tokenizer.name() && cache.source_size_ == text.size() && cache.source_hash_ == hash)
        return cache;
    } catch (const Error&) {
      // A damaged cache is rebuilt below, like a stale one.
    }
  }
  write(cache_file, text, tokenizer, text_file.string());
  TokenCache cache = open(cache_file);
  cache.built_ = true;
  return cache;
}

}  // namespace posemb::data
