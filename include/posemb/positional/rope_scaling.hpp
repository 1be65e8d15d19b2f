#pragma once
// RoPE frequencies: everything Hugging Face `transformers` derives from a model's config
// (`rope_theta`, `rope_scaling` / `rope_parameters`, `partial_rotary_factor`, ...) before it
// rotates anything: the inverse frequencies inv_freq[rotary_dim / 2] and the attention factor
// that multiplies cos and sin.
//
// Pinned to transformers v4.57 (`src/transformers/modeling_rope_utils.py`,
// `_compute_*_parameters`); docs/positional.md lists what differs in other releases (YaRN's
// factor / original length above all). Every float32 step is done in float32 in the same
// order as the PyTorch code, so the results match it to the last bit or two.
//
//   kDefault   inv_freq[i] = 1 / theta^(2i / rotary_dim)
//   kLinear    default / factor                                   (position interpolation)
//   kDynamic   default with theta' = theta (f s / L - (f - 1))^(d / (d - 2)),
//              s = max(seq_len, L), L = max_position_embeddings   (NTK-aware, per length)
//   kYarn      blend of default and default / factor over a ramp between the dimensions that
//              turn beta_fast and beta_slow times in the original length; attention factor
//              0.1 ln(f) + 1 (or the mscale / mscale_all_dim ratio, or given)
//   kLongrope  1 / (ext_i theta^(2i/d)), ext = short_factor for seq_len <= original length,
//              long_factor above; attention factor sqrt(1 + ln f / ln original)
//   kLlama3    default, with low frequencies divided by factor and a smooth ramp between
//              low_freq_factor and high_freq_factor
//
// p-RoPE (Barbero et al. 2024) is applied last: only the highest `kept_frequency_fraction` of
// the frequencies are kept; the rest are set to 0 (those channels do not rotate).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/shape.hpp"
#include "posemb/kernels/rope.hpp"

namespace posemb::positional {

using kernels::RopePairing;

enum class RopeType { kDefault, kLinear, kDynamic, kYarn, kLongrope, kLlama3 };

// "default", "linear", "dynamic", "yarn", "longrope", "llama3"
std::string_view rope_type_name(RopeType type);
// Inverse of rope_type_name; throws posemb::Error naming the unknown value and the known ones.
RopeType parse_rope_type(std::string_view name);
// The names parse_rope_type knows, comma-separated, for error messages.
std::string known_rope_type_names();

// The contents of `rope_scaling` (4.x) / `rope_parameters` (5.x).
struct RopeScaling {
  RopeType type = RopeType::kDefault;
  std::optional<double> factor;            // required for linear, dynamic, yarn, llama3
  std::optional<double> attention_factor;  // yarn, longrope
  std::optional<double> beta_fast;         // yarn, default 32
  std::optional<double> beta_slow;         // yarn, default 1
  std::optional<double> mscale;            // yarn (DeepSeek)
  std::optional<double> mscale_all_dim;    // yarn (DeepSeek)
  bool truncate = true;                    // yarn: floor/ceil the correction range
  std::optional<Index> original_max_position_embeddings;  // yarn, llama3 (required for llama3)
  std::vector<double> short_factor;        // longrope, rotary_dim / 2 values
  std::vector<double> long_factor;         // longrope, rotary_dim / 2 values
  std::optional<double> low_freq_factor;   // llama3
  std::optional<double> high_freq_factor;  // llama3
};

struct RopeParams {
  Index head_dim = 0;
  Index rotary_dim = 0;  // rotated channels per head: even, <= head_dim (partial rotary when less)
  double theta = 10000.0;
  Index max_position_embeddings = 0;  // used by dynamic, yarn, longrope
  // Top-level `original_max_position_embeddings` of the config (Phi-3 longrope), not the one
  // inside rope_scaling.
  std::optional<Index> config_original_max_position_embeddings;
  RopeScaling scaling;
  double kept_frequency_fraction = 1.0;  // p-RoPE: 1 = plain RoPE, 0 = NoPE
  RopePairing pairing = RopePairing::kHalves;
};

// The config keys the parameters came from, for validate's messages: a transformers 5 config
// keeps the scaling in `rope_parameters`, GPT-NeoX calls theta `rotary_emb_base`, and the
// rotary dimension is a product of keys (rope_params_from_hf_config fills these in).
struct RopeParamKeys {
  std::string_view scaling = "rope_scaling";
  std::string_view theta = "rope_theta";
  std::string_view rotary_dim = "rotary_dim";
};

// Throws posemb::Error naming the parameter (e.g. "rope_scaling.factor").
void validate(const RopeParams& params, const RopeParamKeys& keys = {});

struct RopeFrequencies {
  std::vector<float> inv_freq;    // [rotary_dim / 2]
  float attention_factor = 1.0f;  // multiplies cos and sin
};

// seq_len matters for kDynamic (the frequencies depend on it) and kLongrope (short vs long
// factors); Hugging Face passes max(position_ids) + 1 of the current forward. Without it both
// behave as at initialisation (seq_len = max_position_embeddings / the original length).
RopeFrequencies compute_rope_frequencies(const RopeParams& params, std::optional<Index> seq_len = std::nullopt);

}  // namespace posemb::positional
