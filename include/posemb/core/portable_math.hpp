#pragma once
// Elementary functions computed with IEEE-754 additions, multiplications, divisions,
// square roots and fused multiply-adds only: each of those is correctly rounded, so these
// functions return the same bits on every machine and with every compiler, which libm's
// log/sin/cos do not promise. The random number generator (random.hpp) is built on them
// so that a seed gives the same numbers everywhere.
//
// Two families:
//   cephes_log / cephes_sincos (float)   the exact arithmetic of torch's AVX2 Box–Muller
//                                        kernel, so that we draw torch's numbers bit for bit;
//   log / sincos (double)                accurate to about one ulp, for the double-precision
//                                        Box–Muller path torch takes for small tensors.

namespace posemb::portable_math {

template <class T>
struct SinCos {
  T sin;
  T cos;
};

// Natural log of x in float32 with the Cephes polynomial that torch 1.13 evaluates in
// log256_ps (aten/src/ATen/native/cpu/avx_mathfun.h), including the multiply-adds GCC fused
// when it built torch's AVX2 kernels: bit-identical to that code for every x in (0, 1]
// (checked exhaustively by tools/goldens/core/check_torch_avx2_math.sh). Relative error
// about 1e-7. Returns NaN for x <= 0 or NaN, and treats denormals as the smallest normal,
// as torch's does.
float cephes_log(float x);

// sin(x) and cos(x) in float32, bit-identical to torch 1.13's sincos256_ps for 0 <= x < 8192
// (the Cephes reduction by pi/4 in three parts, then the Cephes polynomials).
SinCos<float> cephes_sincos(float x);

// Natural log of a double; within about one ulp of the true value. log(0) = -inf,
// log(x < 0) = NaN, log(inf) = inf.
double log(double x);

// sin(x) and cos(x) of a double with |x| <= 1e6; within about one ulp. NaN outside.
SinCos<double> sincos(double x);

}  // namespace posemb::portable_math
