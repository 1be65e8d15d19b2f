#pragma once
// The tiny GPT's configuration: sizes and the positional scheme, parsed and validated once
// (validate(), from_json) so that the model and its kernels can trust it.
//
// The model (gpt.hpp): token embedding [vocab, channels] → `layers` pre-LayerNorm blocks of
// causal multi-head attention and a GELU MLP (4 × channels) → final LayerNorm → logits through
// the token embedding again (tied output head), as GPT-2.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/shape.hpp"

namespace posemb::model {

// Where each scheme acts (positional/scheme.hpp has the full vocabulary):
//   kNone                              no positions (causal masking only: NoPE)
//   kLearned, kSinusoidal              added to the token embeddings
//   kRope                              rotates queries and keys in every layer
//   kAlibi, kT5                        bias the attention scores by distance
//   kShaw                              relative keys and values in every layer
enum class PositionScheme : std::uint8_t { kNone, kLearned, kSinusoidal, kRope, kAlibi, kT5, kShaw };

// "none", "learned", "sinusoidal", "rope", "alibi", "t5", "shaw"
std::string_view scheme_name(PositionScheme scheme);
// The inverse ("nope" is accepted for "none"); throws posemb::Error listing the valid names.
PositionScheme parse_position_scheme(std::string_view name);
std::vector<PositionScheme> all_position_schemes();

struct GptConfig {
  Index vocab_size = 256;
  // The training length L. Learned positions have exactly this many rows, so a learned
  // model cannot see longer sequences; every other scheme can.
  Index context_length = 128;
  Index layers = 4;
  Index heads = 4;
  Index channels = 256;  // divisible by heads
  PositionScheme scheme = PositionScheme::kLearned;

  // Scheme parameters (only the chosen scheme's are read).
  double rope_theta = 10000.0;       // RoPE base; rotate-half pairing over the whole head
  double sinusoidal_base = 10000.0;  // interleaved sin/cos (Vaswani et al.)
  Index t5_num_buckets = 32;         // causal buckets (T5 decoder), shared by all layers
  Index t5_max_distance = 128;
  Index shaw_max_relative_position = 16;  // clip distance k; tables [2k + 1, head_dim] per layer

  Index head_dim() const { return channels / heads; }
};

// Throws posemb::Error naming the parameter and its value; also when the model's parameters
// and their gradients (which Gpt allocates when it is built) could not fit in memory.
void validate(const GptConfig& config);

// The number of parameters of a model of this config, as Gpt lays them out (without the
// alignment padding): the token embedding V·C, learned positions L·C, per layer 12·C² + 13·C
// (and 2·(2k + 1)·D for Shaw), T5's num_buckets·H, the final LayerNorm 2·C. A double, so that
// an impossible config is a large number, not an overflow.
double parameter_count(const GptConfig& config);

// The longest sequence the model accepts: context_length for learned positions, else
// unlimited (memory permitting).
Index max_sequence_length(const GptConfig& config);

// JSON text (pretty-printed) and back; from_json validates and names the key that is wrong,
// prefixed with `where` (e.g. a file name).
std::string config_to_json(const GptConfig& config);
GptConfig config_from_json(std::string_view json_text, std::string_view where);

}  // namespace posemb::model
