#pragma once
// Loads tests/goldens/tokenizer/<encoding>.json (made by tools/goldens/tokenizer/make_goldens.mjs
// from npm tiktoken): the ids tiktoken gives for each case.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "posemb/io/file.hpp"
#include "posemb/tokenizer/encoding.hpp"

namespace posemb::tokenizer::testing {

struct GoldenCase {
  std::string name;
  std::string text;
  std::vector<Rank> ordinary;
  std::optional<std::vector<Rank>> encode;  // nullopt: tiktoken refused the text
  std::vector<Rank> all_special;
};

struct GoldenPolicyCase {
  std::string text;
  SpecialTokenSet allowed = SpecialTokenSet::none();
  SpecialTokenSet disallowed = SpecialTokenSet::all();
  std::optional<std::vector<Rank>> ids;
};

struct GoldenDecodeCase {
  std::vector<Rank> ids;
  std::string bytes;
  std::string text;
};

struct Goldens {
  std::vector<GoldenCase> cases;
  std::vector<GoldenPolicyCase> policy;
  std::vector<GoldenDecodeCase> decode;
};

inline std::string hex_to_bytes(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

inline Goldens load_goldens(const std::string& encoding) {
  const auto json = nlohmann::json::parse(io::read_file_bytes(std::string(POSEMB_GOLDENS_DIR) + "/tokenizer/" + encoding + ".json"));
  Goldens g;
  for (const auto& c : json.at("cases")) {
    GoldenCase gc{c.at("name"), c.at("text"), c.at("ordinary").get<std::vector<Rank>>(), std::nullopt,
                  c.at("all_special").get<std::vector<Rank>>()};
    if (!c.at("encode").is_null()) gc.encode = c.at("encode").get<std::vector<Rank>>();
    g.cases.push_back(std::move(gc));
  }
  const auto to_set = [](const nlohmann::json& j) {
    return j.is_string() ? SpecialTokenSet::all() : SpecialTokenSet::of(j.get<std::vector<std::string>>());
  };
  for (const auto& c : json.at("special_policy")) {
    GoldenPolicyCase pc{c.at("text"), to_set(c.at("allowed")), to_set(c.at("disallowed")), std::nullopt};
    if (!c.at("ids").is_null()) pc.ids = c.at("ids").get<std::vector<Rank>>();
    g.policy.push_back(std::move(pc));
  }
  for (const auto& c : json.at("decode"))
    g.decode.push_back({c.at("ids").get<std::vector<Rank>>(), hex_to_bytes(c.at("bytes_hex")), c.at("text")});
  return g;
}

}  // namespace posemb::tokenizer::testing
