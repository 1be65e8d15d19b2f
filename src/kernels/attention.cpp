// Causal multi-head attention: plain references and the tiled FlashAttention-style kernels.
// The tile products and the softmax over each tile row are Highway SIMD (this file is
// compiled once per SIMD target by hwy/foreach_target.h).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/contrib/math/math-inl.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "posemb/core/error.hpp"
#include "posemb/kernels/attention.hpp"

#ifndef POSEMB_ATTENTION_SHARED
#define POSEMB_ATTENTION_SHARED
namespace posemb::kernels::attention_detail {

// Queries per block and keys per tile. 64 × 64 tiles of scores (16 KiB) stay in L1 with
// their rows of q, k and v in L2 for head_dim up to 128.
inline constexpr Index kQueryBlock = 64;
inline constexpr Index kKeyTile = 64;

// Pointers to one (sequence, head) of the inputs and outputs.
struct HeadView {
  const float* q;
  const float* k;
  const float* v;
  const float* bias;  // [distances] of this head, or null
  Index bias_distances;
  const float* rel_keys;  // [2 clip + 1, head_dim] or null
  const float* rel_values;
  Index clip;
};

inline HeadView head_view(const AttentionShape& s, const AttentionInputs& in, Index b, Index h) {
  HeadView view{};
  view.q = in.q + b * s.q_len * s.q_stride + h * s.head_dim;
  view.k = in.k + b * s.k_len * s.k_stride + h * s.head_dim;
  view.v = in.v + b * s.k_len * s.v_stride + h * s.head_dim;
  view.bias = in.bias.values != nullptr ? in.bias.values + h * in.bias.distances : nullptr;
  view.bias_distances = in.bias.distances;
  view.rel_keys = in.relative.keys;
  view.rel_values = in.relative.values;
  view.clip = in.relative.clip;
  return view;
}

inline double dot(const float* a, const float* b, Index n) {
  double sum = 0;
  for (Index i = 0; i < n; ++i) sum += double(a[i]) * b[i];
  return sum;
}

}  // namespace posemb::kernels::attention_detail
#endif  // POSEMB_ATTENTION_SHARED

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using attention_detail::HeadView;
using attention_detail::kKeyTile;
using attention_detail::kQueryBlock;

using D = hn::ScalableTag<float>;
using V = hn::Vec<D>;

// ---- The tile product: C[m, n] (+)= Σ_k A(i, k) · B[k, n] ------------------------------
// A(i, k) = a[i · a_row + k · a_col] (so Aᵀ is free: swap the strides), B and C row-major.
// Register blocking as in a GEMM micro-kernel: MR rows × NV vectors of C stay in registers;
// each k broadcasts MR elements of A and loads NV vectors of B. Unlike a BLAS call, nothing
// is packed: the operands of a tile are small and already in cache.
template <int MR, int NV>
HWY_INLINE void TileBlock(const float* HWY_RESTRICT a, Index a_row, Index a_col, const float* HWY_RESTRICT b, Index ldb,
                          float* HWY_RESTRICT c, Index ldc, Index k, bool accumulate) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  V acc[MR][NV];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = accumulate ? hn::LoadU(d, c + r * ldc + v * lanes) : hn::Zero(d);
  for (Index p = 0; p < k; ++p) {
    V bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = hn::LoadU(d, b + p * ldb + v * lanes);
    const float* ap = a + p * a_col;
    for (int r = 0; r < MR; ++r) {
      const V av = hn::Set(d, ap[r * a_row]);
      for (int v = 0; v < NV; ++v) acc[r][v] = hn::MulAdd(av, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) hn::StoreU(acc[r][v], d, c + r * ldc + v * lanes);
}

template <int NV>
HWY_INLINE void TileColumns(const float* a, Index a_row, Index a_col, const float* b, Index ldb, float* c, Index ldc,
                            Index m, Index k, bool accumulate) {
  constexpr int kRows = 6;
  Index i = 0;
  for (; i + kRows <= m; i += kRows)
    TileBlock<kRows, NV>(a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, k, accumulate);
  for (; i < m; ++i) TileBlock<1, NV>(a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, k, accumulate);
}

void TileGemm(const float* a, Index a_row, Index a_col, const float* b, Index ldb, float* c, Index ldc, Index m,
              Index n, Index k, bool accumulate) {
  const auto lanes = static_cast<Index>(hn::Lanes(D()));
  Index j = 0;
  for (; j + 2 * lanes <= n; j += 2 * lanes) TileColumns<2>(a, a_row, a_col, b + j, ldb, c + j, ldc, m, k, accumulate);
  for (; j + lanes <= n; j += lanes) TileColumns<1>(a, a_row, a_col, b + j, ldb, c + j, ldc, m, k, accumulate);
  for (; j < n; ++j)  // columns left over when n is not a multiple of the vector width
    for (Index i = 0; i < m; ++i) {
      float sum = accumulate ? c[i * ldc + j] : 0.0f;
      for (Index p = 0; p < k; ++p) sum += a[i * a_row + p * a_col] * b[p * ldb + j];
      c[i * ldc + j] = sum;
    }
}

// ---- Row helpers -----------------------------------------------------------------------

float Dot(const float* x, const float* y, Index n) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  V s0 = hn::Zero(d), s1 = hn::Zero(d);
  Index i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    s0 = hn::MulAdd(hn::LoadU(d, x + i), hn::LoadU(d, y + i), s0);
    s1 = hn::MulAdd(hn::LoadU(d, x + i + lanes), hn::LoadU(d, y + i + lanes), s1);
  }
  for (; i + lanes <= n; i += lanes) s0 = hn::MulAdd(hn::LoadU(d, x + i), hn::LoadU(d, y + i), s0);
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

// y += alpha · x
void Axpy(float* y, float alpha, const float* x, Index n) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const V va = hn::Set(d, alpha);
  Index i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::MulAdd(va, hn::LoadU(d, x + i), hn::LoadU(d, y + i)), d, y + i);
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// row = row · scale (+ add[j]) (+ constant)
void ScaleAdd(float* row, Index n, float scale, const float* add, float constant) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const V vs = hn::Set(d, scale), vc = hn::Set(d, constant);
  Index j = 0;
  if (add != nullptr) {
    for (; j + lanes <= n; j += lanes)
      hn::StoreU(hn::Add(hn::MulAdd(hn::LoadU(d, row + j), vs, hn::LoadU(d, add + j)), vc), d, row + j);
    for (; j < n; ++j) row[j] = row[j] * scale + add[j] + constant;
  } else {
    for (; j + lanes <= n; j += lanes) hn::StoreU(hn::MulAdd(hn::LoadU(d, row + j), vs, vc), d, row + j);
    for (; j < n; ++j) row[j] = row[j] * scale + constant;
  }
}

float RowMax(const float* row, Index n) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  float max = -std::numeric_limits<float>::infinity();
  Index j = 0;
  if (n >= lanes) {
    V vmax = hn::LoadU(d, row);
    for (j = lanes; j + lanes <= n; j += lanes) vmax = hn::Max(vmax, hn::LoadU(d, row + j));
    max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; j < n; ++j) max = std::max(max, row[j]);
  return max;
}

float RowSum(const float* row, Index n) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  V vsum = hn::Zero(d);
  Index j = 0;
  for (; j + lanes <= n; j += lanes) vsum = hn::Add(vsum, hn::LoadU(d, row + j));
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; j < n; ++j) sum += row[j];
  return sum;
}

// row[j] = exp(row[j] - shift) for j < n; returns the sum of the new values.
float ExpShiftedRow(float* row, Index n, float shift) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const V vshift = hn::Set(d, shift);
  V vsum = hn::Zero(d);
  Index j = 0;
  for (; j + lanes <= n; j += lanes) {
    const V p = hn::Exp(d, hn::Sub(hn::LoadU(d, row + j), vshift));
    vsum = hn::Add(vsum, p);
    hn::StoreU(p, d, row + j);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, vsum));
  for (; j < n; ++j) {
    row[j] = std::exp(row[j] - shift);
    sum += row[j];
  }
  return sum;
}

// ds[j] = p[j] · (ds[j] + extra - di) where ds holds dp on entry
void SoftmaxBackwardRow(float* ds, const float* p, Index n, float extra, float di) {
  const D d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const V shift = hn::Set(d, extra - di);
  Index j = 0;
  for (; j + lanes <= n; j += lanes)
    hn::StoreU(hn::Mul(hn::LoadU(d, p + j), hn::Add(hn::LoadU(d, ds + j), shift)), d, ds + j);
  for (; j < n; ++j) ds[j] = p[j] * (ds[j] + extra - di);
}

// y[j] += x[j]
void AddRow(float* y, const float* x, Index n) { Axpy(y, 1.0f, x, n); }

// Scratch that lives as long as the thread: tiles and transposed operands are reused from
// call to call instead of being allocated (and page-faulted) each time.
struct Scratch {
  std::vector<float> qc, kc, vc, oc, kt, vt, dk, dv, tile, tile2, acc, row_max, row_sum, di;
  std::vector<float> bias_rev, dbias_rev, rel_q, rel_p, rel_extra, rel_ds;
};
Scratch& thread_scratch() {
  static thread_local Scratch scratch;
  return scratch;
}
void ensure(std::vector<float>& v, Index n) {
  if (Index(v.size()) < n) v.resize(std::size_t(n));
}

// Operands are copied into contiguous per-head buffers first: rows of q, k, v sit `heads ·
// head_dim` (or 3 × that) floats apart in the caller's layout, a power-of-two stride that
// maps every row of a tile to the same L1 cache set.
//
// Contiguous copy: [rows, dim] at `stride` → [rows, dim].
void Gather(const float* x, Index stride, Index rows, Index dim, float* out) {
  for (Index j = 0; j < rows; ++j) std::copy(x + j * stride, x + j * stride + dim, out + j * dim);
}

// Transposed by key tile: [rows, dim] at `stride` → tiles of [dim, kKeyTile], tile t holding
// rows t · kKeyTile …; the columns past the last row are zero.
void TransposeTiles(const float* x, Index stride, Index rows, Index dim, float* out) {
  const Index tiles = (rows + kKeyTile - 1) / kKeyTile;
  std::fill(out, out + tiles * dim * kKeyTile, 0.0f);
  // Eight rows at a time, so that each store fills eight consecutive floats of a tile row.
  constexpr Index kRows = 8;
  Index j = 0;
  for (; j + kRows <= rows && (j % kKeyTile) + kRows <= kKeyTile; j += kRows) {
    float* tile = out + (j / kKeyTile) * dim * kKeyTile + (j % kKeyTile);
    const float* src = x + j * stride;
    for (Index c = 0; c < dim; ++c)
      for (Index r = 0; r < kRows; ++r) tile[c * kKeyTile + r] = src[r * stride + c];
  }
  for (; j < rows; ++j) {
    float* tile = out + (j / kKeyTile) * dim * kKeyTile + (j % kKeyTile);
    for (Index c = 0; c < dim; ++c) tile[c * kKeyTile] = x[j * stride + c];
  }
}

// y[j, :] += x[j, :] for `rows` rows, y at `stride`.
void Scatter(const float* x, Index rows, Index dim, float* y, Index stride) {
  for (Index j = 0; j < rows; ++j) AddRow(y + j * stride, x + j * dim, dim);
}

Index tiles_size(Index rows, Index dim) { return (rows + kKeyTile - 1) / kKeyTile * dim * kKeyTile; }

// The per-query terms of the schemes for one block of queries, and where the distances of a
// tile row fall. Distances d = q_pos - k_pos; Shaw's clip ≥ 0 applies from `far_end` down.
struct RowTerms {
  const float* bias_rev = nullptr;  // reversed bias: entry x is bias[n - 1 - x]
  Index bias_n = 0;
  const float* rel_q = nullptr;  // scale · q · K_rel[clip - dist], dist = 0..clip (Shaw)
  Index clip = -1;
};

// Turns the raw q·k of one tile row into the scaled, biased score (and, when rel_q is set,
// adds Shaw's key term). Keys j < far_end are at least `clip` back and share one term.
inline void ScoreRow(float* row, Index valid, Index q_pos, Index k0, float scale, const RowTerms& t) {
  const float* add = t.bias_rev != nullptr ? t.bias_rev + (t.bias_n - 1 - q_pos + k0) : nullptr;
  if (t.rel_q == nullptr) {
    ScaleAdd(row, valid, scale, add, 0.0f);
    return;
  }
  const Index far_end = std::clamp(q_pos - k0 - t.clip + 1, Index{0}, valid);
  ScaleAdd(row, far_end, scale, add, t.rel_q[t.clip]);
  for (Index j = far_end; j < valid; ++j)
    row[j] = row[j] * scale + (add != nullptr ? add[j] : 0.0f) + t.rel_q[q_pos - k0 - j];
}

void ForwardHead(const AttentionShape& s, const HeadView& hv, float* out, float* lse) {
  const Index dim = s.head_dim;
  const Index keys = s.q_offset + s.q_len;  // keys any query of this call can see
  const Index rel_count = hv.rel_keys != nullptr ? hv.clip + 1 : 0;
  Scratch& w = thread_scratch();
  ensure(w.qc, s.q_len * dim);
  ensure(w.vc, keys * dim);
  ensure(w.kt, tiles_size(keys, dim));
  ensure(w.tile, kQueryBlock * kKeyTile);
  ensure(w.acc, kQueryBlock * dim);
  ensure(w.row_max, kQueryBlock);
  ensure(w.row_sum, kQueryBlock);
  ensure(w.rel_q, kQueryBlock * rel_count);
  ensure(w.rel_p, kQueryBlock * rel_count);
  Gather(hv.q, s.q_stride, s.q_len, dim, w.qc.data());
  Gather(hv.v, s.v_stride, keys, dim, w.vc.data());
  TransposeTiles(hv.k, s.k_stride, keys, dim, w.kt.data());
  RowTerms terms;
  if (hv.bias != nullptr) {
    ensure(w.bias_rev, keys);
    for (Index x = 0; x < keys; ++x) w.bias_rev[std::size_t(x)] = hv.bias[keys - 1 - x];
    terms.bias_rev = w.bias_rev.data();
    terms.bias_n = keys;
  }
  float* tile = w.tile.data();
  float* acc = w.acc.data();

  for (Index q0 = 0; q0 < s.q_len; q0 += kQueryBlock) {
    const Index rows = std::min(kQueryBlock, s.q_len - q0);
    const Index first_pos = s.q_offset + q0;
    const Index key_end = first_pos + rows;
    const float* q_block = w.qc.data() + q0 * dim;
    std::fill(w.row_max.begin(), w.row_max.begin() + rows, -std::numeric_limits<float>::infinity());
    std::fill(w.row_sum.begin(), w.row_sum.begin() + rows, 0.0f);
    std::fill(acc, acc + rows * dim, 0.0f);
    std::fill(w.rel_p.begin(), w.rel_p.begin() + rows * rel_count, 0.0f);
    for (Index i = 0; i < rows && rel_count > 0; ++i)
      for (Index dist = 0; dist < rel_count; ++dist)
        w.rel_q[std::size_t(i * rel_count + dist)] =
            s.scale * Dot(q_block + i * dim, hv.rel_keys + (hv.clip - dist) * dim, dim);

    for (Index k0 = 0; k0 < key_end; k0 += kKeyTile) {
      const Index cols = std::min(kKeyTile, key_end - k0);
      TileGemm(q_block, dim, 1, w.kt.data() + k0 * dim, kKeyTile, tile, kKeyTile, rows, cols, dim, false);
      for (Index i = 0; i < rows; ++i) {
        float* row = tile + i * kKeyTile;
        const Index q_pos = first_pos + i;
        const Index valid = std::min(cols, q_pos - k0 + 1);
        if (valid <= 0) {
          std::fill(row, row + cols, 0.0f);
          continue;
        }
        if (rel_count > 0) {
          terms.rel_q = w.rel_q.data() + i * rel_count;
          terms.clip = hv.clip;
        }
        ScoreRow(row, valid, q_pos, k0, s.scale, terms);
        const float old_max = w.row_max[std::size_t(i)];
        const float new_max = std::max(old_max, RowMax(row, valid));
        const float correction = std::exp(old_max - new_max);  // 0 on the first tile
        const float tile_sum = ExpShiftedRow(row, valid, new_max);
        std::fill(row + valid, row + cols, 0.0f);
        w.row_sum[std::size_t(i)] = w.row_sum[std::size_t(i)] * correction + tile_sum;
        w.row_max[std::size_t(i)] = new_max;
        if (correction != 1.0f) {
          float* a = acc + i * dim;
          for (Index c = 0; c < dim; ++c) a[c] *= correction;
        }
        if (rel_count > 0) {
          float* rp = w.rel_p.data() + i * rel_count;
          if (correction != 1.0f)
            for (Index dist = 0; dist < rel_count; ++dist) rp[dist] *= correction;
          const Index far_end = std::clamp(q_pos - k0 - hv.clip + 1, Index{0}, valid);
          rp[hv.clip] += RowSum(row, far_end);
          for (Index j = far_end; j < valid; ++j) rp[q_pos - k0 - j] += row[j];
        }
      }
      TileGemm(tile, kKeyTile, 1, w.vc.data() + k0 * dim, dim, acc, dim, rows, dim, cols, true);
    }

    for (Index i = 0; i < rows; ++i) {
      const float inv = 1.0f / w.row_sum[std::size_t(i)];
      float* o = out + (q0 + i) * s.out_stride;
      const float* a = acc + i * dim;
      for (Index c = 0; c < dim; ++c) o[c] = a[c] * inv;
      for (Index dist = 0; dist < rel_count; ++dist)
        Axpy(o, w.rel_p[std::size_t(i * rel_count + dist)] * inv, hv.rel_values + (hv.clip - dist) * dim, dim);
      lse[q0 + i] = w.row_max[std::size_t(i)] + std::log(w.row_sum[std::size_t(i)]);
    }
  }
}

// One (sequence, head) of the backward pass. dq, dk, dv point at this head; dbias at this
// task's own [distances] partial; drel_* at this task's own [2 clip + 1, head_dim] partials.
void BackwardHead(const AttentionShape& s, const HeadView& hv, const float* out, const float* lse, const float* dout,
                  float* dq, float* dk, float* dv, float* dbias, float* drel_keys, float* drel_values) {
  const Index dim = s.head_dim;
  const Index keys = s.q_offset + s.q_len;
  const Index rel_count = hv.rel_keys != nullptr ? hv.clip + 1 : 0;
  Scratch& w = thread_scratch();
  ensure(w.qc, s.q_len * dim);
  ensure(w.oc, s.q_len * dim);
  ensure(w.kc, keys * dim);
  ensure(w.kt, tiles_size(keys, dim));
  ensure(w.vt, tiles_size(keys, dim));
  ensure(w.dk, keys * dim);
  ensure(w.dv, keys * dim);
  ensure(w.tile, kQueryBlock * kKeyTile);
  ensure(w.tile2, kQueryBlock * kKeyTile);
  ensure(w.acc, kQueryBlock * dim);
  ensure(w.di, kQueryBlock);
  ensure(w.rel_q, kQueryBlock * rel_count);
  ensure(w.rel_p, kQueryBlock * rel_count);
  ensure(w.rel_extra, kQueryBlock * rel_count);
  ensure(w.rel_ds, kQueryBlock * rel_count);
  Gather(hv.q, s.q_stride, s.q_len, dim, w.qc.data());
  Gather(dout, s.out_stride, s.q_len, dim, w.oc.data());
  Gather(hv.k, s.k_stride, keys, dim, w.kc.data());
  TransposeTiles(hv.k, s.k_stride, keys, dim, w.kt.data());
  TransposeTiles(hv.v, s.v_stride, keys, dim, w.vt.data());
  std::fill(w.dk.begin(), w.dk.begin() + keys * dim, 0.0f);
  std::fill(w.dv.begin(), w.dv.begin() + keys * dim, 0.0f);
  RowTerms terms;
  if (hv.bias != nullptr) {
    ensure(w.bias_rev, keys);
    ensure(w.dbias_rev, keys);
    for (Index x = 0; x < keys; ++x) w.bias_rev[std::size_t(x)] = hv.bias[keys - 1 - x];
    std::fill(w.dbias_rev.begin(), w.dbias_rev.begin() + keys, 0.0f);
    terms.bias_rev = w.bias_rev.data();
    terms.bias_n = keys;
  }
  float* probs = w.tile.data();
  float* dscores = w.tile2.data();
  float* dq_acc = w.acc.data();

  for (Index q0 = 0; q0 < s.q_len; q0 += kQueryBlock) {
    const Index rows = std::min(kQueryBlock, s.q_len - q0);
    const Index first_pos = s.q_offset + q0;
    const Index key_end = first_pos + rows;
    const float* q_block = w.qc.data() + q0 * dim;
    const float* dout_block = w.oc.data() + q0 * dim;
    std::fill(dq_acc, dq_acc + rows * dim, 0.0f);
    std::fill(w.rel_p.begin(), w.rel_p.begin() + rows * rel_count, 0.0f);
    std::fill(w.rel_ds.begin(), w.rel_ds.begin() + rows * rel_count, 0.0f);
    for (Index i = 0; i < rows; ++i) {
      // D_i = dout_i · out_i = Σ_j p_ij dp_ij (FlashAttention-2's shortcut for the softmax backward).
      w.di[std::size_t(i)] = Dot(dout_block + i * dim, out + (q0 + i) * s.out_stride, dim);
      for (Index dist = 0; dist < rel_count; ++dist) {
        w.rel_q[std::size_t(i * rel_count + dist)] =
            s.scale * Dot(q_block + i * dim, hv.rel_keys + (hv.clip - dist) * dim, dim);
        w.rel_extra[std::size_t(i * rel_count + dist)] =
            Dot(dout_block + i * dim, hv.rel_values + (hv.clip - dist) * dim, dim);
      }
    }

    for (Index k0 = 0; k0 < key_end; k0 += kKeyTile) {
      const Index cols = std::min(kKeyTile, key_end - k0);
      TileGemm(q_block, dim, 1, w.kt.data() + k0 * dim, kKeyTile, probs, kKeyTile, rows, cols, dim, false);
      TileGemm(dout_block, dim, 1, w.vt.data() + k0 * dim, kKeyTile, dscores, kKeyTile, rows, cols, dim, false);
      for (Index i = 0; i < rows; ++i) {
        float* p = probs + i * kKeyTile;
        float* ds = dscores + i * kKeyTile;
        const Index q_pos = first_pos + i;
        const Index valid = std::min(cols, q_pos - k0 + 1);
        if (valid <= 0) {
          std::fill(p, p + cols, 0.0f);
          std::fill(ds, ds + cols, 0.0f);
          continue;
        }
        if (rel_count > 0) {
          terms.rel_q = w.rel_q.data() + i * rel_count;
          terms.clip = hv.clip;
        }
        ScoreRow(p, valid, q_pos, k0, s.scale, terms);
        ExpShiftedRow(p, valid, lse[q0 + i]);
        std::fill(p + valid, p + cols, 0.0f);
        std::fill(ds + valid, ds + cols, 0.0f);
        const float di = w.di[std::size_t(i)];
        if (rel_count == 0) {
          SoftmaxBackwardRow(ds, p, valid, 0.0f, di);
        } else {
          // dp_ij gains dout_i · V_rel[dist]; far keys share dist = clip.
          const float* extra = w.rel_extra.data() + i * rel_count;
          float* rp = w.rel_p.data() + i * rel_count;
          float* rds = w.rel_ds.data() + i * rel_count;
          const Index far_end = std::clamp(q_pos - k0 - hv.clip + 1, Index{0}, valid);
          SoftmaxBackwardRow(ds, p, far_end, extra[hv.clip], di);
          rp[hv.clip] += RowSum(p, far_end);
          rds[hv.clip] += s.scale * RowSum(ds, far_end);
          for (Index j = far_end; j < valid; ++j) {
            const Index dist = q_pos - k0 - j;
            ds[j] = p[j] * (ds[j] + extra[dist] - di);
            rp[dist] += p[j];
            rds[dist] += s.scale * ds[j];
          }
        }
        if (dbias != nullptr) AddRow(w.dbias_rev.data() + (keys - 1 - q_pos + k0), ds, valid);
        ScaleAdd(ds, valid, s.scale, nullptr, 0.0f);  // gradient of the raw q·k
      }
      // dv[k0:] += pᵀ · dout ; dq += ds · k ; dk[k0:] += dsᵀ · q
      TileGemm(probs, 1, kKeyTile, dout_block, dim, w.dv.data() + k0 * dim, dim, cols, dim, rows, true);
      TileGemm(dscores, kKeyTile, 1, w.kc.data() + k0 * dim, dim, dq_acc, dim, rows, dim, cols, true);
      TileGemm(dscores, 1, kKeyTile, q_block, dim, w.dk.data() + k0 * dim, dim, cols, dim, rows, true);
    }

    for (Index i = 0; i < rows; ++i) {
      float* dqi = dq + (q0 + i) * s.q_stride;
      AddRow(dqi, dq_acc + i * dim, dim);
      for (Index dist = 0; dist < rel_count; ++dist) {
        const float g = w.rel_ds[std::size_t(i * rel_count + dist)];
        const float pw = w.rel_p[std::size_t(i * rel_count + dist)];
        const Index row = hv.clip - dist;
        Axpy(dqi, g, hv.rel_keys + row * dim, dim);
        if (drel_keys != nullptr) Axpy(drel_keys + row * dim, g, q_block + i * dim, dim);
        if (drel_values != nullptr) Axpy(drel_values + row * dim, pw, dout_block + i * dim, dim);
      }
    }
  }
  Scatter(w.dk.data(), keys, dim, dk, s.k_stride);
  Scatter(w.dv.data(), keys, dim, dv, s.v_stride);
  if (dbias != nullptr)
    for (Index dist = 0; dist < keys; ++dist) dbias[dist] += w.dbias_rev[std::size_t(keys - 1 - dist)];
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <fmt/format.h>

namespace posemb::kernels {
namespace {
HWY_EXPORT(ForwardHead);
HWY_EXPORT(BackwardHead);
using attention_detail::head_view;
using attention_detail::HeadView;
}  // namespace

void validate_attention(const AttentionShape& s, const AttentionInputs& in) {
  auto fail = [](const std::string& what) { throw Error("attention: " + what); };
  if (s.batch < 0 || s.heads <= 0 || s.head_dim <= 0)
    fail(fmt::format("batch ({}) must be ≥ 0 and heads ({}) and head_dim ({}) > 0", s.batch, s.heads, s.head_dim));
  if (s.q_len < 0 || s.q_offset < 0 || s.k_len < s.q_offset + s.q_len)
    fail(fmt::format("k_len ({}) must be ≥ q_offset ({}) + q_len ({}), all ≥ 0", s.k_len, s.q_offset, s.q_len));
  const Index row = s.heads * s.head_dim;
  if (s.q_stride < row || s.k_stride < row || s.v_stride < row || s.out_stride < row)
    fail(fmt::format("token strides (q {}, k {}, v {}, out {}) must be ≥ heads × head_dim = {}", s.q_stride, s.k_stride,
                     s.v_stride, s.out_stride, row));
  if (!(s.scale > 0.0f) || !std::isfinite(s.scale)) fail(fmt::format("scale ({}) must be finite and > 0", s.scale));
  if (in.q == nullptr || in.k == nullptr || in.v == nullptr) fail("q, k and v must be given");
  if (in.bias.values != nullptr && in.bias.distances < s.q_offset + s.q_len)
    fail(fmt::format("the distance bias covers {} distances but the farthest key is {} positions back",
                     in.bias.distances, s.q_offset + s.q_len - 1));
  if (in.relative.keys != nullptr && (in.relative.values == nullptr || in.relative.clip < 0))
    fail(fmt::format("relative keys need relative values and a clip ≥ 0 (clip is {})", in.relative.clip));
}

void attention_forward(const AttentionShape& s, const AttentionInputs& in, float* out, float* lse) {
  const Index tasks = s.batch * s.heads;
#pragma omp parallel for schedule(dynamic, 1) if (tasks > 1)
  for (Index task = 0; task < tasks; ++task) {
    const Index b = task / s.heads, h = task % s.heads;
    HWY_DYNAMIC_DISPATCH(ForwardHead)
    (s, head_view(s, in, b, h), out + b * s.q_len * s.out_stride + h * s.head_dim, lse + task * s.q_len);
  }
}

void attention_backward(const AttentionShape& s, const AttentionInputs& in, const float* out, const float* lse,
                        const float* dout, const AttentionGradients& g) {
  const Index tasks = s.batch * s.heads;
  const bool has_bias = in.bias.values != nullptr && g.dbias != nullptr;
  const bool has_rel = in.relative.keys != nullptr;
  const Index bias_size = has_bias ? in.bias.distances : 0;
  const Index rel_size = has_rel ? (2 * in.relative.clip + 1) * s.head_dim : 0;
  // Gradients of tables shared between tasks go to per-task partials first, then are added
  // in task order: the result does not depend on the thread count.
  std::vector<float> bias_partial(static_cast<std::size_t>(tasks * bias_size), 0.0f);
  std::vector<float> rel_partial(static_cast<std::size_t>(tasks * 2 * rel_size), 0.0f);
#pragma omp parallel for schedule(dynamic, 1) if (tasks > 1)
  for (Index task = 0; task < tasks; ++task) {
    const Index b = task / s.heads, h = task % s.heads;
    const Index q_at = b * s.q_len * s.q_stride + h * s.head_dim;
    const Index o_at = b * s.q_len * s.out_stride + h * s.head_dim;
    float* rel = rel_partial.data() + task * 2 * rel_size;
    HWY_DYNAMIC_DISPATCH(BackwardHead)
    (s, head_view(s, in, b, h), out + o_at, lse + task * s.q_len, dout + o_at, g.dq + q_at,
     g.dk + b * s.k_len * s.k_stride + h * s.head_dim, g.dv + b * s.k_len * s.v_stride + h * s.head_dim,
     has_bias ? bias_partial.data() + task * bias_size : nullptr, has_rel ? rel : nullptr,
     has_rel ? rel + rel_size : nullptr);
  }
  for (Index task = 0; task < tasks; ++task) {
    const Index h = task % s.heads;
    for (Index i = 0; i < bias_size; ++i)
      g.dbias[h * bias_size + i] += bias_partial[static_cast<std::size_t>(task * bias_size + i)];
    const float* rel = rel_partial.data() + task * 2 * rel_size;
    for (Index i = 0; i < rel_size; ++i) {
      if (g.drelative_keys != nullptr) g.drelative_keys[i] += rel[i];
      if (g.drelative_values != nullptr) g.drelative_values[i] += rel[rel_size + i];
    }
  }
}

// ---- References: the whole score matrix of a head, in double ------------------------------

namespace {

// probs[i, j] (row-major [q_len, k_len]) of one head, and the raw scores' log-sum-exp.
void reference_probabilities(const AttentionShape& s, const HeadView& hv, std::vector<double>& probs,
                             std::vector<double>& lse) {
  const Index dim = s.head_dim;
  probs.assign(static_cast<std::size_t>(s.q_len * s.k_len), 0.0);
  lse.assign(static_cast<std::size_t>(s.q_len), 0.0);
  for (Index i = 0; i < s.q_len; ++i) {
    const Index q_pos = s.q_offset + i;
    const float* qi = hv.q + i * s.q_stride;
    double max = -std::numeric_limits<double>::infinity();
    for (Index j = 0; j <= q_pos; ++j) {
      double dotp = attention_detail::dot(qi, hv.k + j * s.k_stride, dim);
      if (hv.rel_keys != nullptr)
        dotp += attention_detail::dot(qi, hv.rel_keys + (hv.clip - std::min(q_pos - j, hv.clip)) * dim, dim);
      double score = double(s.scale) * dotp;
      if (hv.bias != nullptr) score += hv.bias[q_pos - j];
      probs[static_cast<std::size_t>(i * s.k_len + j)] = score;
      max = std::max(max, score);
    }
    double sum = 0;
    for (Index j = 0; j <= q_pos; ++j) sum += std::exp(probs[static_cast<std::size_t>(i * s.k_len + j)] - max);
    lse[static_cast<std::size_t>(i)] = max + std::log(sum);
    for (Index j = 0; j <= q_pos; ++j) {
      double& p = probs[static_cast<std::size_t>(i * s.k_len + j)];
      p = std::exp(p - lse[static_cast<std::size_t>(i)]);
    }
  }
}

// out_i = Σ_j p_ij (v_j + V_rel[j - i]), in double.
void reference_output(const AttentionShape& s, const HeadView& hv, const std::vector<double>& probs, Index i,
                      std::vector<double>& out) {
  const Index dim = s.head_dim;
  out.assign(static_cast<std::size_t>(dim), 0.0);
  const Index q_pos = s.q_offset + i;
  for (Index j = 0; j <= q_pos; ++j) {
    const double p = probs[static_cast<std::size_t>(i * s.k_len + j)];
    const float* vj = hv.v + j * s.v_stride;
    const float* vr =
        hv.rel_values != nullptr ? hv.rel_values + (hv.clip - std::min(q_pos - j, hv.clip)) * dim : nullptr;
    for (Index c = 0; c < dim; ++c) out[static_cast<std::size_t>(c)] += p * (vj[c] + (vr != nullptr ? vr[c] : 0.0f));
  }
}

}  // namespace

void attention_probabilities(const AttentionShape& s, const AttentionInputs& in, float* probs_out) {
  std::vector<double> probs, row_lse;
  for (Index b = 0; b < s.batch; ++b)
    for (Index h = 0; h < s.heads; ++h) {
      reference_probabilities(s, head_view(s, in, b, h), probs, row_lse);
      float* dst = probs_out + (b * s.heads + h) * s.q_len * s.k_len;
      for (std::size_t i = 0; i < probs.size(); ++i) dst[i] = float(probs[i]);
    }
}

void attention_forward_reference(const AttentionShape& s, const AttentionInputs& in, float* out, float* lse) {
  std::vector<double> probs, row_lse, o;
  for (Index b = 0; b < s.batch; ++b) {
    for (Index h = 0; h < s.heads; ++h) {
      const HeadView hv = head_view(s, in, b, h);
      reference_probabilities(s, hv, probs, row_lse);
      for (Index i = 0; i < s.q_len; ++i) {
        reference_output(s, hv, probs, i, o);
        float* oi = out + b * s.q_len * s.out_stride + i * s.out_stride + h * s.head_dim;
        for (Index c = 0; c < s.head_dim; ++c) oi[c] = float(o[static_cast<std::size_t>(c)]);
        lse[(b * s.heads + h) * s.q_len + i] = float(row_lse[static_cast<std::size_t>(i)]);
      }
    }
  }
}

void attention_backward_reference(const AttentionShape& s, const AttentionInputs& in, const float* dout,
                                  const AttentionGradients& g) {
  const Index dim = s.head_dim;
  std::vector<double> probs, row_lse, dp;
  for (Index b = 0; b < s.batch; ++b) {
    for (Index h = 0; h < s.heads; ++h) {
      const HeadView hv = head_view(s, in, b, h);
      reference_probabilities(s, hv, probs, row_lse);
      const float* dout_h = dout + b * s.q_len * s.out_stride + h * dim;
      float* dq = g.dq + b * s.q_len * s.q_stride + h * dim;
      float* dk = g.dk + b * s.k_len * s.k_stride + h * dim;
      float* dv = g.dv + b * s.k_len * s.v_stride + h * dim;
      for (Index i = 0; i < s.q_len; ++i) {
        const Index q_pos = s.q_offset + i;
        const float* doi = dout_h + i * s.out_stride;
        const float* qi = hv.q + i * s.q_stride;
        // dp_ij = dout_i · (v_j + V_rel), then the softmax backward: ds = p (dp - Σ p dp)
        dp.assign(static_cast<std::size_t>(q_pos + 1), 0.0);
        double weighted = 0;
        for (Index j = 0; j <= q_pos; ++j) {
          const Index rel_row = hv.rel_keys != nullptr ? hv.clip - std::min(q_pos - j, hv.clip) : 0;
          double value = attention_detail::dot(doi, hv.v + j * s.v_stride, dim);
          if (hv.rel_values != nullptr) value += attention_detail::dot(doi, hv.rel_values + rel_row * dim, dim);
          dp[static_cast<std::size_t>(j)] = value;
          weighted += probs[static_cast<std::size_t>(i * s.k_len + j)] * value;
        }
        for (Index j = 0; j <= q_pos; ++j) {
          const double p = probs[static_cast<std::size_t>(i * s.k_len + j)];
          const double ds = p * (dp[static_cast<std::size_t>(j)] - weighted);
          const Index rel_row = hv.rel_keys != nullptr ? hv.clip - std::min(q_pos - j, hv.clip) : 0;
          if (hv.bias != nullptr && g.dbias != nullptr) g.dbias[h * in.bias.distances + (q_pos - j)] += float(ds);
          const double draw = ds * s.scale;
          const float* kj = hv.k + j * s.k_stride;
          for (Index c = 0; c < dim; ++c) {
            double dqc = draw * kj[c];
            if (hv.rel_keys != nullptr) {
              dqc += draw * hv.rel_keys[rel_row * dim + c];
              if (g.drelative_keys != nullptr) g.drelative_keys[rel_row * dim + c] += float(draw * qi[c]);
              if (g.drelative_values != nullptr) g.drelative_values[rel_row * dim + c] += float(p * doi[c]);
            }
            dq[i * s.q_stride + c] += float(dqc);
            dk[j * s.k_stride + c] += float(draw * qi[c]);
            dv[j * s.v_stride + c] += float(p * doi[c]);
          }
        }
      }
    }
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
