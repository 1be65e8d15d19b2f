#pragma once
// UTF-8 checks and the lossy conversion, as Rust's str and WHATWG's TextDecoder define
// them: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace posemb::tokenizer {

// Byte offset of the first byte of the first invalid sequence, or nullopt if valid.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes);

// Throws posemb::Error "<what>: invalid UTF-8 at byte offset N (bytes ..)" if not valid.
void require_valid_utf8(std::string_view bytes, std::string_view what = "text");

// Valid UTF-8: each maximal ill-formed subpart becomes U+FFFD, as TextDecoder and
// Python's bytes.decode("utf-8", "replace") do (tiktoken's decode uses the latter).
std::string to_valid_utf8(std::string_view bytes);

}  // namespace posemb::tokenizer
