#pragma once
// What a test can check of a written picture without a viewer: a PNG's signature and the
// width/height in its IHDR chunk; an SVG's root element and its width/height attributes.
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

namespace posemb::testing {

struct ImageSize {
  std::uint32_t width = 0, height = 0;
};

// The size of a PNG, or nullopt when the bytes do not start like one (8-byte signature, then
// an IHDR chunk of 13 bytes: width and height big-endian).
inline std::optional<ImageSize> png_size(const std::string& bytes) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 33 || bytes.compare(0, 8, kSignature) != 0 || bytes.compare(12, 4, "IHDR") != 0)
    return std::nullopt;
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return ImageSize{u32(16), u32(20)};
}

// The size declared by an SVG's root element (cairo writes width="900pt" height="600pt").
inline std::optional<ImageSize> svg_size(const std::string& text) {
  std::smatch m;
  if (text.find("<svg") == std::string::npos || text.find("</svg>") == std::string::npos) return std::nullopt;
  if (!std::regex_search(text, m, std::regex(R"(<svg[^>]*\bwidth="(\d+)(?:pt|px)?"[^>]*\bheight="(\d+)(?:pt|px)?")")))
    return std::nullopt;
  return ImageSize{static_cast<std::uint32_t>(std::stoul(m[1])), static_cast<std::uint32_t>(std::stoul(m[2]))};
}

}  // namespace posemb::testing
