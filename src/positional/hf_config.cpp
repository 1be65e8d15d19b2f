#include "posemb/positional/hf_config.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::positional {
namespace {

using nlohmann::json;

class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& message) const { throw Error(fmt::format("{}: {}", source_, message)); }

  const json* find(const json& object, std::string_view key) const {
    const auto it = object.find(std::string(key));
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<double> number(const json& object, std::string_view key, std::string_view where) const {
    const json* value = find(object, key);
    if (!value) return std::nullopt;
    if (!value->is_number()) fail(fmt::format("{}{} must be a number, got {}", where, key, value->type_name()));
    return value->get<double>();
  }

  std::optional<Index> integer(const json& object, std::string_view key, std::string_view where) const {
    const auto value = number(object, key, where);
    if (!value) return std::nullopt;
    if (std::floor(*value) != *value || std::abs(*value) > 9.0e15)
      fail(fmt::format("{}{} must be an integer, got {}", where, key, *value));
    return static_cast<Index>(*value);
  }

  std::vector<double> number_list(const json& object, std::string_view key, std::string_view where) const {
    const json* value = find(object, key);
    if (!value) return {};
    if (!value->is_array()) fail(fmt::format("{}{} must be a list of numbers, got {}", where, key, value->type_name()));
    std::vector<double> out;
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_number())
        fail(fmt::format("{}{}[{}] must be a number, got {}", where, key, i, (*value)[i].type_name()));
      out.push_back((*value)[i].get<double>());
    }
    return out;
  }

 private:
  std::string source_;
};

RopeScaling read_scaling(const ConfigReader& r, const json& s, std::string_view where) {
  RopeScaling out;
  const json* type = r.find(s, "rope_type");
  if (!type) type = r.find(s, "type");  // the key's name before transformers 4.42
  if (type) {
    if (!type->is_string()) r.fail(fmt::format("{}rope_type must be a string, got {}", where, type->type_name()));
    try {
      out.type = parse_rope_type(type->get<std::string>());
    } catch (const Error& e) {
      r.fail(e.what());
    }
  }
  out.factor = r.number(s, "factor", where);
  out.attention_factor = r.number(s, "attention_factor", where);
  out.beta_fast = r.number(s, "beta_fast", where);
  out.beta_slow = r.number(s, "beta_slow", where);
  out.mscale = r.number(s, "mscale", where);
  out.mscale_all_dim = r.number(s, "mscale_all_dim", where);
  if (const json* truncate = r.find(s, "truncate")) {
    if (!truncate->is_boolean()) r.fail(fmt::format("{}truncate must be true or false", where));
    out.truncate = truncate->get<bool>();
  }
  out.original_max_position_embeddings = r.integer(s, "original_max_position_embeddings", where);
  out.short_factor = r.number_list(s, "short_factor", where);
  out.long_factor = r.number_list(s, "long_factor", where);
  out.low_freq_factor = r.number(s, "low_freq_factor", where);
  out.high_freq_factor = r.number(s, "high_freq_factor", where);
  return out;
}

}  // namespace

RopeParams rope_params_from_hf_config(std::string_view json_text, std::string_view source_name) {
  const ConfigReader r(source_name);
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::parse_error& e) {
    r.fail(fmt::format("not valid JSON at byte {}: {}", e.byte, e.what()));
  } catch (const json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    r.fail(fmt::format("not valid JSON: {}", e.what()));
  }
  if (!root.is_object()) r.fail(fmt::format("expected a JSON object, got {}", root.type_name()));

  RopeParams p;
  const json* scaling = r.find(root, "rope_scaling");
  std::string where = "rope_scaling.";
  if (!scaling) {
    scaling = r.find(root, "rope_parameters");  // transformers 5.x
    where = "rope_parameters.";
  }
  if (scaling && !scaling->is_object()) r.fail(fmt::format("{} must be an object", where.substr(0, where.size() - 1)));
  if (scaling) p.scaling = read_scaling(r, *scaling, where);

  const auto head_dim = r.integer(root, "head_dim", "");
  auto hidden = r.integer(root, "hidden_size", "");
  if (!hidden) hidden = r.integer(root, "n_embd", "");
  auto heads = r.integer(root, "num_attention_heads", "");
  if (!heads) heads = r.integer(root, "n_head", "");
  if (head_dim) {
    p.head_dim = *head_dim;
  } else {
    if (!hidden || !heads) r.fail("needs head_dim, or hidden_size and num_attention_heads");
    if (*heads <= 0) r.fail(fmt::format("num_attention_heads must be positive, got {}", *heads));
    p.head_dim = *hidden / *heads;  // Python's `//`: both are positive here
  }
  if (p.head_dim <= 0) r.fail(fmt::format("head_dim must be positive, got {}", p.head_dim));
  // A config has no data to check sizes against, and the frequencies take head_dim / 2
  // floats: a head_dim of 4e9 asked for 8 GB (fuzz/hf_config_fuzz.cpp). Real heads are at
  // most a few hundred channels.
  constexpr Index kMaxHeadDim = Index{1} << 16;
  if (p.head_dim > kMaxHeadDim)
    r.fail(fmt::format("head_dim {} is larger than {}: not a transformer's head", p.head_dim, kMaxHeadDim));

  std::optional<double> theta = r.number(root, "rope_theta", "");
  if (!theta) theta = r.number(root, "rotary_emb_base", "");
  if (!theta && scaling) theta = r.number(*scaling, "rope_theta", where);
  p.theta = theta.value_or(10000.0);

  std::optional<double> partial = r.number(root, "partial_rotary_factor", "");
  if (!partial) partial = r.number(root, "rotary_pct", "");
  if (!partial && scaling) partial = r.number(*scaling, "partial_rotary_factor", where);
  const auto rotary_dim = r.integer(root, "rotary_dim", "");
  if (partial) {
    if (!(*partial > 0.0 && *partial <= 1.0)) r.fail(fmt::format("partial_rotary_factor must be in (0, 1], got {}", *partial));
    // int(head_dim * partial_rotary_factor), as transformers computes it.
    p.rotary_dim = static_cast<Index>(static_cast<double>(p.head_dim) * *partial);
  } else if (rotary_dim) {
    p.rotary_dim = *rotary_dim;
  } else {
    p.rotary_dim = p.head_dim;
  }

  auto max_positions = r.integer(root, "max_position_embeddings", "");
  if (!max_positions) max_positions = r.integer(root, "n_positions", "");
  p.max_position_embeddings = max_positions.value_or(0);
  p.config_original_max_position_embeddings = r.integer(root, "original_max_position_embeddings", "");
  // transformers 5.x keeps Phi-3's original length inside rope_parameters.
  if (!p.config_original_max_position_embeddings && p.scaling.type == RopeType::kLongrope &&
      where == "rope_parameters.")
    p.config_original_max_position_embeddings = p.scaling.original_max_position_embeddings;

  if (const json* model_type = r.find(root, "model_type"); model_type && model_type->is_string()) {
    const auto name = model_type->get<std::string>();
    if (name == "gptj" || name == "codegen") p.pairing = RopePairing::kInterleaved;
  }

  try {
    validate(p);
  } catch (const Error& e) {
    r.fail(e.what());
  }
  return p;
}

RopeParams rope_params_from_hf_config_file(const std::filesystem::path& path) {
  return rope_params_from_hf_config(io::read_file_bytes(path), path.string());
}

}  // namespace posemb::positional
