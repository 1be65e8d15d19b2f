#include "posemb/kernels/matmul.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <tuple>

#include "test_util.hpp"

namespace posemb::kernels {
// Found by argument-dependent lookup, so it lives beside Transpose, not in the anonymous namespace.
void PrintTo(Transpose t, std::ostream* os);
void PrintTo(Transpose t, std::ostream* os) { *os << (t == Transpose::kNo ? "N" : "T"); }

namespace {

using posemb::testing::all_close;
using posemb::testing::bit_identical;
using posemb::testing::random_vector;

// Every transpose combination, sizes that are not multiples of any SIMD width, and leading
// dimensions wider than the rows (as when a matrix is a view into a larger buffer).
class GemmTest : public ::testing::TestWithParam<std::tuple<Transpose, Transpose, float>> {};

TEST_P(GemmTest, MatchesReference) {
  const auto [ta, tb, beta] = GetParam();
  const GemmShape shape{37, 29, 53};
  const Index a_rows = ta == Transpose::kNo ? shape.m : shape.k, a_cols = ta == Transpose::kNo ? shape.k : shape.m;
  const Index b_rows = tb == Transpose::kNo ? shape.k : shape.n, b_cols = tb == Transpose::kNo ? shape.n : shape.k;
  const Index lda = a_cols + 3, ldb = b_cols + 5, ldc = shape.n + 2;
  const auto a = random_vector(static_cast<std::size_t>(a_rows * lda), 1);
  const auto b = random_vector(static_cast<std::size_t>(b_rows * ldb), 2);
  auto c_fast = random_vector(static_cast<std::size_t>(shape.m * ldc), 3);
  if (beta == 0.0f) std::fill(c_fast.begin(), c_fast.end(), std::numeric_limits<float>::quiet_NaN());
  auto c_ref = c_fast;
  gemm(ta, tb, shape, 0.75f, a.data(), lda, b.data(), ldb, beta, c_fast.data(), ldc);
  gemm_reference(ta, tb, shape, 0.75f, a.data(), lda, b.data(), ldb, beta, c_ref.data(), ldc);
  for (Index i = 0; i < shape.m; ++i)  // the padding past column n is never written: ignore it
    for (Index j = shape.n; j < ldc; ++j)
      c_fast[static_cast<std::size_t>(i * ldc + j)] = c_ref[static_cast<std::size_t>(i * ldc + j)] = 0;
  EXPECT_TRUE(all_close(c_fast, c_ref, 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(AllTransposes, GemmTest,
                         ::testing::Combine(::testing::Values(Transpose::kNo, Transpose::kYes),
                                            ::testing::Values(Transpose::kNo, Transpose::kYes),
                                            ::testing::Values(0.0f, 1.0f)));

TEST(Gemm, ReferenceComputesAKnownProduct) {
  // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8};
  float c[4] = {};
  gemm_reference(Transpose::kNo, Transpose::kNo, {2, 2, 2}, 1.0f, a, 2, b, 2, 0.0f, c, 2);
  EXPECT_EQ(std::vector<float>(c, c + 4), (std::vector<float>{19, 22, 43, 50}));
  gemm(Transpose::kNo, Transpose::kYes, {2, 2, 2}, 1.0f, a, 2, b, 2, 0.0f, c, 2);  // a · bᵀ
  EXPECT_EQ(std::vector<float>(c, c + 4), (std::vector<float>{17, 23, 39, 53}));
}

struct LinearCase {
  Index rows, in, out;
};

void PrintTo(const LinearCase& c, std::ostream* os) { *os << c.rows << "x" << c.in << "to" << c.out; }
class LinearTest : public ::testing::TestWithParam<LinearCase> {};

TEST_P(LinearTest, ForwardAndBackwardMatchReference) {
  const auto [rows, in, out] = GetParam();
  const auto x = random_vector(static_cast<std::size_t>(rows * in), 10);
  const auto w = random_vector(static_cast<std::size_t>(out * in), 11, 0.1f);
  const auto bias = random_vector(static_cast<std::size_t>(out), 12);
  const auto dy = random_vector(static_cast<std::size_t>(rows * out), 13);
  std::vector<float> y(static_cast<std::size_t>(rows * out)), y_ref = y;
  linear_forward(x.data(), w.data(), bias.data(), y.data(), rows, in, out);
  linear_forward_reference(x.data(), w.data(), bias.data(), y_ref.data(), rows, in, out);
  EXPECT_TRUE(all_close(y, y_ref, 1e-5, 1e-5));

  // Gradients accumulate: start from non-zero buffers.
  auto dx = random_vector(x.size(), 14), dw = random_vector(w.size(), 15), db = random_vector(bias.size(), 16);
  auto dx_ref = dx, dw_ref = dw, db_ref = db;
  linear_backward(dy.data(), x.data(), w.data(), dx.data(), dw.data(), db.data(), rows, in, out);
  linear_backward_reference(dy.data(), x.data(), w.data(), dx_ref.data(), dw_ref.data(), db_ref.data(), rows, in, out);
  EXPECT_TRUE(all_close(dx, dx_ref, 1e-5, 1e-4));
  EXPECT_TRUE(all_close(dw, dw_ref, 1e-5, 1e-4));
  EXPECT_TRUE(all_close(db, db_ref, 1e-5, 1e-4));

  // Overwriting dx ignores what it held (NaN here); the other gradients still accumulate.
  std::vector<float> dx_new(x.size(), std::numeric_limits<float>::quiet_NaN()), dx_new_ref(x.size(), 0.0f);
  linear_backward(dy.data(), x.data(), w.data(), dx_new.data(), nullptr, nullptr, rows, in, out, false);
  linear_backward_reference(dy.data(), x.data(), w.data(), dx_new_ref.data(), nullptr, nullptr, rows, in, out, true);
  EXPECT_TRUE(all_close(dx_new, dx_new_ref, 1e-5, 1e-4));
}

INSTANTIATE_TEST_SUITE_P(Shapes, LinearTest,
                         ::testing::Values(LinearCase{1, 1, 1}, LinearCase{5, 7, 3}, LinearCase{300, 64, 200},
                                           LinearCase{129, 33, 65}));

TEST(Linear, SameBitsWithOneOrTwoThreads) {
  const Index rows = 300, in = 48, out = 130;
  const auto x = random_vector(static_cast<std::size_t>(rows * in), 20);
  const auto w = random_vector(static_cast<std::size_t>(out * in), 21);
  const auto bias = random_vector(static_cast<std::size_t>(out), 22);
  const auto dy = random_vector(static_cast<std::size_t>(rows * out), 23);
  auto run = [&](int threads) {
    set_kernel_threads(threads);
    std::vector<float> result(static_cast<std::size_t>(rows * out));
    linear_forward(x.data(), w.data(), bias.data(), result.data(), rows, in, out);
    std::vector<float> dx(x.size()), dw(w.size()), db(bias.size());
    linear_backward(dy.data(), x.data(), w.data(), dx.data(), dw.data(), db.data(), rows, in, out);
    result.insert(result.end(), dx.begin(), dx.end());
    result.insert(result.end(), dw.begin(), dw.end());
    result.insert(result.end(), db.begin(), db.end());
    return result;
  };
  const auto one = run(1), two = run(2);
  set_kernel_threads(1);
  EXPECT_TRUE(bit_identical(one, two));
}

TEST(Blas, ThreadCountIsControllable) {
  set_blas_threads(2);
  EXPECT_GE(blas_threads(), 1);
  set_kernel_threads(2);
  EXPECT_EQ(blas_threads(), 1) << "the kernel threads call OpenBLAS single-threaded";
  EXPECT_EQ(kernel_threads(), 2);
  set_kernel_threads(1);
  EXPECT_NE(std::string(blas_description()), "");
}

}  // namespace
}  // namespace posemb::kernels
