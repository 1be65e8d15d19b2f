// The encodings known by name: their patterns, special tokens and vocabulary sizes, as
// tiktoken defines them (tiktoken_ext/openai_public.py; the npm package's
// encoders/*.json carry the same values).
#include <fmt/format.h>

#include <algorithm>

#include "posemb/core/error.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer {

namespace {

// The published rank files: SHA-256 as tiktoken_ext/openai_public.py passes it to
// load_tiktoken_bpe (expected_hash=...), size of the file with that hash. data/encodings/README.md
// says where each hash was read.
const RankFileDigest kR50k{835554, "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"};
const RankFileDigest kP50k{836186, "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069"};
const RankFileDigest kCl100k{1681126, "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"};
const RankFileDigest kO200k{3613922, "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"};

const std::vector<EncodingSpec>& known_specs() {
  static const std::vector<EncodingSpec> specs = {
      {"gpt2", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50257, "r50k_base.tiktoken", kR50k},
      {"r50k_base", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50257, "r50k_base.tiktoken", kR50k},
      {"p50k_base", Pattern::kGpt2, {{"<|endoftext|>", 50256}}, 50281, "p50k_base.tiktoken", kP50k},
      {"cl100k_base",
       Pattern::kCl100k,
       {{"<|endoftext|>", 100257},
        {"<|fim_prefix|>", 100258},
        {"<|fim_middle|>", 100259},
        {"<|fim_suffix|>", 100260},
        {"<|endofprompt|>", 100276}},
       std::nullopt,
       "cl100k_base.tiktoken",
       kCl100k},
      {"o200k_base",
       Pattern::kO200k,
       {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}},
       std::nullopt,
       "o200k_base.tiktoken",
       kO200k},
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
