#pragma once
// The tiny GPT, forward and backward written by hand over the kernels in posemb/kernels.
//
// Shapes (B batch, T sequence, C channels, H heads, D = C / H head size, V vocabulary,
// N = B · T rows):
//   tokens, targets   [B, T] int32, row-major
//   residual stream   [N, C]
//   each block:  x → ln1 → qkv [N, 3C] = (q | k | v), each [T, H, D] per sequence
//                  → causal attention [N, C] → proj → x += ·
//                x → ln2 → fc [N, 4C] → GELU → proj [N, C] → x += ·
//   ln_f → logits [N, V] = ln_f(x) · wteᵀ (the output head is tied to the token embedding;
//   logits are computed in row chunks, never all N rows at once)
//
// Parameters, named as in the PyTorch reference module (tools/goldens/model/tiny_gpt.py):
//   wte.weight [V, C]                          wpe.weight [L, C]   (learned positions only)
//   blocks.{i}.ln1.weight, .bias [C]           blocks.{i}.attn.qkv.weight [3C, C], .bias [3C]
//   blocks.{i}.attn.proj.weight [C, C], .bias  blocks.{i}.ln2.weight, .bias [C]
//   blocks.{i}.mlp.fc.weight [4C, C], .bias    blocks.{i}.mlp.proj.weight [C, 4C], .bias [C]
//   blocks.{i}.attn.rel_keys, .rel_values [2k + 1, D]   (Shaw only; per layer, shared by heads)
//   t5_bias.weight [num_buckets, H]            (T5 only; shared by all layers, as in T5)
//   ln_f.weight, .bias [C]
// Attention scores are scaled by 1/sqrt(D) in every scheme (T5 itself folds that into its
// initialisation instead; here the schemes differ in positions only).
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/model/config.hpp"
#include "posemb/model/parameters.hpp"

namespace posemb::model {

// A batch of B sequences of T tokens; targets (the next tokens) may be empty when only
// logits are wanted.
struct TokenBatch {
  std::span<const std::int32_t> tokens;   // [B, T]
  std::span<const std::int32_t> targets;  // [B, T] or empty
  Index batch = 0;
  Index seq = 0;
};

class Gpt;

// Keys and values of past tokens, per layer, for evaluating a sequence piece by piece
// (Gpt::logits_cached): memory grows with the tokens seen, and each new token attends to
// all of them. Keys are stored after RoPE's rotation, at their own positions.
class KvCache {
 public:
  // Room for `capacity` positions of `batch` sequences of the model `config`.
  KvCache(const GptConfig& config, Index batch, Index capacity);

  Index batch() const { return batch_; }
  Index capacity() const { return capacity_; }
  Index length() const { return length_; }  // positions filled
  void clear() { length_ = 0; }

 private:
  friend class Gpt;
  Index batch_, capacity_, channels_;
  Index length_ = 0;
  std::vector<FloatBuffer> keys_, values_;  // per layer [batch, capacity, C]
};

// The number of parameters of the model `config` describes, Gpt(config).layout()
// .parameter_count(), computed without building the model or its layout: what a checkpoint's
// weights are checked against before memory is taken for the model its manifest describes.
// Saturates at INT64_MAX. Throws posemb::Error if the config is not valid.
Index parameter_count(const GptConfig& config);

class Gpt {
 public:
  // Validates the config; parameters start at zero (call initialize or load a checkpoint).
  explicit Gpt(const GptConfig& config);
  ~Gpt();
  Gpt(Gpt&&) noexcept;
  Gpt& operator=(Gpt&&) noexcept;

  const GptConfig& config() const { return config_; }
  const ParameterLayout& layout() const { return layout_; }
  FloatBuffer& parameters() { return params_; }
  const FloatBuffer& parameters() const { return params_; }
  FloatBuffer& gradients() { return grads_; }
  const FloatBuffer& gradients() const { return grads_; }

  // GPT-2's initialisation: matrices and embeddings N(0, 0.02), the two residual output
  // projections N(0, 0.02 / sqrt(2 · layers)), biases 0, LayerNorm weights 1. Same seed, same
  // parameters, on every machine.
  void initialize(std::uint64_t seed);
  void zero_gradients();

  // Mean cross-entropy of the targets (no gradients). Throws posemb::Error naming the batch
  // row and position of a token or target outside the vocabulary, or a sequence longer than
  // the model accepts (max_sequence_length).
  float loss(const TokenBatch& batch);

  // Mean cross-entropy, and the gradients of loss_scale × it added (+=) to gradients().
  float loss_and_gradients(const TokenBatch& batch, float loss_scale = 1.0f);

  // Logits [B, T, V].
  Tensor logits(const TokenBatch& batch);

  // The attention probabilities of every head of one block for a batch: [batch, heads, seq,
  // seq], row i over keys 0..i (0 above the diagonal), with the model's positional scheme.
  // Computed from the forward pass's own queries and keys, but with the full score matrix:
  // for pictures and tests, O(seq²) memory.
  Tensor attention_probabilities(const TokenBatch& batch, Index layer);

  // Logits [B, T, V] of the next T tokens of each sequence, at positions cache.length() …
  // cache.length() + T - 1, attending to everything in the cache; their keys and values are
  // appended to it. The same numbers as logits() of the whole sequence, computed piece by
  // piece (the KV-cache path of attention). Throws posemb::Error when the cache is full, was
  // made for another batch size or model, or learned positions would run past their table.
  Tensor logits_cached(const TokenBatch& batch, KvCache& cache);

 private:
  struct Workspace;
  float run(const TokenBatch& batch, bool want_gradients, float loss_scale, float* logits_out);
  void check_batch(const TokenBatch& batch, Index first_position) const;
  // Embeddings and blocks for tokens at positions first … (activations kept for backward
  // when training); with a cache, keys/values are appended and attention reads the cache.
  // Returns the final residual stream [B·T, C].
  const float* forward_blocks(const TokenBatch& batch, Index first, KvCache* cache, bool keep_all);
  // ln_f and the tied head over the final residual; losses and gradients when asked.
  float head(const TokenBatch& batch, const float* x_final, bool want_gradients, float loss_scale, float* logits_out);

  GptConfig config_;
  ParameterLayout layout_;
  FloatBuffer params_;
  FloatBuffer grads_;
  std::unique_ptr<Workspace> work_;
};

}  // namespace posemb::model
