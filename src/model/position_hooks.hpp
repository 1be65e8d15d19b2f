#pragma once
// The three places a positional scheme acts in the GPT, gathered in one object so that
// gpt.cpp reads as the plain transformer it is:
//   input         learned / sinusoidal rows added to the token embeddings (and their gradient)
//   queries/keys  RoPE rotation of q and k after the qkv projection (and the inverse rotation
//                 of dq and dk in the backward pass)
//   scores        ALiBi / T5 distance bias and Shaw relative keys/values, handed to the
//                 attention kernel (and the T5 table's gradient gathered per bucket)
// The formulas (sinusoidal rows, RoPE frequencies and rotation, ALiBi slopes, T5 buckets)
// are posemb/positional's, tested there against their references.
#include <vector>

#include "posemb/kernels/attention.hpp"
#include "posemb/model/config.hpp"
#include "posemb/model/parameters.hpp"

namespace posemb::model {

class PositionHooks {
 public:
  // Parameter registration, called while the model lays out its parameters.
  void add_input_parameters(const GptConfig& config, ParameterLayout& layout);
  void add_block_parameters(const GptConfig& config, ParameterLayout& layout, Index layer);
  void add_shared_parameters(const GptConfig& config, ParameterLayout& layout);

  // Per forward pass: makes sure the tables cover positions and distances below `positions`
  // (sinusoidal rows, RoPE cos/sin, distance biases). Only the T5 bias, which reads parameters,
  // is rebuilt on every call; the others are kept from an earlier call when they cover it.
  void prepare(const GptConfig& config, const FloatBuffer& params, Index positions);

  // x is [batch · seq, C]; token t of each sequence is at position first + t.
  void add_to_input(const GptConfig& config, const FloatBuffer& params, float* x, Index batch, Index seq,
                    Index first = 0) const;
  void input_backward(const GptConfig& config, FloatBuffer& grads, const float* dx, Index batch, Index seq) const;

  // qkv is [batch · seq, 3C]; q and k rotate in place (token t at position first + t).
  void rotate_queries_keys(const GptConfig& config, float* qkv, Index batch, Index seq, Index first = 0) const;
  void unrotate_gradients(const GptConfig& config, float* dqkv, Index batch, Index seq) const;

  // q, k, v pointers into qkv, plus the layer's score terms.
  kernels::AttentionInputs attention_inputs(const GptConfig& config, const FloatBuffer& params, Index layer,
                                            const float* qkv) const;
  // Points the table gradients of the layer at `grads` (Shaw) or at scratch (distance bias).
  void attention_gradients(const GptConfig& config, FloatBuffer& grads, Index layer, kernels::AttentionGradients& g);
  // After attention_backward: moves the distance-bias gradient into the T5 table's.
  void scores_backward(const GptConfig& config, FloatBuffer& grads, Index layer);

 private:
  void rotate(const GptConfig& config, float* qkv, Index batch, Index seq, Index first, bool inverse) const;

  Index seq_ = 0;                             // positions covered by the tables
  Index wpe_ = -1;                            // learned: [context_length, C]
  std::vector<Index> rel_keys_, rel_values_;  // Shaw: per layer
  Index t5_table_ = -1;                       // T5: [num_buckets, heads]
  std::vector<float> input_rows_;             // sinusoidal: [seq, C]
  std::vector<float> distance_bias_;          // ALiBi / T5: [heads, seq], index = q_pos - k_pos
  std::vector<float> distance_grad_;          // its gradient for one layer
  std::vector<Index> t5_bucket_of_distance_;  // [seq]
  std::vector<float> rope_cos_, rope_sin_;    // [seq, head_dim / 2]
};

}  // namespace posemb::model
