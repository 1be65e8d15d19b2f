#pragma once
// 2-D (axial) RoPE for tokens on a grid (image patches), as described in the Hugging Face blog
// "You could have designed state of the art positional encoding": split each head in two,
// rotate the first half by the token's row and the second half by its column, each half an
// ordinary RoPE of dimension head_dim / 2:
//
//   head channels  [ 0 .. head_dim/2 )          rotated by row    (inv_freq_i = theta^(-2i/(head_dim/2)))
//                  [ head_dim/2 .. head_dim )   rotated by column (same frequencies)
//
// so that q . k depends only on (row_k - row_q, col_k - col_q). Pairing within each half as in
// RoPE (halves by default).
#include <span>
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/positional/rope.hpp"

namespace posemb::positional {

struct AxialRopeParams {
  Index head_dim = 0;  // a multiple of 4
  double theta = 10000.0;
  RopePairing pairing = RopePairing::kHalves;
};

void validate(const AxialRopeParams& params);

// Row and column of each token of a rows x cols grid in row-major order, `batch` times.
struct GridPositions {
  std::vector<Index> rows;
  std::vector<Index> cols;
};
GridPositions grid_positions(Index batch, Index rows, Index cols);

class AxialRope {
 public:
  // cache_positions bounds both row and column indices.
  AxialRope(const AxialRopeParams& params, Index cache_positions, AnglePrecision precision = AnglePrecision::kFloat32);

  const AxialRopeParams& params() const { return params_; }
  const RopeFrequencies& frequencies() const { return frequencies_; }

  // x and out are [batch, seq, heads, head_dim]; rows/cols have batch * seq entries. out may be x.
  void apply(TensorView<const float> x, TensorView<float> out, const GridPositions& positions) const;
  void backward(TensorView<const float> grad_out, TensorView<float> grad_x, const GridPositions& positions) const;

 private:
  void run(TensorView<const float> x, TensorView<float> out, const GridPositions& positions,
           kernels::RotationDirection direction) const;

  AxialRopeParams params_;
  RopeFrequencies frequencies_;
  RopeCache cache_;
};

}  // namespace posemb::positional
