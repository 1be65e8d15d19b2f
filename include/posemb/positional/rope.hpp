#pragma once
// Rotary position embedding (RoPE): rotates queries and keys inside attention.
//
// A model author builds it once and applies it per layer:
//
//   auto params = positional::rope_params_from_hf_config_file("config.json");   // hf_config.hpp
//   positional::Rope rope(params, /*cache_positions=*/4096);      // cos/sin cached once
//   rope.apply(q, /*position_offset=*/past_length);               // q is [batch, seq, heads, head_dim]
//   rope.apply(k, past_length);
//
// The cache holds cos and sin for positions [0, cache_positions) with the attention factor
// folded in, exactly as Hugging Face's `*RotaryEmbedding.forward` computes them (float32
// angle = float32(position) * inv_freq). Positions outside the cache are an error.
#include <optional>
#include <span>
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/positional/rope_scaling.hpp"
#include "posemb/positional/scheme.hpp"

namespace posemb::positional {

// cos/sin tables: [positions, rotary_dim / 2], row p for position p.
struct RopeCache {
  Index positions = 0;
  Index half = 0;
  std::vector<float> cos;
  std::vector<float> sin;
};

RopeCache build_rope_cache(const RopeFrequencies& frequencies, Index positions,
                           AnglePrecision precision = AnglePrecision::kFloat32);

// cos/sin at the given positions only: row r holds position positions[r] (for printing values
// at far positions without a cache that long).
RopeCache rope_cos_sin_at(const RopeFrequencies& frequencies, std::span<const Index> positions,
                          AnglePrecision precision = AnglePrecision::kFloat32);

class Rope {
 public:
  // Validates the parameters, computes the frequencies (seq_len: see compute_rope_frequencies)
  // and the cos/sin cache for positions [0, cache_positions).
  Rope(const RopeParams& params, Index cache_positions, AnglePrecision precision = AnglePrecision::kFloat32,
       std::optional<Index> seq_len = std::nullopt);

  const RopeParams& params() const { return params_; }
  const RopeFrequencies& frequencies() const { return frequencies_; }
  const RopeCache& cache() const { return cache_; }

  // In place. x is [batch, seq, heads, head_dim] (contiguous); token (b, s) is at position
  // position_offset + s, as in a KV cache where position_offset tokens came before. Allocates
  // nothing: one kernel call reads the cos/sin rows from position_offset on.
  void apply(TensorView<float> x, Index position_offset = 0) const;

  // Out of place at arbitrary positions: x and out are [batch, seq, heads, head_dim] and
  // positions has batch * seq entries (row-major over batch, seq). out may be x.
  void apply(TensorView<const float> x, TensorView<float> out, std::span<const Index> positions) const;

  // Backward: the gradient of a rotation is the inverse rotation, applied to the gradient.
  void backward(TensorView<float> grad, Index position_offset = 0) const;
  void backward(TensorView<const float> grad_out, TensorView<float> grad_x, std::span<const Index> positions) const;

 private:
  void check_shapes(const Shape& x, const Shape& out) const;
  kernels::RopeLayout layout_of(Index tokens, Index heads) const;
  void run(TensorView<const float> x, TensorView<float> out, std::span<const Index> positions,
           kernels::RotationDirection direction) const;
  void run_sequential(TensorView<float> x, Index position_offset, kernels::RotationDirection direction) const;

  RopeParams params_;
  RopeFrequencies frequencies_;
  RopeCache cache_;
};

// Positions offset, offset + 1, ..., offset + seq - 1, repeated for each of `batch` rows.
std::vector<Index> sequential_positions(Index batch, Index seq, Index offset);

}  // namespace posemb::positional
