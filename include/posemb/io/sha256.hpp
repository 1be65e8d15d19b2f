#pragma once
// SHA-256 of a byte string, as lowercase hex (what sha256sum and Python's
// hashlib.sha256(...).hexdigest() print). Computed by OpenSSL's libcrypto.
#include <string>
#include <string_view>

namespace posemb::io {

std::string sha256_hex(std::string_view bytes);

}  // namespace posemb::io
