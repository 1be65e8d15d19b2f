#include "posemb/positional/hf_config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/io/file.hpp"

namespace posemb::positional {
namespace {

using nlohmann::json;

[[noreturn]] void fail_in(std::string_view source, const std::string& message) {
  throw Error(fmt::format("{}: {}", source, message));
}

// Python's json module, which transformers reads config.json with, accepts NaN, Infinity and
// numbers too large for a double (1e400 becomes inf), and transformers would go on to compute
// NaN frequencies with them. nlohmann::json refuses all three, at a byte offset; this SAX pass
// follows the keys so that the error can say which value it was.
class JsonLocator final : public nlohmann::json_sax<json> {
 public:
  explicit JsonLocator(std::string_view text) : text_(text) {}

  const std::string& message() const { return message_; }

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool string(string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool start_object(std::size_t) override {
    value();
    frames_.push_back({false, {}, 0});
    return true;
  }
  bool key(string_t& name) override {
    frames_.back().key = name;
    return true;
  }
  bool end_object() override {
    frames_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override {
    value();
    frames_.push_back({true, {}, 0});
    return true;
  }
  bool end_array() override {
    frames_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string& last_token, const nlohmann::detail::exception& e) override {
    // The value being read when it failed: the current key, or the next index of an array.
    const std::string where = path(/*pending=*/true);
    const std::string named = where.empty() ? "" : where + ": ";
    const std::string token = token_at(position);
    if (e.id == 406) {  // out_of_range: "number overflow parsing '1e400'"
      message_ = fmt::format("{}{} is not a finite number (it overflows a double)", named, last_token);
    } else if (token == "NaN" || token == "Infinity" || token == "-Infinity") {
      message_ = fmt::format("{}{} is not a finite number (JSON has no NaN or Infinity)", named, token);
    } else {
      message_ = fmt::format("not valid JSON at byte {}: {}", position, e.what());
    }
    return false;
  }

 private:
  struct Frame {
    bool is_array;
    std::string key;    // objects: the key of the value being read
    std::size_t count;  // arrays: values started so far
  };

  bool value() {
    if (!frames_.empty() && frames_.back().is_array) ++frames_.back().count;
    return true;
  }

  // "rope_scaling.short_factor[3]". After a value has started, an array's index is count - 1;
  // while it is being read (an error), count.
  std::string path(bool pending) const {
    std::string out;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      const bool innermost = i + 1 == frames_.size();
      if (f.is_array) {
        out += fmt::format("[{}]", f.count - (innermost && pending ? 0 : 1));
      } else {
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out;
  }

  // The whole word the parser stopped in: it stops at the "N" of "NaN", the "I" of
  // "-Infinity". `position` counts the bytes read, the last one included.
  std::string token_at(std::size_t position) const {
    const auto word = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.';
    };
    const std::size_t read = std::min(position, text_.size());
    std::size_t begin = read;
    while (begin > 0 && word(text_[begin - 1])) --begin;
    std::size_t end = read;
    while (end < text_.size() && word(text_[end])) ++end;
    return std::string(text_.substr(begin, end - begin));
  }

  std::string_view text_;
  std::vector<Frame> frames_;
  std::string message_;
};

class ConfigReader {
 public:
  explicit ConfigReader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& message) const { fail_in(source_, message); }

  // A value that is there and not null (transformers treats `"key": null` as absent).
  static const json* find(const json& object, std::string_view key) {
    const auto it = object.find(std::string(key));
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
  }

  // `where` is the object's key and a dot ("rope_scaling."), empty at the top level.
  std::optional<double> number(const json& object, std::string_view key, std::string_view where) const {
    const json* value = find(object, key);
    if (!value) return std::nullopt;
    if (!value->is_number()) fail(fmt::format("{}{} must be a number, got {}", where, key, value->type_name()));
    return value->get<double>();
  }

  // A count (head_dim, a length): a whole number, 0 or more.
  std::optional<Index> count(const json& object, std::string_view key, std::string_view where) const {
    const auto value = number(object, key, where);
    if (!value) return std::nullopt;
    if (std::floor(*value) != *value || *value < 0.0 || *value > 9.0e15)
      fail(fmt::format("{}{} must be a whole number, 0 or more, got {}", where, key, *value));
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

// Which release's rules read a RoPE block: `rope_scaling` is read as transformers v4.57 reads
// it, `rope_parameters` (which exists only from 5.0) as 5.x reads it. They differ in which of
// `type` and `rope_type` wins and in whether a block without a type is valid.
enum class Dialect { kV457, kV5 };

struct RopeBlock {
  RopeScaling scaling;
  bool has_type = false;
  std::string type_key;           // the key the type was read from, e.g. "rope_scaling.type"
  std::optional<double> theta;    // rope_theta inside the block
  std::optional<double> partial;  // partial_rotary_factor inside the block
};

// Keys that only mean something for a rope_type other than 'default'.
constexpr const char* kScalingKeys[] = {"factor",       "attention_factor", "beta_fast",      "beta_slow",
                                        "mscale",       "mscale_all_dim",   "truncate",       "short_factor",
                                        "long_factor",  "low_freq_factor",  "high_freq_factor"};

RopeBlock read_block(const ConfigReader& r, const json& s, std::string_view name, Dialect dialect) {
  const std::string where = std::string(name) + ".";
  RopeBlock out;
  // Which key names the type. A key that is present decides even when it is null: transformers
  // then has rope_type None, which no ROPE_INIT_FUNCTIONS entry matches.
  //   v4.57, every model config's __init__ (e.g. models/llama/configuration_llama.py):
  //     # BC: if there is a 'type' field, copy it it to 'rope_type'.
  //     if self.rope_scaling is not None and "type" in self.rope_scaling:
  //         self.rope_scaling["rope_type"] = self.rope_scaling["type"]
  //   so `type` overwrites `rope_type`.
  //   5.x, RotaryEmbeddingConfigMixin.standardize_rope_params (modeling_rope_utils.py):
  //     rope_parameters.setdefault("rope_type", rope_parameters.get("type", "default"))
  //   so `rope_type` is kept and `type` only fills it in.
  const char* first = dialect == Dialect::kV457 ? "type" : "rope_type";
  const char* second = dialect == Dialect::kV457 ? "rope_type" : "type";
  const char* type_name = s.contains(first) ? first : s.contains(second) ? second : nullptr;
  if (type_name) {
    const json& type = s.at(type_name);
    out.type_key = where + type_name;
    if (!type.is_string()) r.fail(fmt::format("{} must be a string, got {}", out.type_key, type.type_name()));
    try {
      out.scaling.type = parse_rope_type(type.get<std::string>());
    } catch (const Error& e) {
      r.fail(fmt::format("{}: {}", out.type_key, e.what()));
    }
    out.has_type = true;
  } else {
    const char* scaling_key = nullptr;
    for (const char* key : kScalingKeys)
      if (ConfigReader::find(s, key)) {
        scaling_key = key;
        break;
      }
    if (dialect == Dialect::kV457) {
      // v4.57's rotary embeddings look up ROPE_INIT_FUNCTIONS[rope_scaling.get("rope_type",
      // rope_scaling.get("type"))], a KeyError for None: the model cannot be built.
      r.fail(fmt::format("{}{} has no 'rope_type' (or 'type'): a type is required (known: {}); transformers "
                         "v4.57 cannot build a model from it",
                         scaling_key ? where + scaling_key + " is given but " : "", name, known_rope_type_names()));
    }
    // 5.x takes 'default' and ignores the scaling keys (with an "unrecognized keys" warning).
    if (scaling_key)
      r.fail(fmt::format("{}{} is given but {} has no 'rope_type': a type is required (known: {}); transformers "
                         "5 would use 'default' and ignore it",
                         where, scaling_key, name, known_rope_type_names()));
  }
  RopeScaling& sc = out.scaling;
  sc.factor = r.number(s, "factor", where);
  sc.attention_factor = r.number(s, "attention_factor", where);
  sc.beta_fast = r.number(s, "beta_fast", where);
  sc.beta_slow = r.number(s, "beta_slow", where);
  sc.mscale = r.number(s, "mscale", where);
  sc.mscale_all_dim = r.number(s, "mscale_all_dim", where);
  if (const json* truncate = ConfigReader::find(s, "truncate")) {
    if (!truncate->is_boolean())
      r.fail(fmt::format("{}truncate must be true or false, got {}", where, truncate->type_name()));
    sc.truncate = truncate->get<bool>();
  }
  sc.original_max_position_embeddings = r.count(s, "original_max_position_embeddings", where);
  sc.short_factor = r.number_list(s, "short_factor", where);
  sc.long_factor = r.number_list(s, "long_factor", where);
  sc.low_freq_factor = r.number(s, "low_freq_factor", where);
  sc.high_freq_factor = r.number(s, "high_freq_factor", where);
  out.theta = r.number(s, "rope_theta", where);
  out.partial = r.number(s, "partial_rotary_factor", where);
  return out;
}

std::string show(const std::optional<double>& v) { return v ? fmt::format("{}", *v) : "absent"; }
std::string show(const std::optional<Index>& v) { return v ? fmt::format("{}", *v) : "absent"; }
std::string show(const std::vector<double>& v) {
  return v.empty() ? "absent" : fmt::format("[{}]", fmt::join(v, ", "));
}

// The first key on which two blocks say different things, with both values; empty if none.
std::string first_difference(const RopeBlock& a, const RopeBlock& b) {
  const RopeScaling& x = a.scaling;
  const RopeScaling& y = b.scaling;
  const auto type_of = [](const RopeBlock& blk) {
    return blk.has_type ? std::string(rope_type_name(blk.scaling.type)) : std::string("absent");
  };
  const auto differ = [](std::string_view key, const std::string& u, const std::string& v) {
    return u == v ? std::string() : fmt::format("{} ({} and {})", key, u, v);
  };
  for (const std::string& d :
       {differ("rope_type", type_of(a), type_of(b)), differ("factor", show(x.factor), show(y.factor)),
        differ("attention_factor", show(x.attention_factor), show(y.attention_factor)),
        differ("beta_fast", show(x.beta_fast), show(y.beta_fast)),
        differ("beta_slow", show(x.beta_slow), show(y.beta_slow)),
        differ("mscale", show(x.mscale), show(y.mscale)),
        differ("mscale_all_dim", show(x.mscale_all_dim), show(y.mscale_all_dim)),
        differ("truncate", x.truncate ? "true" : "false", y.truncate ? "true" : "false"),
        differ("original_max_position_embeddings", show(x.original_max_position_embeddings),
               show(y.original_max_position_embeddings)),
        differ("short_factor", show(x.short_factor), show(y.short_factor)),
        differ("long_factor", show(x.long_factor), show(y.long_factor)),
        differ("low_freq_factor", show(x.low_freq_factor), show(y.low_freq_factor)),
        differ("high_freq_factor", show(x.high_freq_factor), show(y.high_freq_factor))})
    if (!d.empty()) return d;
  return {};
}

}  // namespace

RopeParams rope_params_from_hf_config(std::string_view json_text, std::string_view source_name) {
  const ConfigReader r(source_name);
  JsonLocator locator(json_text);
  if (!json::sax_parse(json_text.begin(), json_text.end(), &locator)) r.fail(locator.message());
  const json root = json::parse(json_text.begin(), json_text.end());
  if (!root.is_object()) r.fail(fmt::format("expected a JSON object, got {}", root.type_name()));

  // The RoPE block: `rope_scaling` (4.x) or `rope_parameters` (5.x). When both are there, v4.57
  // reads only rope_scaling, and so does 5.x (PreTrainedConfig.convert_rope_params_to_dict:
  // `self.rope_parameters = rope_scaling or self.rope_parameters`); a config that says two
  // different things is refused rather than read the way one release happens to read it.
  const json* v4 = ConfigReader::find(root, "rope_scaling");
  const json* v5 = ConfigReader::find(root, "rope_parameters");
  if (v4 && !v4->is_object()) r.fail(fmt::format("rope_scaling must be an object, got {}", v4->type_name()));
  if (v5 && !v5->is_object()) r.fail(fmt::format("rope_parameters must be an object, got {}", v5->type_name()));
  if (v5)
    for (const auto& [key, value] : v5->items())
      if (value.is_object())
        r.fail(fmt::format("rope_parameters.{} is an object: RoPE parameters per layer type are not supported "
                           "(posemb reads one RoPE for the whole model)",
                           key));
  std::optional<RopeBlock> block;
  std::optional<RopeBlock> unread_parameters;  // rope_parameters beside rope_scaling
  std::string_view block_name;
  if (v4) {
    block = read_block(r, *v4, "rope_scaling", Dialect::kV457);
    block_name = "rope_scaling";
  }
  const auto disagree = [&](const std::string& what) {
    r.fail(fmt::format("rope_scaling and rope_parameters disagree on {}: transformers v4.57 and 5.x would both read "
                       "rope_scaling and ignore rope_parameters; give one of them",
                       what));
  };
  if (v5) {
    RopeBlock parameters = read_block(r, *v5, "rope_parameters", Dialect::kV5);
    if (block) {
      if (const std::string d = first_difference(*block, parameters); !d.empty()) disagree(d);
      unread_parameters = std::move(parameters);
    } else {
      block = std::move(parameters);
      block_name = "rope_parameters";
    }
  }
  const bool v5_format = block_name == "rope_parameters";
  const std::string where = block ? std::string(block_name) + "." : std::string();

  RopeParams p;
  if (block) p.scaling = block->scaling;

  // head_dim, or hidden_size // num_attention_heads (GPT-2 style configs: n_embd / n_head).
  const auto head_dim = r.count(root, "head_dim", "");
  const char* hidden_key = ConfigReader::find(root, "hidden_size") ? "hidden_size" : "n_embd";
  const char* heads_key = ConfigReader::find(root, "num_attention_heads") ? "num_attention_heads" : "n_head";
  const auto hidden = r.count(root, hidden_key, "");
  const auto heads = r.count(root, heads_key, "");
  if (head_dim) {
    if (*head_dim == 0) r.fail("head_dim must be positive, got 0");
    p.head_dim = *head_dim;
  } else {
    if (!hidden || !heads) r.fail("needs head_dim, or hidden_size and num_attention_heads");
    if (*heads == 0) r.fail(fmt::format("{} must be positive, got 0", heads_key));
    p.head_dim = *hidden / *heads;  // Python's `//`: both are 0 or more here
    if (p.head_dim == 0)
      r.fail(fmt::format("head dimension {} // {} = {} // {} is 0", hidden_key, heads_key, *hidden, *heads));
  }
  // A config has no data to check sizes against, and the frequencies take head_dim / 2
  // floats: a head_dim of 4e9 asked for 8 GB (fuzz/hf_config_fuzz.cpp). Real heads are at
  // most a few hundred channels.
  constexpr Index kMaxHeadDim = Index{1} << 16;
  if (p.head_dim > kMaxHeadDim)
    r.fail(fmt::format("head_dim {} is larger than {}: not a transformer's head", p.head_dim, kMaxHeadDim));

  // rope_theta. v4.57 reads only the top-level key (GPT-NeoX: rotary_emb_base), default
  // 10000. 5.x prefers the block's own rope_theta:
  //   rope_theta = kwargs.pop("rope_theta", getattr(self, "rope_theta", self.default_theta))
  //   self.rope_parameters.setdefault("rope_theta", rope_theta)
  const char* top_theta_key = ConfigReader::find(root, "rope_theta") ? "rope_theta" : "rotary_emb_base";
  const std::optional<double> top_theta = r.number(root, top_theta_key, "");
  std::string theta_key = top_theta ? top_theta_key : "rope_theta";
  p.theta = top_theta.value_or(10000.0);
  const std::string theta_said =
      top_theta ? fmt::format("{} ({})", top_theta_key, *top_theta) : "the default rope_theta (10000)";
  if (block && block->theta) {
    if (v5_format) {
      p.theta = *block->theta;
      theta_key = where + "rope_theta";
    } else if (*block->theta != p.theta) {
      // v4.57 ignores rope_scaling.rope_theta; 5.x, reading the same file, would use it.
      r.fail(fmt::format("rope_scaling.rope_theta ({}) disagrees with {}: transformers v4.57 reads only the "
                         "top-level key, 5.x prefers rope_scaling's; give one value",
                         *block->theta, theta_said));
    }
  }

  // The rotated channels: partial_rotary_factor (GPT-NeoX: rotary_pct), or rotary_dim (GPT-J,
  // CodeGen) as a channel count; 5.x may keep the factor inside rope_parameters. Which one a 5.x
  // model uses when both are given depends on the model's config class, so two values that
  // differ are refused.
  const char* top_partial_key =
      ConfigReader::find(root, "partial_rotary_factor") ? "partial_rotary_factor" : "rotary_pct";
  std::optional<double> partial = r.number(root, top_partial_key, "");
  std::string partial_key = top_partial_key;
  if (block && block->partial) {
    if (partial && *partial != *block->partial)
      r.fail(fmt::format("{}partial_rotary_factor ({}) disagrees with {} ({}); give one value", where,
                         *block->partial, top_partial_key, *partial));
    if (!partial && !v5_format && *block->partial != 1.0)
      r.fail(fmt::format("rope_scaling.partial_rotary_factor ({}) is not read by transformers v4.57, which rotates "
                         "the whole head here, but 5.x would use it; move it to the top level",
                         *block->partial));
    if (!partial) partial_key = where + "partial_rotary_factor";
    partial = block->partial;
  }
  // rope_parameters' own theta and factor, when rope_scaling is read instead, must say what
  // rope_scaling and the top-level keys say.
  if (unread_parameters && unread_parameters->theta && *unread_parameters->theta != p.theta)
    disagree(fmt::format("rope_theta (rope_parameters.rope_theta {} and {})", *unread_parameters->theta, theta_said));
  if (unread_parameters && unread_parameters->partial && *unread_parameters->partial != partial.value_or(1.0))
    disagree(fmt::format("partial_rotary_factor ({} and {})", *unread_parameters->partial, partial.value_or(1.0)));
  const auto rotary_dim = r.count(root, "rotary_dim", "");
  std::string rotary_from = "head_dim";
  if (partial) {
    if (!(*partial > 0.0 && *partial <= 1.0))
      r.fail(fmt::format("{} must be in (0, 1], got {}", partial_key, *partial));
    // int(head_dim * partial_rotary_factor), as transformers computes it.
    p.rotary_dim = static_cast<Index>(static_cast<double>(p.head_dim) * *partial);
    rotary_from = fmt::format("int(head dimension {} x {} {})", p.head_dim, partial_key, *partial);
  } else if (rotary_dim) {
    p.rotary_dim = *rotary_dim;
    rotary_from = "rotary_dim";
  } else {
    p.rotary_dim = p.head_dim;
  }

  const char* max_key = ConfigReader::find(root, "max_position_embeddings") ? "max_position_embeddings" : "n_positions";
  p.max_position_embeddings = r.count(root, max_key, "").value_or(0);
  p.config_original_max_position_embeddings = r.count(root, "original_max_position_embeddings", "");
  // transformers 5.x keeps Phi-3's original length inside rope_parameters.
  if (!p.config_original_max_position_embeddings && p.scaling.type == RopeType::kLongrope && v5_format)
    p.config_original_max_position_embeddings = p.scaling.original_max_position_embeddings;

  if (const json* model_type = ConfigReader::find(root, "model_type")) {
    if (!model_type->is_string()) r.fail(fmt::format("model_type must be a string, got {}", model_type->type_name()));
    const auto name = model_type->get<std::string>();
    if (name == "gptj" || name == "codegen") p.pairing = RopePairing::kInterleaved;
  }

  try {
    validate(p, RopeParamKeys{block ? block_name : "rope_scaling", theta_key, rotary_from});
  } catch (const Error& e) {
    r.fail(e.what());
  }
  return p;
}

RopeParams rope_params_from_hf_config_file(const std::filesystem::path& path) {
  return rope_params_from_hf_config(io::read_file_bytes(path), path.string());
}

}  // namespace posemb::positional
