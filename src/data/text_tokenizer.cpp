#include "posemb/data/text_tokenizer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "posemb/core/error.hpp"

// Tiktoken encodings come from posemb/tokenizer.
#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/utf8.hpp"

namespace posemb::data {

// A tiktoken encoding: built in (gpt2, r50k_base), loaded by name, or from a rank file.
struct TextTokenizer::Encoder {
  const tokenizer::Encoding* encoding = nullptr;  // a known encoding (cached by the tokenizer library)
  std::optional<tokenizer::Encoding> owned;       // one read from a .tiktoken file
  const tokenizer::Encoding& get() const { return owned ? *owned : *encoding; }
};

TextTokenizer::TextTokenizer(std::string name, Index vocab_size, std::unique_ptr<Encoder> encoder)
    : name_(std::move(name)), vocab_size_(vocab_size), encoder_(std::move(encoder)) {}
TextTokenizer::~TextTokenizer() = default;
TextTokenizer::TextTokenizer(TextTokenizer&&) noexcept = default;
TextTokenizer& TextTokenizer::operator=(TextTokenizer&&) noexcept = default;

TextTokenizer TextTokenizer::from_name(std::string_view name) {
  if (name == "bytes") return TextTokenizer("bytes", 256, nullptr);
  auto encoder = std::make_unique<Encoder>();
  if (name.ends_with(".tiktoken")) {
    // Any rank file, pre-tokenized with GPT-2's pattern and without special tokens.
    tokenizer::EncodingSpec spec = tokenizer::Encoding::spec_of("gpt2");
    spec.name = std::filesystem::path(name).stem().string();
    spec.special_tokens.clear();
    spec.n_vocab.reset();
    spec.rank_file_digest.reset();  // gpt2's published file's hash says nothing about this one
    encoder->owned.emplace(tokenizer::Encoding::from_rank_file(spec, std::filesystem::path(name)));
  } else {
    const auto known = tokenizer::Encoding::known_names();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string valid = "bytes";
      for (const auto& k : known) valid += ", " + k;
      throw Error(fmt::format("unknown tokenizer '{}' (valid: {}, or a .tiktoken rank file)", name, valid));
    }
    encoder->encoding = &tokenizer::Encoding::load(name);
  }
  const auto vocab = static_cast<Index>(encoder->get().n_vocab());
  std::string label = encoder->get().name();
  return TextTokenizer(std::move(label), vocab, std::move(encoder));
}

std::optional<Index> TextTokenizer::vocab_size_of(std::string_view name) {
  if (name == "bytes") return 256;
  const auto known = tokenizer::Encoding::known_names();
  if (std::find(known.begin(), known.end(), name) == known.end()) return std::nullopt;
  const tokenizer::EncodingSpec& spec = tokenizer::Encoding::spec_of(name);
  if (spec.n_vocab) return static_cast<Index>(*spec.n_vocab);
  Index after_specials = 0;
  for (const auto& special : spec.special_tokens) after_specials = std::max(after_specials, Index(special.rank) + 1);
  return after_specials;
}

std::vector<std::uint32_t> TextTokenizer::encode(std::string_view text, std::string_view what) const {
  if (encoder_ != nullptr) {
    tokenizer::require_valid_utf8(text, what);
    // Special tokens are text here: a corpus that contains "<|endoftext|>" trains on its pieces.
    const auto ids = encoder_->get().encode_ordinary(text);
    return {ids.begin(), ids.end()};
  }
  std::vector<std::uint32_t> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<unsigned char>(text[i]);
  return out;
}

std::string TextTokenizer::decode(std::span<const std::uint32_t> tokens) const {
  if (encoder_ != nullptr) return encoder_->get().decode(tokens);
  std::string out;
  out.reserve(tokens.size());
  for (std::uint32_t t : tokens) {
    if (t > 255) throw Error(fmt::format("token {} is not a byte", t));
    out += static_cast<char>(t);
  }
  return out;
}

}  // namespace posemb::data
