// The encodings known by name: their patterns, special tokens and vocabulary sizes, as
// tiktoken defines them (tiktoken_ext/openai_public.py; the npm package's
// encoders/*.json carry the same values).
#include <fmt/format.h>

#include <algorithm>

#include "posemb/core/error.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer {

namespace {

const std::vector<EncodingSpec>& known_specs() {
  static const std::vector<EncodingSpec> specs = {
      {"gpt2", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50257, "r50k_base.tiktoken"},
      {"r50k_base", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50257, "r50k_base.tiktoken"},
      {"p50k_base", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50281, "p50k_base.tiktoken"},
      {"cl100k_base",
       Pattern::kCl100k,
       {{"<|endoftext|>", 100257},
        {"<|fim_prefix|>", 100258},
        {"<|fim_middle|>", 100259},
        {"<|fim_suffix|>", 100260},
        {"<|endofprompt|>", 100276}},
       std::nullopt,
       "cl100k_base.tiktoken"},
      {"o200k_base",
       Pattern::kO200k,
       {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}},
       std::nullopt,
       "o200k_base.tiktoken"},
  };
  return specs;
}

}  // namespace

std::vector<std::string> Encoding::known_names() {
  std::vector<std::string> names;
  for (const auto& spec : known_specs()) names.push_back(spec.name);
  return names;
}

const EncodingSpec& Encoding::spec_of(std::string_view name) {
  const auto& specs = known_specs();
  const auto it = std::find_if(specs.begin(), specs.end(), [&](const EncodingSpec& s) { return s.name == name; });
  if (it == specs.end())
    throw Error(fmt::format("unknown encoding `{}` (known: {})", name, fmt::join(known_names(), ", ")));
  return *it;
}

}  // namespace posemb::tokenizer
