#include "position_hooks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "posemb/core/error.hpp"

// The scheme formulas come from posemb/positional (tested there against Hugging Face,
// BLOOM, T5 and the PyTorch tutorial); this file only wires them into the model.
#include "posemb/kernels/position_rows.hpp"
#include "posemb/kernels/rope.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb::model {

void PositionHooks::add_input_parameters(const GptConfig& config, ParameterLayout& layout) {
  if (config.scheme == PositionScheme::kLearned)
    wpe_ = layout.entries()[layout.add("wpe.weight", {config.context_length, config.channels})].offset;
}

void PositionHooks::add_block_parameters(const GptConfig& config, ParameterLayout& layout, Index layer) {
  if (config.scheme != PositionScheme::kShaw) return;
  const Index rows = 2 * config.shaw_max_relative_position + 1;
  rel_keys_.push_back(
      layout.entries()[layout.add(fmt::format("blocks.{}.attn.rel_keys", layer), {rows, config.head_dim()})].offset);
  rel_values_.push_back(
      layout.entries()[layout.add(fmt::format("blocks.{}.attn.rel_values", layer), {rows, config.head_dim()})].offset);
}

void PositionHooks::add_shared_parameters(const GptConfig& config, ParameterLayout& layout) {
  if (config.scheme == PositionScheme::kT5)
    t5_table_ = layout.entries()[layout.add("t5_bias.weight", {config.t5_num_buckets, config.heads})].offset;
}


void PositionHooks::prepare(const GptConfig& config, const FloatBuffer& params, Index positions) {
  // Sinusoidal rows, RoPE cos/sin and ALiBi biases depend on the configuration only: built once
  // for the context length (or more, when a forward goes past it) and kept, since recomputing
  // them costs sin/cos per position and channel on every step and every generated token. T5's
  // bias reads the learned table, which changes with every step, so it is gathered every time.
  const bool fixed_tables = config.scheme == PositionScheme::kSinusoidal ||
                            config.scheme == PositionScheme::kRope || config.scheme == PositionScheme::kAlibi;
  if (fixed_tables && positions <= seq_) return;
  if (fixed_tables) positions = std::max(positions, config.context_length);
  seq_ = positions;
  const Index heads = config.heads;
  switch (config.scheme) {
    case PositionScheme::kSinusoidal: {
      // Interleaved sin/cos (Vaswani et al.), float32 angles as the PyTorch tutorial.
      positional::SinusoidalParams p;
      p.dim = config.channels;
      p.layout = positional::SinusoidalLayout::kInterleaved;
      p.base = config.sinusoidal_base;
      const Tensor table = positional::SinusoidalPositions(p).table(positions);
      input_rows_.assign(table.values().begin(), table.values().end());
      break;
    }
    case PositionScheme::kRope: {
      // Hugging Face Llama's default RoPE over the whole head, rotate-half pairing.
      positional::RopeParams p;
      p.head_dim = config.head_dim();
      p.rotary_dim = config.head_dim();
      p.theta = config.rope_theta;
      p.max_position_embeddings = config.context_length;
      positional::RopeCache cache = positional::build_rope_cache(positional::compute_rope_frequencies(p), positions);
      rope_cos_ = std::move(cache.cos);
      rope_sin_ = std::move(cache.sin);
      break;
    }
    case PositionScheme::kAlibi: {
      // distance_bias covers key − query distances [−(positions − 1), 0]; entry x is
      // distance x − (positions − 1), so our distance d = query − key is entry positions − 1 − d.
      const positional::Alibi alibi({heads, positional::AlibiDirection::kCausal});
      const std::vector<float> bias = alibi.distance_bias({-(positions - 1), positions});
      distance_bias_.resize(static_cast<std::size_t>(heads * positions));
      for (Index h = 0; h < heads; ++h)
        for (Index d = 0; d < positions; ++d)
          distance_bias_[static_cast<std::size_t>(h * positions + d)] =
              bias[static_cast<std::size_t>(h * positions + positions - 1 - d)];
      break;
    }
    case PositionScheme::kT5: {
      // The bucket of each distance (causal T5 buckets), then this model's table [buckets, heads].
      const positional::T5BiasParams p{heads, config.t5_num_buckets, config.t5_max_distance, false};
      t5_bucket_of_distance_.resize(static_cast<std::size_t>(positions));
      for (Index d = 0; d < positions; ++d)
        t5_bucket_of_distance_[static_cast<std::size_t>(d)] = positional::t5_relative_position_bucket(-d, p);
      const float* table = params.data() + t5_table_;
      distance_bias_.resize(static_cast<std::size_t>(heads * positions));
      for (Index h = 0; h < heads; ++h)
        for (Index d = 0; d < positions; ++d)
          distance_bias_[static_cast<std::size_t>(h * positions + d)] =
              table[t5_bucket_of_distance_[static_cast<std::size_t>(d)] * heads + h];
      break;
    }
    default:
      break;
  }
}


void PositionHooks::add_to_input(const GptConfig& config, const FloatBuffer& params, float* x, Index batch, Index seq,
                                 Index first) const {
  const Index c = config.channels;
  const float* rows = config.scheme == PositionScheme::kLearned      ? params.data() + wpe_
                      : config.scheme == PositionScheme::kSinusoidal ? input_rows_.data()
                                                                     : nullptr;
  if (rows == nullptr) return;
  kernels::add_position_rows_to_batch(x, x, batch, seq, c, rows + first * c, /*positions=*/nullptr);
}

void PositionHooks::input_backward(const GptConfig& config, FloatBuffer& grads, const float* dx, Index batch,
                                   Index seq) const {
  if (config.scheme != PositionScheme::kLearned) return;
  const Index c = config.channels;
  for (Index b = 0; b < batch; ++b)
    kernels::add_position_rows_backward_table_reference(dx + b * seq * c, grads.data() + wpe_, seq, c,
                                                        /*positions=*/nullptr);
}

void PositionHooks::rotate_queries_keys(const GptConfig& config, float* qkv, Index batch, Index seq,
                                        Index first) const {
  if (config.scheme == PositionScheme::kRope) rotate(config, qkv, batch, seq, first, false);
}

void PositionHooks::unrotate_gradients(const GptConfig& config, float* dqkv, Index batch, Index seq) const {
  if (config.scheme == PositionScheme::kRope) rotate(config, dqkv, batch, seq, 0, true);
}


// q and k heads lie side by side at the start of each [3C] row: 2H heads of D channels that
// all rotate by the token's position, in place (the rotation kernel of posemb/kernels/rope.hpp,
// one token at a time because the rows are 3C apart).
void PositionHooks::rotate(const GptConfig& config, float* qkv, Index batch, Index seq, Index first,
                           bool inverse) const {
  const Index c = config.channels;
  const kernels::RopeLayout layout{1, 2 * config.heads, config.head_dim(), 0, config.head_dim(),
                                   kernels::RopePairing::kHalves};
  const auto direction = inverse ? kernels::RotationDirection::kInverse : kernels::RotationDirection::kForward;
  const Index tokens = batch * seq;
#pragma omp parallel for schedule(static) if (tokens > 256)
  for (Index token = 0; token < tokens; ++token) {
    const Index pos = first + token % seq;
    float* row = qkv + token * 3 * c;
    kernels::rope_apply(row, row, layout, &pos, rope_cos_.data(), rope_sin_.data(), direction);
  }
}


kernels::AttentionInputs PositionHooks::attention_inputs(const GptConfig& config, const FloatBuffer& params,
                                                         Index layer, const float* qkv) const {
  const Index c = config.channels;
  kernels::AttentionInputs in;
  in.q = qkv;
  in.k = qkv + c;
  in.v = qkv + 2 * c;
  if (config.scheme == PositionScheme::kAlibi || config.scheme == PositionScheme::kT5)
    in.bias = {distance_bias_.data(), seq_};
  if (config.scheme == PositionScheme::kShaw)
    in.relative = {params.data() + rel_keys_[static_cast<std::size_t>(layer)],
                   params.data() + rel_values_[static_cast<std::size_t>(layer)], config.shaw_max_relative_position};
  return in;
}

void PositionHooks::attention_gradients(const GptConfig& config, FloatBuffer& grads, Index layer,
                                        kernels::AttentionGradients& g) {
  if (config.scheme == PositionScheme::kT5) {
    distance_grad_.assign(static_cast<std::size_t>(config.heads * seq_), 0.0f);
    g.dbias = distance_grad_.data();
  }
  if (config.scheme == PositionScheme::kShaw) {
    g.drelative_keys = grads.data() + rel_keys_[static_cast<std::size_t>(layer)];
    g.drelative_values = grads.data() + rel_values_[static_cast<std::size_t>(layer)];
  }
}

void PositionHooks::scores_backward(const GptConfig& config, FloatBuffer& grads, Index /*layer*/) {
  if (config.scheme != PositionScheme::kT5) return;
  const Index heads = config.heads;
  float* table = grads.data() + t5_table_;
  for (Index h = 0; h < heads; ++h)
    for (Index d = 0; d < seq_; ++d)
      table[t5_bucket_of_distance_[static_cast<std::size_t>(d)] * heads + h] +=
          distance_grad_[static_cast<std::size_t>(h * seq_ + d)];
}

}  // namespace posemb::model
