#pragma once
// A text file's tokens, cached on disk next to a training run so that a corpus is tokenized
// once, and read back by memory-mapping the cache.
//
// File layout (little-endian):
//   bytes [0, 8)        "PSMBTOK1"
//   bytes [8, 16)       H, the header length (u64)
//   bytes [16, 16 + H)  a JSON object: {"tokenizer": "bytes", "vocab_size": 256,
//                       "token_count": n, "source_size": bytes, "source_fnv1a64": "hex"},
//                       padded with spaces so that the tokens start at a multiple of 8
//   then n tokens, u32 each
// A cache is stale (and rebuilt) when the source's size or FNV-1a hash, or the tokenizer,
// differ from its header. Opening validates everything: magic, JSON, sizes, every token
// below vocab_size; each error names the cache file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "posemb/core/shape.hpp"
#include "posemb/data/text_tokenizer.hpp"

namespace posemb::data {

// FNV-1a, 64-bit, of the bytes: the cache's fingerprint of its source.
std::uint64_t fnv1a64(std::string_view bytes);

class TokenCache {
 public:
  // Opens `cache_file` if it is a valid, fresh cache of `text_file` tokenized by
  // `tokenizer`; otherwise tokenizes the text and writes the cache (atomically) first.
  static TokenCache open_or_build(const std::filesystem::path& text_file, const TextTokenizer& tokenizer,
                                  const std::filesystem::path& cache_file);
  // Tokenizes `text` and writes a cache; errors in the text (invalid UTF-8 for a tiktoken
  // encoding) name it `source`.
  static void write(const std::filesystem::path& cache_file, std::string_view text, const TextTokenizer& tokenizer,
                    std::string_view source = "text");
  // Opens and validates an existing cache.
  static TokenCache open(const std::filesystem::path& cache_file);
  // The same checks on a cache file's bytes in memory (copied); `source` names them in errors.
  static TokenCache from_bytes(std::string_view bytes, const std::string& source);

  TokenCache(TokenCache&&) noexcept;
  TokenCache& operator=(TokenCache&&) noexcept;
  ~TokenCache();

  std::span<const std::uint32_t> tokens() const { return tokens_; }
  const std::string& tokenizer_name() const { return tokenizer_; }
  Index vocab_size() const { return vocab_size_; }
  std::uint64_t source_size() const { return source_size_; }
  std::uint64_t source_hash() const { return source_hash_; }
  // True when open_or_build had to (re)build the cache.
  bool was_built() const { return built_; }

 private:
  TokenCache() = default;
  void validate(const std::string& where);  // fills the fields from storage_'s bytes
  struct Storage;
  std::unique_ptr<Storage> storage_;
  std::span<const std::uint32_t> tokens_;
  std::string tokenizer_;
  Index vocab_size_ = 0;
  std::uint64_t source_size_ = 0;
  std::uint64_t source_hash_ = 0;
  bool built_ = false;
};

}  // namespace posemb::data
