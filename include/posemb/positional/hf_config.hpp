#pragma once
// Reads the RoPE part of a Hugging Face model's `config.json` into validated RopeParams.
//
// Keys read (others are ignored, as transformers ignores keys it does not use):
//   head_dim, or hidden_size / num_attention_heads   (GPT-J / GPT-2 style: n_embd / n_head)
//   rope_theta (GPT-NeoX: rotary_emb_base; 5.x: rope_parameters.rope_theta), default 10000
//   partial_rotary_factor (GPT-NeoX: rotary_pct; 5.x: rope_parameters.partial_rotary_factor),
//     or rotary_dim (GPT-J, CodeGen) as a channel count
//   max_position_embeddings (or n_positions), original_max_position_embeddings (Phi-3)
//   rope_scaling (4.x) or rope_parameters (5.x): rope_type (or the older `type`), factor,
//     attention_factor, beta_fast, beta_slow, mscale, mscale_all_dim, truncate,
//     original_max_position_embeddings, short_factor, long_factor, low_freq_factor,
//     high_freq_factor
//   model_type: "gptj" and "codegen" rotate interleaved pairs; every other model halves.
//
// `rope_scaling` is read as transformers v4.57 reads it (`type` overwrites `rope_type`; a type
// is required), `rope_parameters` as 5.x reads it (`rope_type` wins; its rope_theta wins over
// the top-level one). A config that the two releases would read differently (a rope_theta
// inside rope_scaling that is not the top-level one; rope_scaling and rope_parameters that
// disagree) is refused. docs/positional.md has the table and the transformers lines.
//
// Errors name the file and the key (with the text of a number that is not finite: 1e400, NaN),
// and the byte offset for text that is not JSON.
#include <filesystem>
#include <string_view>

#include "posemb/positional/rope_scaling.hpp"

namespace posemb::positional {

RopeParams rope_params_from_hf_config(std::string_view json_text, std::string_view source_name = "config.json");

RopeParams rope_params_from_hf_config_file(const std::filesystem::path& path);

}  // namespace posemb::positional
