#include "posemb/positional/rope_scaling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "posemb/core/error.hpp"
#include "posemb/core/memory_budget.hpp"

namespace posemb::positional {
namespace {

constexpr RopeType kAllTypes[] = {RopeType::kDefault, RopeType::kLinear,   RopeType::kDynamic,
                                  RopeType::kYarn,    RopeType::kLongrope, RopeType::kLlama3};

[[noreturn]] void fail(const std::string& message) { throw Error("rope: " + message); }

double require(const std::optional<double>& value, std::string_view scaling, std::string_view key, RopeType type) {
  if (!value) fail(fmt::format("{}.{} is required for rope_type '{}'", scaling, key, rope_type_name(type)));
  return *value;
}

void require_positive(const std::optional<double>& value, std::string_view scaling, std::string_view key) {
  if (value && !(*value > 0.0 && std::isfinite(*value)))
    fail(fmt::format("{}.{} must be a finite number greater than 0, got {}", scaling, key, *value));
}

// theta^(2i/d) in float32 as `base ** (torch.arange(0, d, 2).float() / d)` computes it: the
// exponent is a float32 quotient, the Python float base is rounded to float32.
float theta_power(double theta, Index i, Index rotary_dim) {
  const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
  return std::pow(static_cast<float>(theta), exponent);
}

std::vector<float> default_inv_freq(double theta, Index rotary_dim) {
  std::vector<float> inv(static_cast<std::size_t>(rotary_dim / 2));
  for (Index i = 0; i < rotary_dim / 2; ++i) inv[static_cast<std::size_t>(i)] = 1.0f / theta_power(theta, i, rotary_dim);
  return inv;
}

RopeFrequencies yarn(const RopeParams& p) {
  const RopeScaling& s = p.scaling;
  const Index dim = p.rotary_dim;
  const double factor = *s.factor;
  // v4.57: the factor is the one given; the original length defaults to max_position_embeddings.
  const double original =
      static_cast<double>(s.original_max_position_embeddings.value_or(p.max_position_embeddings));
  const auto get_mscale = [](double scale, double mscale) {
    return scale <= 1.0 ? 1.0 : 0.1 * mscale * std::log(scale) + 1.0;
  };
  double attention = 0.0;
  if (s.attention_factor) {
    attention = *s.attention_factor;
  } else if (s.mscale.value_or(0.0) != 0.0 && s.mscale_all_dim.value_or(0.0) != 0.0) {
    attention = get_mscale(factor, *s.mscale) / get_mscale(factor, *s.mscale_all_dim);
  } else {
    attention = get_mscale(factor, 1.0);
  }
  // `beta_fast or 32`: a 0 in the config also means the default, as in Python.
  const double beta_fast = s.beta_fast.value_or(0.0) != 0.0 ? *s.beta_fast : 32.0;
  const double beta_slow = s.beta_slow.value_or(0.0) != 0.0 ? *s.beta_slow : 1.0;
  const double log_theta = std::log(p.theta);
  const auto correction_dim = [&](double rotations) {
    return (static_cast<double>(dim) * std::log(original / (rotations * 2.0 * std::numbers::pi))) / (2.0 * log_theta);
  };
  double low = correction_dim(beta_fast);
  double high = correction_dim(beta_slow);
  if (s.truncate) {
    low = std::floor(low);
    high = std::ceil(high);
  }
  low = std::max(low, 0.0);
  high = std::min(high, static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // the reference's guard against a zero-width ramp

  RopeFrequencies out;
  out.attention_factor = static_cast<float>(attention);
  out.inv_freq.resize(static_cast<std::size_t>(dim / 2));
  const float low32 = static_cast<float>(low);
  const float width32 = static_cast<float>(high - low);
  const float factor32 = static_cast<float>(factor);
  for (Index i = 0; i < dim / 2; ++i) {
    const float pos_freq = theta_power(p.theta, i, dim);
    const float extrapolation = 1.0f / pos_freq;
    const float interpolation = 1.0f / (factor32 * pos_freq);
    const float ramp = std::clamp((static_cast<float>(i) - low32) / width32, 0.0f, 1.0f);
    const float extrapolation_weight = 1.0f - ramp;
    out.inv_freq[static_cast<std::size_t>(i)] =
        interpolation * (1.0f - extrapolation_weight) + extrapolation * extrapolation_weight;
  }
  return out;
}

RopeFrequencies longrope(const RopeParams& p, std::optional<Index> seq_len) {
  const RopeScaling& s = p.scaling;
  const Index dim = p.rotary_dim;
  // v4.57: a top-level original_max_position_embeddings (Phi-3) overrides the factor with
  // max_position_embeddings / original.
  double factor = s.factor.value_or(1.0);
  Index original = p.max_position_embeddings;
  if (p.config_original_max_position_embeddings) {
    original = *p.config_original_max_position_embeddings;
    factor = static_cast<double>(p.max_position_embeddings) / static_cast<double>(original);
  }
  double attention = 1.0;
  if (s.attention_factor) {
    attention = *s.attention_factor;
  } else if (factor > 1.0) {
    attention = std::sqrt(1.0 + std::log(factor) / std::log(static_cast<double>(original)));
  }
  const bool use_long = seq_len && *seq_len > original;
  const std::vector<double>& ext = use_long ? s.long_factor : s.short_factor;
  RopeFrequencies out;
  out.attention_factor = static_cast<float>(attention);
  out.inv_freq.resize(static_cast<std::size_t>(dim / 2));
  for (Index i = 0; i < dim / 2; ++i) {
    const float e = static_cast<float>(ext[static_cast<std::size_t>(i)]);
    out.inv_freq[static_cast<std::size_t>(i)] = 1.0f / (e * theta_power(p.theta, i, dim));
  }
  return out;
}

RopeFrequencies llama3(const RopeParams& p) {
  const RopeScaling& s = p.scaling;
  RopeFrequencies out;
  out.inv_freq = default_inv_freq(p.theta, p.rotary_dim);
  const double old_context = static_cast<double>(*s.original_max_position_embeddings);
  const float factor = static_cast<float>(*s.factor);
  const float low_factor = static_cast<float>(*s.low_freq_factor);
  const float low_wavelen = static_cast<float>(old_context / *s.low_freq_factor);
  const float high_wavelen = static_cast<float>(old_context / *s.high_freq_factor);
  const float ramp_width = static_cast<float>(*s.high_freq_factor - *s.low_freq_factor);
  const float two_pi = static_cast<float>(2.0 * std::numbers::pi);
  const float old_context32 = static_cast<float>(old_context);
  for (float& inv : out.inv_freq) {
    const float wavelen = two_pi / inv;
    const float scaled = wavelen > low_wavelen ? inv / factor : inv;
    const bool medium = !(wavelen < high_wavelen) && !(wavelen > low_wavelen);
    if (medium) {
      const float smooth = (old_context32 / wavelen - low_factor) / ramp_width;
      inv = (1.0f - smooth) * scaled / factor + smooth * scaled;
    } else {
      inv = scaled;
    }
  }
  return out;
}

}  // namespace

std::string_view rope_type_name(RopeType type) {
  switch (type) {
    case RopeType::kDefault: return "default";
    case RopeType::kLinear: return "linear";
    case RopeType::kDynamic: return "dynamic";
    case RopeType::kYarn: return "yarn";
    case RopeType::kLongrope: return "longrope";
    case RopeType::kLlama3: return "llama3";
  }
  return "?";
}

std::string known_rope_type_names() {
  std::string known;
  for (const RopeType type : kAllTypes) {
    known += known.empty() ? "" : ", ";
    known += rope_type_name(type);
  }
  return known;
}

RopeType parse_rope_type(std::string_view name) {
  for (const RopeType type : kAllTypes)
    if (rope_type_name(type) == name) return type;
  throw Error(fmt::format("unknown rope_type '{}' (known: {})", name, known_rope_type_names()));
}

void validate(const RopeParams& p, const RopeParamKeys& keys) {
  const std::string_view sk = keys.scaling;
  if (p.head_dim <= 0) fail(fmt::format("head_dim must be positive, got {}", p.head_dim));
  if (p.rotary_dim <= 0 || p.rotary_dim % 2 != 0)
    fail(fmt::format("rotary dim must be even and positive, got {} (from {})", p.rotary_dim, keys.rotary_dim));
  if (p.rotary_dim > p.head_dim)
    fail(fmt::format("rotary dim {} (from {}) is larger than head_dim {}", p.rotary_dim, keys.rotary_dim, p.head_dim));
  if (!(p.theta > 1.0) || !std::isfinite(p.theta))
    fail(fmt::format("{} must be a finite number greater than 1, got {}", keys.theta, p.theta));
  if (!(p.kept_frequency_fraction >= 0.0 && p.kept_frequency_fraction <= 1.0))
    fail(fmt::format("p-RoPE kept fraction must be in [0, 1], got {}", p.kept_frequency_fraction));
  const RopeScaling& s = p.scaling;
  const RopeType t = s.type;
  require_positive(s.factor, sk, "factor");
  require_positive(s.attention_factor, sk, "attention_factor");
  require_positive(s.beta_fast, sk, "beta_fast");
  require_positive(s.beta_slow, sk, "beta_slow");
  const auto need_max_positions = [&] {
    if (p.max_position_embeddings <= 0)
      fail(fmt::format("max_position_embeddings must be positive for rope_type '{}', got {}", rope_type_name(t),
                       p.max_position_embeddings));
  };
  switch (t) {
    case RopeType::kDefault: break;
    case RopeType::kLinear: require(s.factor, sk, "factor", t); break;
    case RopeType::kDynamic:
      require(s.factor, sk, "factor", t);
      need_max_positions();
      if (p.rotary_dim <= 2) fail("rotary dim must be more than 2 for dynamic scaling (exponent d / (d - 2))");
      break;
    case RopeType::kYarn: {
      require(s.factor, sk, "factor", t);
      if (!s.original_max_position_embeddings) need_max_positions();
      if (s.original_max_position_embeddings && *s.original_max_position_embeddings <= 0)
        fail(fmt::format("{}.original_max_position_embeddings must be positive", sk));
      if (s.beta_fast.value_or(32.0) < s.beta_slow.value_or(1.0))
        fail(fmt::format("{}.beta_fast ({}) must not be less than beta_slow ({})", sk, s.beta_fast.value_or(32.0),
                         s.beta_slow.value_or(1.0)));
      break;
    }
    case RopeType::kLongrope: {
      need_max_positions();
      if (s.short_factor.empty()) fail(fmt::format("{}.short_factor is required for rope_type 'longrope'", sk));
      if (s.long_factor.empty()) fail(fmt::format("{}.long_factor is required for rope_type 'longrope'", sk));
      const auto half = static_cast<std::size_t>(p.rotary_dim / 2);
      for (const auto* list : {&s.short_factor, &s.long_factor}) {
        const char* key = list == &s.short_factor ? "short_factor" : "long_factor";
        if (list->size() != half)
          fail(fmt::format("{}.{} must have rotary_dim / 2 = {} values, got {}", sk, key, half, list->size()));
        for (const double v : *list)
          if (!(v > 0.0 && std::isfinite(v)))
            fail(fmt::format("{}.{} values must be finite and greater than 0, got {}", sk, key, v));
      }
      if (p.config_original_max_position_embeddings && *p.config_original_max_position_embeddings <= 0)
        fail("original_max_position_embeddings must be positive");
      break;
    }
    case RopeType::kLlama3: {
      require(s.factor, sk, "factor", t);
      const double low = require(s.low_freq_factor, sk, "low_freq_factor", t);
      const double high = require(s.high_freq_factor, sk, "high_freq_factor", t);
      if (!s.original_max_position_embeddings)
        fail(fmt::format("{}.original_max_position_embeddings is required for rope_type 'llama3'", sk));
      if (*s.original_max_position_embeddings <= 0)
        fail(fmt::format("{}.original_max_position_embeddings must be positive", sk));
      if (!(low > 0.0)) fail(fmt::format("{}.low_freq_factor must be greater than 0, got {}", sk, low));
      if (low >= high)
        fail(fmt::format("{}.low_freq_factor ({}) must be less than high_freq_factor ({})", sk, low, high));
      break;
    }
  }
}

RopeFrequencies compute_rope_frequencies(const RopeParams& p, std::optional<Index> seq_len) {
  validate(p);
  if (seq_len && *seq_len < 0) fail(fmt::format("sequence length must be 0 or more, got {}", *seq_len));
  require_allocation(
      fmt::format("rope: head_dim {}, rotary dim {}", p.head_dim, p.rotary_dim),
      MemoryEstimate().add("the inverse frequencies", {p.rotary_dim / 2}, sizeof(float), "float32 values"));
  RopeFrequencies out;
  switch (p.scaling.type) {
    case RopeType::kDefault: out.inv_freq = default_inv_freq(p.theta, p.rotary_dim); break;
    case RopeType::kLinear: {
      out.inv_freq = default_inv_freq(p.theta, p.rotary_dim);
      const float factor = static_cast<float>(*p.scaling.factor);
      for (float& v : out.inv_freq) v /= factor;
      break;
    }
    case RopeType::kDynamic: {
      const double factor = *p.scaling.factor;
      const double max_positions = static_cast<double>(p.max_position_embeddings);
      const double length = std::max(static_cast<double>(seq_len.value_or(p.max_position_embeddings)), max_positions);
      const double d = static_cast<double>(p.rotary_dim);
      const double theta = p.theta * std::pow(factor * length / max_positions - (factor - 1.0), d / (d - 2.0));
      out.inv_freq = default_inv_freq(theta, p.rotary_dim);
      break;
    }
    case RopeType::kYarn: out = yarn(p); break;
    case RopeType::kLongrope: out = longrope(p, seq_len); break;
    case RopeType::kLlama3: out = llama3(p); break;
  }
  // p-RoPE: frequencies fall with the index, so the highest ones come first.
  const auto half = static_cast<Index>(out.inv_freq.size());
  const auto kept = static_cast<Index>(std::floor(p.kept_frequency_fraction * static_cast<double>(half) + 1e-9));
  for (Index i = kept; i < half; ++i) out.inv_freq[static_cast<std::size_t>(i)] = 0.0f;
  return out;
}

}  // namespace posemb::positional
