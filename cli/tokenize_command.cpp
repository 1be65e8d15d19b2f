// posemb tokenize / posemb decode: text <-> token ids with any known encoding.
//
//   posemb tokenize "Hello world"                 ids, space-separated
//   posemb tokenize --file corpus.txt --count     the number of tokens only
//   echo '"a"' | posemb tokenize --jsonl          one JSON string per line in, one JSON array out
//   posemb decode 15496 995                       ids back to text
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"
#include "posemb/tokenizer/encoding.hpp"
#include "posemb/tokenizer/utf8.hpp"
#include "token_lines.hpp"

namespace posemb::cli {

namespace {

using tokenizer::Encoding;
using tokenizer::Rank;
using tokenizer::SpecialTokenSet;

struct TokenizeOptions {
  std::string text;
  std::string file;
  std::string encoding = "gpt2";
  std::string format = "text";
  std::string allow_special;  // "", "all", or a comma-separated list
  bool ordinary = false;
  bool count = false;
  bool jsonl = false;
  bool lossy = false;
  unsigned threads = 0;
};

std::string read_all_stdin() {
  std::ostringstream buffer;
  buffer << std::cin.rdbuf();
  return buffer.str();
}

// The input named by the options: --file, the text argument, or standard input.
std::string input_of(const TokenizeOptions& o, bool text_given) {
  if (!o.file.empty()) {
    if (text_given) throw Error("give either a text or --file, not both");
    return io::read_file_bytes(o.file);
  }
  if (!text_given || o.text == "-") return read_all_stdin();
  return o.text;
}

SpecialTokenSet allowed_set(const std::string& allow) {
  if (allow.empty()) return SpecialTokenSet::none();
  if (allow == "all") return SpecialTokenSet::all();
  std::vector<std::string> names;
  std::stringstream list(allow);
  for (std::string name; std::getline(list, name, ',');)
    if (!name.empty()) names.push_back(name);
  return SpecialTokenSet::of(std::move(names));
}

// Special-token errors gain a hint about the command-line options.
std::vector<Rank> encode_one(const Encoding& encoding, const TokenizeOptions& o, std::string_view text) {
  if (o.ordinary) return encoding.encode_ordinary(text);
  try {
    return encoding.encode(text, allowed_set(o.allow_special));
  } catch (const Error& e) {
    const std::string message = e.what();
    if (message.find("special token") == std::string::npos || message.find("not allowed") == std::string::npos) throw;
    throw Error(message.substr(0, message.find(" (allow")) +
                " (pass --allow-special all to encode special tokens as such, or --ordinary to encode them as text)");
  }
}

void print_ids(const std::vector<Rank>& ids, const std::string& format) {
  std::string line;
  line.reserve(ids.size() * 6 + 4);
  if (format == "json") line += '[';
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) line += format == "json" ? "," : " ";
    line += std::to_string(ids[i]);
  }
  if (format == "json") line += ']';
  line += '\n';
  write_standard_output(line);
}

void run_tokenize(const TokenizeOptions& o, bool text_given) {
  const Encoding& encoding = Encoding::load(o.encoding);
  std::string input = input_of(o, text_given);
  const std::string what = o.file.empty() ? "input" : o.file;

  if (o.jsonl) {
    // One JSON string per line, one result per line (token_lines.hpp).
    const std::vector<std::string> texts = parse_jsonl_texts(input, what);
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    const auto results =
        o.ordinary ? encoding.encode_ordinary_batch(views, o.threads)
                   : encoding.encode_batch(views, allowed_set(o.allow_special), SpecialTokenSet::all(), o.threads);
    std::string out;
    for (const auto& ids : results) {
      if (o.count) {
        out += std::to_string(ids.size());
      } else {
        out += '[';
        for (std::size_t i = 0; i < ids.size(); ++i) {
          if (i) out += ',';
          out += std::to_string(ids[i]);
        }
        out += ']';
      }
      out += '\n';
    }
    write_standard_output(out);
    return;
  }

  if (o.lossy) {
    input = tokenizer::to_valid_utf8(input);
  } else {
    try {
      tokenizer::require_valid_utf8(input, what);
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + "; pass --lossy to replace invalid bytes with U+FFFD");
    }
  }
  const auto ids = encode_one(encoding, o, input);
  if (o.count) {
    fmt::print("{}\n", ids.size());
  } else {
    print_ids(ids, o.format);
  }
}

struct DecodeOptions {
  std::vector<std::string> ids;
  std::string encoding = "gpt2";
  bool bytes = false;
  bool jsonl = false;
};

void run_decode(const DecodeOptions& o) {
  const Encoding& encoding = Encoding::load(o.encoding);
  if (o.jsonl) {
    // One JSON array of ids per line in, one JSON string per line out (token_lines.hpp).
    const auto lists = parse_jsonl_id_lists(read_all_stdin(), "stdin");
    std::string out;
    for (std::size_t k = 0; k < lists.size(); ++k) {
      try {
        out += nlohmann::json(encoding.decode(lists[k])).dump() + "\n";
      } catch (const Error& e) {
        throw Error(fmt::format("stdin:{}: {}", k + 1, e.what()));
      }
    }
    write_standard_output(out);
    return;
  }
  std::vector<Rank> ids;
  if (o.ids.empty() || (o.ids.size() == 1 && o.ids[0] == "-")) {
    ids = parse_id_list(read_all_stdin(), "stdin");
  } else {
    for (std::size_t k = 0; k < o.ids.size(); ++k) {
      const auto some = parse_id_list(o.ids[k], fmt::format("argument {}", k + 1));
      ids.insert(ids.end(), some.begin(), some.end());
    }
  }
  write_standard_output(o.bytes ? encoding.decode_bytes(ids) : encoding.decode(ids) + '\n');
}

std::string encodings_help() {
  return fmt::format("encoding: {} (gpt2 and r50k_base are built in; the others read <name>.tiktoken from "
                     "$POSEMB_ENCODINGS_DIR or the installed data folder)",
                     fmt::join(Encoding::known_names(), ", "));
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* tokenize = app.add_subcommand("tokenize", "Text to token ids, identical to tiktoken");
  tokenize->footer(
      "Text that contains a special token such as <|endoftext|> is refused, as tiktoken's encode() does,\n"
      "unless --allow-special or --ordinary says what it means. Input must be valid UTF-8 (--lossy\n"
      "replaces invalid bytes with U+FFFD).");
  auto* text = tokenize->add_option("text", options->text, "text to tokenize; `-` or nothing reads standard input");
  tokenize->add_option("-f,--file", options->file, "read the text from this file");
  tokenize->add_option("-e,--encoding", options->encoding, encodings_help())->capture_default_str();
  tokenize->add_option("--format", options->format, "how to print ids: text (space-separated) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  tokenize->add_flag("-c,--count", options->count, "print only the number of tokens");
  tokenize->add_flag("--jsonl", options->jsonl,
                     "batch mode: each input line is a JSON string; each output line the JSON array of its ids "
                     "(or its count with --count)");
  tokenize->add_option("--allow-special", options->allow_special,
                       "encode these special tokens as such: `all` or a comma-separated list");
  tokenize->add_flag("--ordinary", options->ordinary, "encode special tokens as ordinary text");
  tokenize->add_flag("--lossy", options->lossy, "replace invalid UTF-8 with U+FFFD instead of failing (not for --jsonl, whose strings are JSON)");
  tokenize->add_option("-j,--threads", options->threads, "threads for --jsonl (0: all cores)")->capture_default_str();
  tokenize->callback([options, text] {
    if (options->ordinary && !options->allow_special.empty()) throw Error("--ordinary and --allow-special exclude each other");
    run_tokenize(*options, text->count() > 0);
  });

  auto decode_options = std::make_shared<DecodeOptions>();
  CLI::App* decode = app.add_subcommand("decode", "Token ids to text");
  decode->footer("Ids may be separated by spaces or commas and wrapped in [ ] (the output of tokenize).\n"
                 "Bytes that are not valid UTF-8 (a character cut between tokens) print as U+FFFD unless --bytes.");
  decode->add_option("ids", decode_options->ids, "token ids; `-` or nothing reads them from standard input");
  decode->add_option("-e,--encoding", decode_options->encoding, encodings_help())->capture_default_str();
  decode->add_flag("--bytes", decode_options->bytes, "write the tokens' raw bytes (no newline, no replacement)");
  decode->add_flag("--jsonl", decode_options->jsonl,
                   "batch mode: each stdin line is a JSON array of ids; each output line a JSON string");
  decode->callback([decode_options] { run_decode(*decode_options); });
}

}  // namespace posemb::cli
