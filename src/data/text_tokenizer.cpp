#include "posemb/data/text_tokenizer.hpp"

#include <fmt/format.h>

#include "posemb/core/error.hpp"

namespace posemb::data {

struct TextTokenizer::Encoder {};

TextTokenizer::TextTokenizer(std::string name, Index vocab_size, std::unique_ptr<Encoder> encoder)
    : name_(std::move(name)), vocab_size_(vocab_size), encoder_(std::move(encoder)) {}
TextTokenizer::~TextTokenizer() = default;
TextTokenizer::TextTokenizer(TextTokenizer&&) noexcept = default;
TextTokenizer& TextTokenizer::operator=(TextTokenizer&&) noexcept = default;

TextTokenizer TextTokenizer::from_name(std::string_view name) {
  if (name == "bytes") return TextTokenizer("bytes", 256, nullptr);
  throw Error(fmt::format("unknown tokenizer '{}' (valid: bytes)", name));
}

std::vector<std::uint32_t> TextTokenizer::encode(std::string_view text) const {
  std::vector<std::uint32_t> out(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) out[i] = static_cast<unsigned char>(text[i]);
  return out;
}

std::string TextTokenizer::decode(std::span<const std::uint32_t> tokens) const {
  std::string out;
  out.reserve(tokens.size());
  for (std::uint32_t t : tokens) {
    if (t > 255) throw Error(fmt::format("token {} is not a byte", t));
    out += static_cast<char>(t);
  }
  return out;
}

}  // namespace posemb::data
