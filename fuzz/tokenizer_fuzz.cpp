// libFuzzer target: the pre-tokenizer and the encoders on arbitrary bytes.
//   byte 0 picks the encoding (gpt2, cl100k_base, o200k_base); the rest is the input.
// Never a crash or sanitizer report; pieces tile the input; valid UTF-8 round-trips through
// encode/decode (ordinary and with special tokens allowed); invalid UTF-8 is refused with
// posemb::Error and round-trips after the lossy conversion; the fast byte-pair merge equals
// the reference on short inputs.
//   cmake --preset fuzz && cmake --build --preset fuzz && build/fuzz/fuzz/tokenizer_fuzz -max_total_time=300
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/tokenizer/byte_pair_merge.hpp"
#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/pretokenizer.hpp"
#include "posemb/tokenizer/rank_file.hpp"
#include "posemb/tokenizer/utf8.hpp"

namespace {

using namespace posemb::tokenizer;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const kEncodings[] = {"gpt2", "cl100k_base", "o200k_base"};
  const Encoding& encoding = Encoding::load(kEncodings[data[0] % 3]);
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string joined;
  for (const auto piece : split_into_pieces(encoding.pattern(), input)) {
    check(!piece.empty());
    joined += piece;
  }
  check(joined == input);

  if (!first_invalid_utf8(input)) {
    const auto ids = encoding.encode_ordinary(input);
    check(encoding.decode_bytes(ids) == input);
    check(encoding.decode(ids) == input);
    check(encoding.decode_bytes(encoding.encode(input, SpecialTokenSet::all())) == input);
  } else {
    bool refused = false;
    try {
      (void)encoding.encode_ordinary(input);
    } catch (const posemb::Error&) {
      refused = true;
    }
    check(refused);
    const std::string text = to_valid_utf8(input);
    check(encoding.decode_bytes(encoding.encode_ordinary(text)) == text);
  }

  if (!input.empty() && input.size() <= 64) {
    static const RankTable& ranks = *new RankTable([] {
      // The r50k ranks, as the built-in encoding has them.
      std::vector<std::pair<std::string, Rank>> tokens;
      const Encoding& gpt2 = Encoding::gpt2();
      for (Rank r = 0; r + 1 < gpt2.n_vocab(); ++r) tokens.emplace_back(std::string(gpt2.token_bytes(r)), r);
      return tokens;
    }(), "r50k");
    std::vector<Rank> expected, fast, heap;
    byte_pair_encode_reference(input, ranks, expected);
    byte_pair_encode(input, ranks, fast);
    byte_pair_encode_heap(input, ranks, heap);
    check(fast == expected && heap == expected);
  }
  return 0;
}
