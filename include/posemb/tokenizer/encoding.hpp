#pragma once
// A byte-level BPE encoding, token for token identical to OpenAI's tiktoken.
//
//   text --(pre-tokenizer: the encoding's regular expression, hand-written)--> pieces
//        --(byte-pair merge by rank)--> token ids (ranks)
//
// Encodings known by name: gpt2 and r50k_base (built in: no files needed), p50k_base,
// cl100k_base and o200k_base (loaded from standard `.tiktoken` rank files: one
// `base64(token bytes) rank` line per token). Their rank bytes, built in or read, must be
// OpenAI's published files, by size and SHA-256, as tiktoken checks them. See docs/tokenizer.md.
//
// Text must be valid UTF-8; invalid input throws posemb::Error naming the byte offset
// (use to_valid_utf8() from utf8.hpp first for a lossy conversion). Encoding objects are
// immutable after construction and safe to use from many threads at once.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "posemb/tokenizer/pretokenizer.hpp"
#include "posemb/tokenizer/rank_file.hpp"

namespace posemb::tokenizer {

using Rank = std::uint32_t;

class RankTable;
class PieceCache;

// A set of special tokens, by their text: all of the encoding's, none, or a list.
// Mirrors tiktoken's allowed_special / disallowed_special arguments.
class SpecialTokenSet {
 public:
  static SpecialTokenSet all() { return SpecialTokenSet(true, {}); }
  static SpecialTokenSet none() { return SpecialTokenSet(false, {}); }
  static SpecialTokenSet of(std::vector<std::string> tokens) { return SpecialTokenSet(false, std::move(tokens)); }

  bool is_all() const { return all_; }
  const std::vector<std::string>& tokens() const { return tokens_; }
  bool contains(std::string_view token) const;

 private:
  SpecialTokenSet(bool all, std::vector<std::string> tokens) : all_(all), tokens_(std::move(tokens)) {}
  bool all_;
  std::vector<std::string> tokens_;
};

struct SpecialToken {
  std::string text;
  Rank rank;
};

// What defines an encoding besides its ranks.
struct EncodingSpec {
  std::string name;
  Pattern pattern;                          // the pre-tokenizer's regular expression
  std::vector<SpecialToken> special_tokens;
  std::optional<std::size_t> n_vocab;       // checked against the ranks when present
  std::string rank_file;                    // file name of the ranks, e.g. "cl100k_base.tiktoken"
  // The published rank file's size and SHA-256, for the known encodings (tiktoken's
  // expected_hash): rank bytes that do not match are refused before they are parsed, since a
  // truncated or edited vocabulary would otherwise load and tokenize wrongly without a word.
  // Empty for other vocabularies; drop it when reusing a known spec for another file.
  std::optional<RankFileDigest> rank_file_digest;
};

class Encoding {
 public:
  // Built in (the gpt2 rank table is compiled into the library).
  static const Encoding& gpt2();

  // The names known to load(): gpt2, r50k_base, p50k_base, cl100k_base, o200k_base.
  static std::vector<std::string> known_names();
  static const EncodingSpec& spec_of(std::string_view name);  // throws on an unknown name

  // An encoding by name. gpt2 and r50k_base need no files; the others read
  // `<name>.tiktoken` from `directory` if given, else from the first folder that has it
  // among $POSEMB_ENCODINGS_DIR, the installed data folder and the source tree's
  // data/encodings. Loaded encodings are cached: each is read once per process.
  static const Encoding& load(std::string_view name, const std::filesystem::path& directory = {});

  // An encoding from any rank file and spec (e.g. a custom vocabulary). The file's size and
  // SHA-256 are checked first when the spec has a rank_file_digest.
  static Encoding from_rank_file(EncodingSpec spec, const std::filesystem::path& rank_file);
  // Same, from the file's bytes; `source` names them in error messages.
  static Encoding from_rank_bytes(EncodingSpec spec, std::string_view rank_file_bytes, std::string_view source);

  Encoding(Encoding&&) noexcept;
  Encoding& operator=(Encoding&&) noexcept;
  ~Encoding();

  const std::string& name() const { return spec_.name; }
  Pattern pattern() const { return spec_.pattern; }
  const std::vector<SpecialToken>& special_tokens() const { return spec_.special_tokens; }
  // One past the largest token id, special tokens included (tiktoken's n_vocab).
  std::size_t n_vocab() const { return n_vocab_; }

  // Refuses (posemb::Error) text that contains any special token: like tiktoken's encode(text).
  std::vector<Rank> encode(std::string_view text) const;
  // tiktoken's encode(text, allowed_special, disallowed_special): allowed special tokens
  // become their ids; text containing a disallowed one is refused; special tokens in
  // neither set are plain text. `disallowed` = all means every special token not allowed.
  std::vector<Rank> encode(std::string_view text, const SpecialTokenSet& allowed,
                           const SpecialTokenSet& disallowed = SpecialTokenSet::all()) const;
  // Special tokens are plain text.
  std::vector<Rank> encode_ordinary(std::string_view text) const;

  // Many texts at once on `threads` threads (0: all cores); results in input order.
  std::vector<std::vector<Rank>> encode_ordinary_batch(std::span<const std::string_view> texts,
                                                       unsigned threads = 0) const;
  std::vector<std::vector<Rank>> encode_batch(std::span<const std::string_view> texts, const SpecialTokenSet& allowed,
                                              const SpecialTokenSet& disallowed = SpecialTokenSet::all(),
                                              unsigned threads = 0) const;

  // The tokens' bytes, concatenated; throws on an id that is not a token (naming it and its index).
  std::string decode_bytes(std::span<const Rank> tokens) const;
  // The same bytes as text: invalid UTF-8 (tokens cut inside a character) becomes U+FFFD.
  std::string decode(std::span<const Rank> tokens) const;
  // The bytes of one token; throws on an unknown id.
  std::string_view token_bytes(Rank token) const;
  // The id of a piece of text that is exactly one token (ordinary or special), if any.
  std::optional<Rank> token_of(std::string_view bytes) const;

 private:
  Encoding(EncodingSpec spec, std::unique_ptr<RankTable> ranks);
  void encode_ordinary_into(std::string_view text, std::vector<Rank>& out, PieceCache& cache) const;
  void encode_piece_into(std::string_view piece, std::vector<Rank>& out, PieceCache& cache) const;
  void encode_with_specials_into(std::string_view text, const SpecialTokenSet& allowed,
                                 const SpecialTokenSet& disallowed, std::vector<Rank>& out, PieceCache& cache) const;

  EncodingSpec spec_;
  std::unique_ptr<RankTable> ranks_;
  std::size_t n_vocab_ = 0;
};

}  // namespace posemb::tokenizer
