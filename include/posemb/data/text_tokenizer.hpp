#pragma once
// The tokenizations a training run can use, chosen by name:
//   "bytes"                       the UTF-8 bytes themselves, vocabulary 256 (the fast default:
//                                 the output layer stays small)
//   "gpt2", "r50k_base", "p50k_base", "cl100k_base", "o200k_base"
//                                 tiktoken encodings (posemb/tokenizer), special tokens as text
//   a path ending in ".tiktoken"  any rank file, pre-tokenized with GPT-2's pattern
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/shape.hpp"

namespace posemb::data {

class TextTokenizer {
 public:
  // Throws posemb::Error for an unknown name or an unreadable rank file.
  static TextTokenizer from_name(std::string_view name);
  // The vocabulary size of a tokenizer name without loading it (bytes, or a known encoding's
  // spec: its n_vocab, else one past its last special token); nothing for a rank file or an
  // unknown name.
  static std::optional<Index> vocab_size_of(std::string_view name);
  ~TextTokenizer();
  TextTokenizer(TextTokenizer&&) noexcept;
  TextTokenizer& operator=(TextTokenizer&&) noexcept;

  const std::string& name() const { return name_; }
  Index vocab_size() const { return vocab_size_; }
  // Text that a tiktoken encoding cannot take (invalid UTF-8) is an error naming `what`.
  std::vector<std::uint32_t> encode(std::string_view text, std::string_view what = "text") const;
  std::string decode(std::span<const std::uint32_t> tokens) const;

 private:
  struct Encoder;
  TextTokenizer(std::string name, Index vocab_size, std::unique_ptr<Encoder> encoder);
  std::string name_;
  Index vocab_size_ = 0;
  std::unique_ptr<Encoder> encoder_;  // null for bytes
};

}  // namespace posemb::data
