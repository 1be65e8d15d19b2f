#include "posemb/model/config.hpp"

#include <fmt/format.h>

#include <array>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/json_integer.hpp"
#include "posemb/core/error.hpp"
#include "posemb/core/memory_budget.hpp"

namespace posemb::model {
namespace {

constexpr std::array<std::pair<PositionScheme, std::string_view>, 7> kSchemeNames{{
    {PositionScheme::kNone, "none"},
    {PositionScheme::kLearned, "learned"},
    {PositionScheme::kSinusoidal, "sinusoidal"},
    {PositionScheme::kRope, "rope"},
    {PositionScheme::kAlibi, "alibi"},
    {PositionScheme::kT5, "t5"},
    {PositionScheme::kShaw, "shaw"},
}};

void require(bool ok, std::string_view parameter, const std::string& rule) {
  if (!ok) throw Error(fmt::format("model config: {} {}", parameter, rule));
}

}  // namespace

std::string_view scheme_name(PositionScheme scheme) {
  for (const auto& [s, name] : kSchemeNames)
    if (s == scheme) return name;
  return "?";
}

PositionScheme parse_position_scheme(std::string_view name) {
  if (name == "nope") return PositionScheme::kNone;
  for (const auto& [s, n] : kSchemeNames)
    if (n == name) return s;
  std::string valid;
  for (const auto& [s, n] : kSchemeNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw Error(fmt::format("unknown positional scheme '{}' (valid: {})", name, valid));
}

std::vector<PositionScheme> all_position_schemes() {
  std::vector<PositionScheme> out;
  for (const auto& [s, n] : kSchemeNames) out.push_back(s);
  return out;
}

void validate(const GptConfig& c) {
  require(c.vocab_size >= 1 && c.vocab_size <= std::numeric_limits<std::int32_t>::max(), "vocab_size",
          fmt::format("must be in [1, 2^31) (is {})", c.vocab_size));
  require(c.context_length >= 1, "context_length", fmt::format("must be ≥ 1 (is {})", c.context_length));
  require(c.layers >= 1, "layers", fmt::format("must be ≥ 1 (is {})", c.layers));
  require(c.heads >= 1, "heads", fmt::format("must be ≥ 1 (is {})", c.heads));
  require(c.channels >= 1 && c.channels % c.heads == 0, "channels",
          fmt::format("must be a positive multiple of heads ({}) (is {})", c.heads, c.channels));
  switch (c.scheme) {
    case PositionScheme::kRope:
      require(c.head_dim() % 2 == 0, "channels / heads",
              fmt::format("must be even for RoPE, which rotates pairs of channels (is {})", c.head_dim()));
      require(c.rope_theta > 1.0, "rope_theta", fmt::format("must be > 1 (is {})", c.rope_theta));
      break;
    case PositionScheme::kSinusoidal:
      require(c.channels % 2 == 0, "channels",
              fmt::format("must be even for sinusoidal positions (is {})", c.channels));
      require(c.sinusoidal_base > 1.0, "sinusoidal_base", fmt::format("must be > 1 (is {})", c.sinusoidal_base));
      break;
    case PositionScheme::kT5:
      require(c.t5_num_buckets >= 2, "t5_num_buckets", fmt::format("must be ≥ 2 (is {})", c.t5_num_buckets));
      require(c.t5_max_distance > c.t5_num_buckets / 2, "t5_max_distance",
              fmt::format("must be > t5_num_buckets / 2 = {} (is {})", c.t5_num_buckets / 2, c.t5_max_distance));
      break;
    case PositionScheme::kShaw:
      require(c.shaw_max_relative_position >= 1, "shaw_max_relative_position",
              fmt::format("must be ≥ 1 (is {})", c.shaw_max_relative_position));
      break;
    default:
      break;
  }
  const double parameters = parameter_count(c);
  require_allocation(fmt::format("model config: vocab_size {}, context_length {}, layers {}, channels {}", c.vocab_size,
                                 c.context_length, c.layers, c.channels),
                     MemoryEstimate().add(fmt::format("its {:.3g} parameters and their gradients", parameters),
                                          2 * parameters * sizeof(float)));
}

double parameter_count(const GptConfig& c) {
  const auto v = static_cast<double>(c.vocab_size), l = static_cast<double>(c.context_length),
             ch = static_cast<double>(c.channels), d = static_cast<double>(c.head_dim());
  double per_layer = 12 * ch * ch + 13 * ch;
  if (c.scheme == PositionScheme::kShaw)
    per_layer += 2 * (2 * static_cast<double>(c.shaw_max_relative_position) + 1) * d;
  double total = v * ch + static_cast<double>(c.layers) * per_layer + 2 * ch;
  if (c.scheme == PositionScheme::kLearned) total += l * ch;
  if (c.scheme == PositionScheme::kT5) total += static_cast<double>(c.t5_num_buckets) * static_cast<double>(c.heads);
  return total;
}

Index max_sequence_length(const GptConfig& config) {
  return config.scheme == PositionScheme::kLearned ? config.context_length : std::numeric_limits<Index>::max();
}

std::string config_to_json(const GptConfig& c) {
  nlohmann::ordered_json j;
  j["vocab_size"] = c.vocab_size;
  j["context_length"] = c.context_length;
  j["layers"] = c.layers;
  j["heads"] = c.heads;
  j["channels"] = c.channels;
  j["scheme"] = std::string(scheme_name(c.scheme));
  j["rope_theta"] = c.rope_theta;
  j["sinusoidal_base"] = c.sinusoidal_base;
  j["t5_num_buckets"] = c.t5_num_buckets;
  j["t5_max_distance"] = c.t5_max_distance;
  j["shaw_max_relative_position"] = c.shaw_max_relative_position;
  return j.dump(2);
}

GptConfig config_from_json(std::string_view text, std::string_view where) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON at byte {}: {}", where, e.byte, e.what()));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    throw Error(fmt::format("{}: not valid JSON: {}", where, e.what()));
  }
  if (!j.is_object()) throw Error(fmt::format("{}: the model config must be a JSON object", where));
  GptConfig c;
  auto read_int = [&](const char* key, Index& out, bool required) {
    if (!j.contains(key)) {
      if (required) throw Error(fmt::format("{}: missing key '{}'", where, key));
      return;
    }
    const std::optional<Index> value = json_integer<Index>(j[key]);
    if (!value) throw Error(fmt::format("{}: '{}' must be an integer", where, key));
    out = *value;
  };
  auto read_double = [&](const char* key, double& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number()) throw Error(fmt::format("{}: '{}' must be a number", where, key));
    out = j[key].get<double>();
  };
  read_int("vocab_size", c.vocab_size, true);
  read_int("context_length", c.context_length, true);
  read_int("layers", c.layers, true);
  read_int("heads", c.heads, true);
  read_int("channels", c.channels, true);
  if (!j.contains("scheme") || !j["scheme"].is_string())
    throw Error(fmt::format("{}: missing string key 'scheme'", where));
  try {
    c.scheme = parse_position_scheme(j["scheme"].get<std::string>());
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  read_double("rope_theta", c.rope_theta);
  read_double("sinusoidal_base", c.sinusoidal_base);
  read_int("t5_num_buckets", c.t5_num_buckets, false);
  read_int("t5_max_distance", c.t5_max_distance, false);
  read_int("shaw_max_relative_position", c.shaw_max_relative_position, false);
  try {
    validate(c);
  } catch (const Error& e) {
    throw Error(fmt::format("{}: {}", where, e.what()));
  }
  return c;
}

}  // namespace posemb::model
