// libFuzzer target: the files a training run reads (`posemb train --corpus FILE`): a token
// cache, and a UTF-8 text file with its cache. Byte 0 picks what the rest is:
//   0  a token cache file, checked in memory (TokenCache::from_bytes)
//   1  a damaged or foreign token cache found where the cache of a small text belongs:
//      load_training_text must replace it (it maps the file, as the CLI does)
//   2  a text file, loaded with the "bytes" tokenizer (its tokens are its bytes)
//   3  a text file, loaded with the gpt2 tokenizer (which refuses invalid UTF-8)
// Either posemb::Error or tokens below the vocabulary size, split into train and validation.
// Modes 1-3 write files under /dev/shm (or the temporary folder) in a folder per process.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/training_text_fuzz fuzz/corpus/training_text -max_total_time=60
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/text_tokenizer.hpp"
#include "posemb/data/token_cache.hpp"
#include "posemb/data/training_text.hpp"
#include "posemb/io/file.hpp"

namespace {

using namespace posemb::data;
using posemb::fuzz::check;

void check_tokens(std::span<const std::uint32_t> tokens, posemb::Index vocab_size) {
  for (const std::uint32_t t : tokens) check(static_cast<posemb::Index>(t) < vocab_size);
}

// Never destroyed: the exit handler that removes it runs after static destructors would have.
const std::filesystem::path& work_folder() {
  static const std::filesystem::path* const folder = [] {
    std::error_code ec;
    const std::filesystem::path base =
        std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                      : std::filesystem::temp_directory_path();
    auto* path = new std::filesystem::path(base / ("posemb_training_text_fuzz_" + std::to_string(::getpid())));
    std::filesystem::remove_all(*path, ec);
    std::filesystem::create_directories(*path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(work_folder(), ignored);
    });
    return path;
  }();
  return *folder;
}

void load_text(const std::filesystem::path& text, const TextTokenizer& tokenizer) {
  const TrainingText loaded = load_training_text(text.string(), tokenizer, work_folder() / "cache", 0.1);
  check(loaded.caches.size() == 1);
  check(loaded.train.size() + loaded.validation.size() == loaded.caches[0].tokens().size());
  check_tokens(loaded.caches[0].tokens(), tokenizer.vocab_size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const TextTokenizer bytes_tokenizer = TextTokenizer::from_name("bytes");
  static const TextTokenizer gpt2 = TextTokenizer::from_name("gpt2");
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const TokenCache cache = TokenCache::from_bytes(payload, "fuzz.tokens");
        check_tokens(cache.tokens(), cache.vocab_size());
        break;
      }
      case 1: {
        // The cache file the loader will look for: the only file in cache/tokens once built.
        const auto text = work_folder() / "fixed.txt";
        if (!std::filesystem::exists(text)) {
          posemb::io::write_file_atomically(text, "a small text\n");
          load_text(text, bytes_tokenizer);
        }
        for (const auto& entry : std::filesystem::directory_iterator(work_folder() / "cache" / "tokens"))
          if (entry.path().filename().string().starts_with("fixed-"))
            posemb::io::write_file_atomically(entry.path(), payload);
        load_text(text, bytes_tokenizer);
        break;
      }
      default: {
        const auto text = work_folder() / "corpus.txt";
        posemb::io::write_file_atomically(text, payload);
        load_text(text, data[0] % 4 == 2 ? bytes_tokenizer : gpt2);
        break;
      }
    }
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
