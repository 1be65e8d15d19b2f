#pragma once
// Matrix multiplies for the model: a plain reference GEMM, the same GEMM through OpenBLAS
// (cblas_sgemm), and the linear layer (nn.Linear) built on it.
//
// All matrices are row-major float32 with a leading dimension (the distance between rows, in
// elements), as in CBLAS with CblasRowMajor. op(X) is X or its transpose.
//
//   C[m, n] = alpha * sum_k op(A)[m, k] * op(B)[k, n] + beta * C[m, n]
//
// beta == 0 overwrites C without reading it (so C may hold NaN garbage), as BLAS does.
#include <cstdint>

#include "posemb/core/shape.hpp"

namespace posemb::kernels {

enum class Transpose : std::uint8_t { kNo, kYes };

struct GemmShape {
  Index m = 0;  // rows of C
  Index n = 0;  // columns of C
  Index k = 0;  // the summed dimension
};

// Plain triple loop, accumulating in double: the reference the BLAS path is tested against.
void gemm_reference(Transpose transpose_a, Transpose transpose_b, GemmShape shape, float alpha, const float* a,
                    Index lda, const float* b, Index ldb, float beta, float* c, Index ldc);

// The same through OpenBLAS. Runs on the calling thread plus OpenBLAS's own threads
// (see set_blas_threads); the model keeps OpenBLAS at 1 thread and splits work itself.
void gemm(Transpose transpose_a, Transpose transpose_b, GemmShape shape, float alpha, const float* a, Index lda,
          const float* b, Index ldb, float beta, float* c, Index ldc);

// OpenBLAS's own thread count (openblas_set_num_threads / openblas_get_num_threads).
void set_blas_threads(int threads);
int blas_threads();

// Threads of the model's kernels (an OpenMP team; linear_* and the model's loops use it).
// Work is always cut into the same pieces whatever the thread count, and no sum is split
// across threads, so results are bit-identical with 1 or N threads. Setting this also sets
// OpenBLAS to 1 thread: each kernel thread calls it on its own piece.
void set_kernel_threads(int threads);
int kernel_threads();
// "OpenBLAS 0.3.21 Haswell ..." (openblas_get_config), for benchmark reports.
const char* blas_description();

// ---- The linear layer, in nn.Linear's layout ------------------------------------------
// The fast versions split rows (forward, dx) and output features (dweight, dbias) into
// fixed pieces run on the kernel threads.
// x is [rows, in], weight is [out, in], bias is [out] or null, y is [rows, out]:
//   y = x · weightᵀ + bias
void linear_forward(const float* x, const float* weight, const float* bias, float* y, Index rows, Index in, Index out);
void linear_forward_reference(const float* x, const float* weight, const float* bias, float* y, Index rows, Index in,
                              Index out);

// dy is [rows, out]. dx [rows, in] = dy · weight (when not null; added to what dx holds
// when accumulate_dx, as every other gradient is), dweight [out, in] += dyᵀ · x and
// dbias [out] += column sums of dy (when not null). Accumulating lets a caller sum the
// gradients of several uses of one tensor; overwriting dx saves zeroing it first.
void linear_backward(const float* dy, const float* x, const float* weight, float* dx, float* dweight, float* dbias,
                     Index rows, Index in, Index out, bool accumulate_dx = true);
void linear_backward_reference(const float* dy, const float* x, const float* weight, float* dx, float* dweight,
                               float* dbias, Index rows, Index in, Index out, bool accumulate_dx = true);

}  // namespace posemb::kernels
