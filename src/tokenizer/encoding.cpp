#include "posemb/tokenizer/encoding.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/tokenizer/byte_pair_merge.hpp"
#include "posemb/tokenizer/rank_file.hpp"
#include "posemb/tokenizer/rank_table.hpp"
#include "posemb/tokenizer/utf8.hpp"
#include "piece_cache.hpp"

namespace posemb::tokenizer {

namespace embedded {
extern const unsigned char r50k_base_tiktoken[];
extern const std::size_t r50k_base_tiktoken_size;
}  // namespace embedded

bool SpecialTokenSet::contains(std::string_view token) const {
  return all_ || std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end();
}

Encoding::Encoding(EncodingSpec spec, std::unique_ptr<RankTable> ranks) : spec_(std::move(spec)), ranks_(std::move(ranks)) {
  n_vocab_ = std::size_t{ranks_->max_rank()} + 1;
  for (const auto& special : spec_.special_tokens) {
    if (special.text.empty()) throw Error(fmt::format("encoding {}: a special token is empty", spec_.name));
    if (ranks_->has_rank(special.rank))
      throw Error(fmt::format("encoding {}: special token {} has rank {}, which is an ordinary token's", spec_.name,
                              special.text, special.rank));
    n_vocab_ = std::max(n_vocab_, std::size_t{special.rank} + 1);
  }
  if (spec_.n_vocab && *spec_.n_vocab != n_vocab_)
    throw Error(fmt::format("encoding {}: expected {} token ids, the ranks and special tokens give {}", spec_.name,
                            *spec_.n_vocab, n_vocab_));
}

Encoding::Encoding(Encoding&&) noexcept = default;
Encoding& Encoding::operator=(Encoding&&) noexcept = default;
Encoding::~Encoding() = default;

Encoding Encoding::from_rank_bytes(EncodingSpec spec, std::string_view rank_file_bytes, std::string_view source) {
  if (spec.rank_file_digest) check_rank_file_digest(rank_file_bytes, *spec.rank_file_digest, spec.name, source);
  auto ranks = std::make_unique<RankTable>(parse_tiktoken_ranks(rank_file_bytes, source), source);
  return Encoding(std::move(spec), std::move(ranks));
}

Encoding Encoding::from_rank_file(EncodingSpec spec, const std::filesystem::path& rank_file) {
  const std::string bytes = io::read_file_bytes(rank_file);
  return from_rank_bytes(std::move(spec), bytes, rank_file.string());
}

namespace {

std::vector<std::filesystem::path> rank_file_folders() {
  std::vector<std::filesystem::path> folders;
  if (const char* env = std::getenv("POSEMB_ENCODINGS_DIR"); env != nullptr && *env != '\0') folders.emplace_back(env);
#ifdef POSEMB_INSTALLED_ENCODINGS_DIR
  folders.emplace_back(POSEMB_INSTALLED_ENCODINGS_DIR);
#endif
#ifdef POSEMB_SOURCE_ENCODINGS_DIR
  folders.emplace_back(POSEMB_SOURCE_ENCODINGS_DIR);
#endif
  return folders;
}

}  // namespace

const Encoding& Encoding::load(std::string_view name, const std::filesystem::path& directory) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Encoding>, std::less<>> loaded;
  const EncodingSpec& spec = spec_of(name);
  const std::string key = directory.empty() ? spec.name : spec.name + "\n" + directory.string();
  const std::lock_guard lock(mutex);
  if (const auto it = loaded.find(key); it != loaded.end()) return *it->second;

  std::unique_ptr<Encoding> encoding;
  if (directory.empty() && spec.rank_file == "r50k_base.tiktoken") {
    const std::string_view bytes(reinterpret_cast<const char*>(embedded::r50k_base_tiktoken),
                                 embedded::r50k_base_tiktoken_size);
    encoding = std::make_unique<Encoding>(from_rank_bytes(spec, bytes, "built-in r50k_base.tiktoken"));
  } else {
    const auto folders = directory.empty() ? rank_file_folders() : std::vector<std::filesystem::path>{directory};
    std::vector<std::string> tried;
    for (const auto& folder : folders) {
      const auto path = folder / spec.rank_file;
      std::error_code error;
      if (std::filesystem::is_regular_file(path, error)) {
        encoding = std::make_unique<Encoding>(from_rank_file(spec, path));
        break;
      }
      tried.push_back(path.string());
    }
    if (!encoding)
      throw Error(fmt::format("encoding {}: rank file not found; tried {} (set POSEMB_ENCODINGS_DIR to the folder "
                              "holding {})",
                              spec.name, tried.empty() ? std::string("nothing") : fmt::format("{}", fmt::join(tried, ", ")),
                              spec.rank_file));
  }
  return *loaded.emplace(key, std::move(encoding)).first->second;
}

const Encoding& Encoding::gpt2() {
  static const Encoding& encoding = load("gpt2");
  return encoding;
}

// --- Encoding ---------------------------------------------------------------------------

void Encoding::encode_piece_into(std::string_view piece, std::vector<Rank>& out, PieceCache& cache) const {
  if (piece.size() == 1) {
    out.push_back(ranks_->byte_rank(static_cast<unsigned char>(piece[0])));
    return;
  }
  // A piece that is itself a token is that token, whatever merging would give (tiktoken
  // looks the whole piece up first, and the two can differ).
  if (const Rank rank = ranks_->rank_of(piece); rank != RankTable::kNone) {
    out.push_back(rank);
    return;
  }
  if (cache.append_cached(piece, out)) return;
  const std::size_t first = out.size();
  byte_pair_encode(piece, *ranks_, out);
  cache.insert(piece, out.data() + first, out.size() - first);
}

void Encoding::encode_ordinary_into(std::string_view text, std::vector<Rank>& out, PieceCache& cache) const {
  for_each_piece(spec_.pattern, text, [&](std::string_view piece) { encode_piece_into(piece, out, cache); });
}

std::vector<Rank> Encoding::encode_ordinary(std::string_view text) const {
  require_valid_utf8(text);
  std::vector<Rank> out;
  out.reserve(text.size() / 4 + 8);
  PieceCache cache;
  encode_ordinary_into(text, out, cache);
  return out;
}

std::vector<Rank> Encoding::encode(std::string_view text) const {
  return encode(text, SpecialTokenSet::none(), SpecialTokenSet::all());
}

std::vector<Rank> Encoding::encode(std::string_view text, const SpecialTokenSet& allowed,
                                   const SpecialTokenSet& disallowed) const {
  require_valid_utf8(text);
  std::vector<Rank> out;
  out.reserve(text.size() / 4 + 8);
  PieceCache cache;
  encode_with_specials_into(text, allowed, disallowed, out, cache);
  return out;
}

void Encoding::encode_with_specials_into(std::string_view text, const SpecialTokenSet& allowed,
                                         const SpecialTokenSet& disallowed, std::vector<Rank>& out,
                                         PieceCache& cache) const {
  const auto check_names = [&](const SpecialTokenSet& set, std::string_view role) {
    for (const auto& name : set.tokens()) {
      const bool known = std::any_of(spec_.special_tokens.begin(), spec_.special_tokens.end(),
                                     [&](const SpecialToken& s) { return s.text == name; });
      if (!known) throw Error(fmt::format("{} special token `{}` is not a special token of encoding {}", role, name, spec_.name));
    }
  };
  check_names(allowed, "allowed");
  check_names(disallowed, "disallowed");

  std::vector<const SpecialToken*> allowed_tokens;
  for (const auto& special : spec_.special_tokens) {
    if (allowed.contains(special.text)) {
      allowed_tokens.push_back(&special);
    } else if (disallowed.contains(special.text)) {
      if (const std::size_t at = text.find(special.text); at != std::string_view::npos)
        throw Error(fmt::format("text contains the special token {} at byte offset {}, which is not allowed here "
                                "(allow it to encode it as a special token, or encode it as ordinary text)",
                                special.text, at));
    }
  }
  // next_at[k]: where allowed token k next occurs at or after `start` (npos: nowhere). Each
  // is searched again only once `start` has passed it, so many special tokens in a long text
  // cost one pass per token kind, not one per occurrence.
  std::vector<std::size_t> next_at(allowed_tokens.size());
  for (std::size_t k = 0; k < allowed_tokens.size(); ++k) next_at[k] = text.find(allowed_tokens[k]->text);
  std::size_t start = 0;
  while (true) {
    // The leftmost allowed special token from `start` (the longest, if two start together).
    std::size_t best_at = std::string_view::npos;
    const SpecialToken* best = nullptr;
    for (std::size_t k = 0; k < allowed_tokens.size(); ++k) {
      if (next_at[k] != std::string_view::npos && next_at[k] < start) next_at[k] = text.find(allowed_tokens[k]->text, start);
      const std::size_t at = next_at[k];
      if (at == std::string_view::npos) continue;
      if (at < best_at || (at == best_at && allowed_tokens[k]->text.size() > best->text.size())) {
        best_at = at;
        best = allowed_tokens[k];
      }
    }
    if (best == nullptr) break;
    encode_ordinary_into(text.substr(start, best_at - start), out, cache);
    out.push_back(best->rank);
    start = best_at + best->text.size();
  }
  encode_ordinary_into(text.substr(start), out, cache);
}

namespace {

// Runs job(i) for i in [0, count) on up to `threads` threads (0: all cores). The first
// error, by index, is rethrown naming the text.
// Each thread keeps one PieceCache across its texts, and encodes into its own scratch vector:
// results[i] is written once, at the end, because neighbouring results' vector headers share
// cache lines, and two threads appending to neighbours would bounce those lines (false sharing).
template <class Job>
void run_parallel(std::size_t count, unsigned threads, Job job) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, count));
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::size_t error_index = count;
  std::string error_message;
  const auto worker = [&] {
    PieceCache cache;
    std::vector<Rank> scratch;
    for (std::size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < count;) {
      try {
        job(i, cache, scratch);
      } catch (const std::exception& e) {
        const std::lock_guard lock(error_mutex);
        if (i < error_index) {
          error_index = i;
          error_message = e.what();
        }
      }
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    pool.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  if (error_index < count) throw Error(fmt::format("text {}: {}", error_index, error_message));
}

}  // namespace

std::vector<std::vector<Rank>> Encoding::encode_ordinary_batch(std::span<const std::string_view> texts,
                                                               unsigned threads) const {
  std::vector<std::vector<Rank>> results(texts.size());
  run_parallel(texts.size(), threads, [&](std::size_t i, PieceCache& cache, std::vector<Rank>& scratch) {
    require_valid_utf8(texts[i]);
    scratch.clear();
    encode_ordinary_into(texts[i], scratch, cache);
    results[i].assign(scratch.begin(), scratch.end());
  });
  return results;
}

std::vector<std::vector<Rank>> Encoding::encode_batch(std::span<const std::string_view> texts,
                                                      const SpecialTokenSet& allowed,
                                                      const SpecialTokenSet& disallowed, unsigned threads) const {
  std::vector<std::vector<Rank>> results(texts.size());
  run_parallel(texts.size(), threads, [&](std::size_t i, PieceCache& cache, std::vector<Rank>& scratch) {
    require_valid_utf8(texts[i]);
    scratch.clear();
    encode_with_specials_into(texts[i], allowed, disallowed, scratch, cache);
    results[i].assign(scratch.begin(), scratch.end());
  });
  return results;
}

// --- Decoding ---------------------------------------------------------------------------

std::string_view Encoding::token_bytes(Rank token) const {
  if (ranks_->has_rank(token)) return ranks_->bytes_of(token);
  for (const auto& special : spec_.special_tokens)
    if (special.rank == token) return special.text;
  if (token >= n_vocab_)
    throw Error(fmt::format("token id {} is out of range for encoding {}: its ids are 0 to {}", token, spec_.name,
                            n_vocab_ - 1));
  // A gap in the ids (cl100k_base has none at 100256, nor from 100261 to 100275).
  std::string specials;
  for (const auto& special : spec_.special_tokens)
    specials += fmt::format("{}{} {}", specials.empty() ? "" : ", ", special.rank, special.text);
  throw Error(
      fmt::format("token id {} is unused in encoding {}: no token has it. Its ordinary tokens are {} ids from "
                  "0 to {}{}",
                  token, spec_.name, ranks_->size(), ranks_->max_rank(),
                  specials.empty() ? std::string() : fmt::format(", its special tokens {}", specials)));
}

std::string Encoding::decode_bytes(std::span<const Rank> tokens) const {
  std::string out;
  out.reserve(tokens.size() * 4);
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    if (ranks_->has_rank(tokens[i])) {
      out += ranks_->bytes_of(tokens[i]);
      continue;
    }
    try {
      out += token_bytes(tokens[i]);
    } catch (const Error& e) {
      throw Error(fmt::format("token {} of {}: {}", i, tokens.size(), e.what()));
    }
  }
  return out;
}

std::string Encoding::decode(std::span<const Rank> tokens) const { return to_valid_utf8(decode_bytes(tokens)); }

std::optional<Rank> Encoding::token_of(std::string_view bytes) const {
  if (const Rank rank = ranks_->rank_of(bytes); rank != RankTable::kNone) return rank;
  for (const auto& special : spec_.special_tokens)
    if (special.text == bytes) return special.rank;
  return std::nullopt;
}

}  // namespace posemb::tokenizer
