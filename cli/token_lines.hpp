#pragma once
// The token-id and JSON-lines inputs of `posemb tokenize` and `posemb decode`, parsed apart
// from the commands so that tests (tests/cli/token_lines_test.cpp) and the fuzzer
// (fuzz/token_lines_fuzz.cpp) reach them without running the binary.
//
// Lines are separated by '\n' (a '\r' before it is JSON white space); a last line without
// '\n' counts, and a final '\n' does not start another line. Errors are posemb::Error and
// name `where` (a file name, "input", "stdin", "argument 2") with the line number or byte
// offset.
#include <string>
#include <string_view>
#include <vector>

#include "posemb/tokenizer/encoding.hpp"

namespace posemb::cli {

// `posemb decode 15496 995`: ids separated by white space or commas, optionally inside [ ]
// ("15496 995", "[15496,995]"); each below 2^32.
std::vector<tokenizer::Rank> parse_id_list(std::string_view text, std::string_view where);

// `posemb tokenize --jsonl`: one JSON string per line, one text per line. A blank line is an
// error (it would have no result to keep the output aligned with the input).
std::vector<std::string> parse_jsonl_texts(std::string_view input, std::string_view where);

// `posemb decode --jsonl`: one JSON array of token ids per line, ids being JSON integers in
// [0, 2^32) (not 1.5, true, -1 or "1"). A blank line is an error, as for tokenize --jsonl.
std::vector<std::vector<tokenizer::Rank>> parse_jsonl_id_lists(std::string_view input, std::string_view where);

}  // namespace posemb::cli
