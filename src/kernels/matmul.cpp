#include "posemb/kernels/matmul.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <vector>

namespace posemb::kernels {
namespace {

// Element (row, col) of op(X) where X is row-major with leading dimension ld.
inline float element(const float* x, Index ld, Transpose transpose, Index row, Index col) {
  return transpose == Transpose::kNo ? x[row * ld + col] : x[col * ld + row];
}

CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::kNo ? CblasNoTrans : CblasTrans; }

// Pieces of a dimension: a size that depends on the problem only, never on the thread
// count, so that every element is computed by the same BLAS call whatever the threads.
constexpr Index kRowsPerPiece = 512;
constexpr Index kFeaturesPerPiece = 256;

Index piece_count(Index size, Index per_piece) { return (size + per_piece - 1) / per_piece; }

}  // namespace

void gemm_reference(Transpose transpose_a, Transpose transpose_b, GemmShape shape, float alpha, const float* a,
                    Index lda, const float* b, Index ldb, float beta, float* c, Index ldc) {
  for (Index i = 0; i < shape.m; ++i) {
    for (Index j = 0; j < shape.n; ++j) {
      double sum = 0;
      for (Index p = 0; p < shape.k; ++p)
        sum += double(element(a, lda, transpose_a, i, p)) * double(element(b, ldb, transpose_b, p, j));
      float& out = c[i * ldc + j];
      out = beta == 0.0f ? float(alpha * sum) : float(alpha * sum + double(beta) * out);
    }
  }
}

void gemm(Transpose transpose_a, Transpose transpose_b, GemmShape shape, float alpha, const float* a, Index lda,
          const float* b, Index ldb, float beta, float* c, Index ldc) {
  if (shape.m == 0 || shape.n == 0) return;
  if (shape.k == 0) {  // BLAS would scale C by beta; keep "beta == 0 overwrites" exact.
    for (Index i = 0; i < shape.m; ++i)
      for (Index j = 0; j < shape.n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, to_cblas(transpose_a), to_cblas(transpose_b), blasint(shape.m), blasint(shape.n),
              blasint(shape.k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc));
}

void set_blas_threads(int threads) { openblas_set_num_threads(std::max(1, threads)); }
int blas_threads() { return openblas_get_num_threads(); }
const char* blas_description() { return openblas_get_config(); }

void set_kernel_threads(int threads) {
  omp_set_num_threads(std::max(1, threads));
  openblas_set_num_threads(1);
}
int kernel_threads() { return omp_get_max_threads(); }

void linear_forward_reference(const float* x, const float* weight, const float* bias, float* y, Index rows, Index in,
                              Index out) {
  gemm_reference(Transpose::kNo, Transpose::kYes, {rows, out, in}, 1.0f, x, in, weight, in, 0.0f, y, out);
  if (bias == nullptr) return;
  for (Index r = 0; r < rows; ++r)
    for (Index o = 0; o < out; ++o) y[r * out + o] += bias[o];
}

void linear_forward(const float* x, const float* weight, const float* bias, float* y, Index rows, Index in, Index out) {
  const Index pieces = piece_count(rows, kRowsPerPiece);
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index piece = 0; piece < pieces; ++piece) {
    const Index r0 = piece * kRowsPerPiece, r1 = std::min(rows, r0 + kRowsPerPiece);
    float* y_rows = y + r0 * out;
    if (bias != nullptr) {
      // BLAS adds into C with beta = 1: start from the bias rows.
      for (Index r = r0; r < r1; ++r) std::copy(bias, bias + out, y + r * out);
    }
    gemm(Transpose::kNo, Transpose::kYes, {r1 - r0, out, in}, 1.0f, x + r0 * in, in, weight, in,
         bias != nullptr ? 1.0f : 0.0f, y_rows, out);
  }
}

void linear_backward_reference(const float* dy, const float* x, const float* weight, float* dx, float* dweight,
                               float* dbias, Index rows, Index in, Index out, bool accumulate_dx) {
  if (dx != nullptr)
    gemm_reference(Transpose::kNo, Transpose::kNo, {rows, in, out}, 1.0f, dy, out, weight, in,
                   accumulate_dx ? 1.0f : 0.0f, dx, in);
  if (dweight != nullptr)
    gemm_reference(Transpose::kYes, Transpose::kNo, {out, in, rows}, 1.0f, dy, out, x, in, 1.0f, dweight, in);
  if (dbias != nullptr) {
    for (Index o = 0; o < out; ++o) {
      double sum = 0;
      for (Index r = 0; r < rows; ++r) sum += dy[r * out + o];
      dbias[o] += float(sum);
    }
  }
}

void linear_backward(const float* dy, const float* x, const float* weight, float* dx, float* dweight, float* dbias,
                     Index rows, Index in, Index out, bool accumulate_dx) {
  const Index row_pieces = dx != nullptr ? piece_count(rows, kRowsPerPiece) : 0;
  const Index feature_pieces = piece_count(out, kFeaturesPerPiece);
  const Index pieces = row_pieces + feature_pieces;
#pragma omp parallel for schedule(dynamic, 1) if (pieces > 1)
  for (Index piece = 0; piece < pieces; ++piece) {
    if (piece < row_pieces) {
      // dx[r0:r1, :] (+)= dy[r0:r1, :] · weight
      const Index r0 = piece * kRowsPerPiece, r1 = std::min(rows, r0 + kRowsPerPiece);
      gemm(Transpose::kNo, Transpose::kNo, {r1 - r0, in, out}, 1.0f, dy + r0 * out, out, weight, in,
           accumulate_dx ? 1.0f : 0.0f, dx + r0 * in, in);
      continue;
    }
    // dweight[o0:o1, :] += dy[:, o0:o1]ᵀ · x ; dbias[o0:o1] += sums of those columns over rows, in order.
    const Index o0 = (piece - row_pieces) * kFeaturesPerPiece, o1 = std::min(out, o0 + kFeaturesPerPiece);
    if (dweight != nullptr)
      gemm(Transpose::kYes, Transpose::kNo, {o1 - o0, in, rows}, 1.0f, dy + o0, out, x, in, 1.0f, dweight + o0 * in,
           in);
    if (dbias != nullptr) {
      std::vector<float> sums(static_cast<std::size_t>(o1 - o0), 0.0f);
      for (Index r = 0; r < rows; ++r) {
        const float* row = dy + r * out + o0;
        for (Index o = 0; o < o1 - o0; ++o) sums[static_cast<std::size_t>(o)] += row[o];
      }
      for (Index o = o0; o < o1; ++o) dbias[o] += sums[static_cast<std::size_t>(o - o0)];
    }
  }
}

}  // namespace posemb::kernels
