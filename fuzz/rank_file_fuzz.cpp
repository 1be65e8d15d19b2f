// libFuzzer target: a `.tiktoken` rank file, read as `posemb train --tokenizer FILE.tiktoken`
// reads it (TextTokenizer::from_name: GPT-2's pattern, no special tokens), then a short text
// encoded with the vocabulary it defines.
// Either posemb::Error or an encoding whose tokens decode back to the text, with the fast
// byte-pair merges equal to the reference on each piece.
//   scripts/fuzz.sh, or: build/fuzz/fuzz/rank_file_fuzz fuzz/corpus/rank_file -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "posemb/core/error.hpp"
#include "posemb/tokenizer/byte_pair_merge.hpp"
#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/pretokenizer.hpp"
#include "posemb/tokenizer/rank_file.hpp"
#include "posemb/tokenizer/rank_table.hpp"

namespace {

using namespace posemb::tokenizer;
using posemb::fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static const EncodingSpec spec = [] {
    EncodingSpec s = Encoding::spec_of("gpt2");
    s.name = "fuzz";
    s.special_tokens.clear();
    s.n_vocab.reset();
    return s;
  }();
  try {
    const Encoding encoding = Encoding::from_rank_bytes(spec, bytes, "fuzz.tiktoken");
    static constexpr std::string_view kText = "Hello world, héllo wörld! 12345 aaaa\n\tThe the THE <|endoftext|>";
    const std::vector<Rank> ids = encoding.encode_ordinary(kText);
    check(encoding.decode_bytes(ids) == kText);
    for (const Rank id : ids) check(id < encoding.n_vocab());
    const RankTable ranks(parse_tiktoken_ranks(bytes, "fuzz.tiktoken"), "fuzz.tiktoken");
    std::vector<Rank> expected, fast, heap;
    for (const std::string_view piece : split_into_pieces(spec.pattern, kText)) {
      expected.clear();
      fast.clear();
      heap.clear();
      byte_pair_encode_reference(piece, ranks, expected);
      byte_pair_encode(piece, ranks, fast);
      byte_pair_encode_heap(piece, ranks, heap);
      check(fast == expected && heap == expected);
    }
  } catch (const posemb::Error& e) {
    posemb::fuzz::refused(e);
  }
  return 0;
}
