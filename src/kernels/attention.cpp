// Causal multi-head attention: plain references and the tiled FlashAttention-style kernels.
// The tile products go through OpenBLAS (kernels/matmul.hpp); the softmax over each tile row
// is Highway SIMD (this file is compiled once per SIMD target by hwy/foreach_target.h).
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
#include "posemb/kernels/matmul.hpp"

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
  const float* rel_keys;    // [2 clip + 1, head_dim] or null
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

inline float dot_float(const float* a, const float* b, Index n) {
  float sum = 0;
  for (Index i = 0; i < n; ++i) sum += a[i] * b[i];
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

float RowMax(const float* row, Index n) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  float max = -std::numeric_limits<float>::infinity();
  Index j = 0;
  if (n >= lanes) {
    auto vmax = hn::LoadU(d, row);
    for (j = lanes; j + lanes <= n; j += lanes) vmax = hn::Max(vmax, hn::LoadU(d, row + j));
    max = hn::GetLane(hn::MaxOfLanes(d, vmax));
  }
  for (; j < n; ++j) max = std::max(max, row[j]);
  return max;
}

// row[j] = exp(row[j] - shift) for j < n; returns the sum of the new values.
float ExpShiftedRow(float* row, Index n, float shift) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto vshift = hn::Set(d, shift);
  auto vsum = hn::Zero(d);
  Index j = 0;
  for (; j + lanes <= n; j += lanes) {
    const auto p = hn::Exp(d, hn::Sub(hn::LoadU(d, row + j), vshift));
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

// rows ×= factor
void ScaleRow(float* row, Index n, float factor) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  const auto vf = hn::Set(d, factor);
  Index j = 0;
  for (; j + lanes <= n; j += lanes) hn::StoreU(hn::Mul(hn::LoadU(d, row + j), vf), d, row + j);
  for (; j < n; ++j) row[j] *= factor;
}

// Adds the scheme's score terms to the scaled scores of one tile row whose first `valid`
// keys are visible: bias[q_pos - k_pos] and scale · q·K_rel (precomputed per distance).
inline void AddScoreTerms(float* row, Index valid, Index q_pos, Index k0, const HeadView& hv, const float* rel_q,
                          float scale) {
  if (hv.bias != nullptr) {
    const float* bias_at_k0 = hv.bias + (q_pos - k0);  // bias for key k0 + j is bias_at_k0[-j]
    for (Index j = 0; j < valid; ++j) row[j] += bias_at_k0[-j];
  }
  if (rel_q != nullptr) {
    for (Index j = 0; j < valid; ++j) row[j] += scale * rel_q[std::min(q_pos - k0 - j, hv.clip)];
  }
}

// One (sequence, head): out rows and lse.
void ForwardHead(const AttentionShape& s, const HeadView& hv, float* out, float* lse) {
  const Index dim = s.head_dim;
  const Index rel_count = hv.rel_keys != nullptr ? hv.clip + 1 : 0;  // distances 0..clip
  std::vector<float> tile(static_cast<std::size_t>(kQueryBlock * kKeyTile));
  std::vector<float> acc(static_cast<std::size_t>(kQueryBlock * dim));
  std::vector<float> row_max(kQueryBlock), row_sum(kQueryBlock);
  std::vector<float> rel_q(static_cast<std::size_t>(kQueryBlock * rel_count));
  std::vector<float> rel_p(static_cast<std::size_t>(kQueryBlock * rel_count));

  for (Index q0 = 0; q0 < s.q_len; q0 += kQueryBlock) {
    const Index rows = std::min(kQueryBlock, s.q_len - q0);
    const Index first_pos = s.q_offset + q0;
    const Index key_end = first_pos + rows;
    std::fill(row_max.begin(), row_max.end(), -std::numeric_limits<float>::infinity());
    std::fill(row_sum.begin(), row_sum.end(), 0.0f);
    std::fill(acc.begin(), acc.end(), 0.0f);
    std::fill(rel_p.begin(), rel_p.end(), 0.0f);
    for (Index i = 0; i < rows && rel_count > 0; ++i)
      for (Index dist = 0; dist < rel_count; ++dist)
        rel_q[static_cast<std::size_t>(i * rel_count + dist)] = attention_detail::dot_float(
            hv.q + (q0 + i) * s.q_stride, hv.rel_keys + (hv.clip - dist) * dim, dim);

    for (Index k0 = 0; k0 < key_end; k0 += kKeyTile) {
      const Index cols = std::min(kKeyTile, key_end - k0);
      gemm(Transpose::kNo, Transpose::kYes, {rows, cols, dim}, s.scale, hv.q + q0 * s.q_stride, s.q_stride,
           hv.k + k0 * s.k_stride, s.k_stride, 0.0f, tile.data(), kKeyTile);
      for (Index i = 0; i < rows; ++i) {
        float* row = tile.data() + i * kKeyTile;
        const Index q_pos = first_pos + i;
        const Index valid = std::min(cols, q_pos - k0 + 1);
        if (valid <= 0) {
          std::fill(row, row + cols, 0.0f);
          continue;
        }
        float* rel_p_row = rel_p.data() + i * rel_count;
        AddScoreTerms(row, valid, q_pos, k0, hv, rel_count > 0 ? rel_q.data() + i * rel_count : nullptr, s.scale);
        const float new_max = std::max(row_max[i], RowMax(row, valid));
        const float correction = std::exp(row_max[i] - new_max);  // 0 on the first tile
        const float tile_sum = ExpShiftedRow(row, valid, new_max);
        std::fill(row + valid, row + cols, 0.0f);
        row_sum[i] = row_sum[i] * correction + tile_sum;
        if (correction != 1.0f) {
          ScaleRow(acc.data() + i * dim, dim, correction);
          if (rel_count > 0) ScaleRow(rel_p_row, rel_count, correction);
        }
        for (Index j = 0; j < valid && rel_count > 0; ++j) rel_p_row[std::min(q_pos - k0 - j, hv.clip)] += row[j];
        row_max[i] = new_max;
      }
      gemm(Transpose::kNo, Transpose::kNo, {rows, dim, cols}, 1.0f, tile.data(), kKeyTile, hv.v + k0 * s.v_stride,
           s.v_stride, 1.0f, acc.data(), dim);
    }

    for (Index i = 0; i < rows; ++i) {
      const float inv = 1.0f / row_sum[i];
      float* o = out + (q0 + i) * s.out_stride;
      const float* a = acc.data() + i * dim;
      for (Index c = 0; c < dim; ++c) o[c] = a[c] * inv;
      for (Index dist = 0; dist < rel_count; ++dist) {
        const float w = rel_p[static_cast<std::size_t>(i * rel_count + dist)] * inv;
        const float* vr = hv.rel_values + (hv.clip - dist) * dim;
        for (Index c = 0; c < dim; ++c) o[c] += w * vr[c];
      }
      lse[q0 + i] = row_max[i] + std::log(row_sum[i]);
    }
  }
}

// One (sequence, head) of the backward pass. dq, dk, dv point at this head; dbias at this
// task's own [distances] partial; drel_* at this task's own [2 clip + 1, head_dim] partials.
void BackwardHead(const AttentionShape& s, const HeadView& hv, const float* out, const float* lse,
                  const float* dout, float* dq, float* dk, float* dv, float* dbias, float* drel_keys,
                  float* drel_values) {
  const Index dim = s.head_dim;
  const Index rel_count = hv.rel_keys != nullptr ? hv.clip + 1 : 0;
  std::vector<float> probs(static_cast<std::size_t>(kQueryBlock * kKeyTile));
  std::vector<float> dscores(static_cast<std::size_t>(kQueryBlock * kKeyTile));
  std::vector<float> dq_acc(static_cast<std::size_t>(kQueryBlock * dim));
  std::vector<float> out_dot_dout(kQueryBlock);
  std::vector<float> rel_q(static_cast<std::size_t>(kQueryBlock * rel_count));
  std::vector<float> rel_dout(static_cast<std::size_t>(kQueryBlock * rel_count));
  std::vector<float> rel_p(static_cast<std::size_t>(kQueryBlock * rel_count));
  std::vector<float> rel_ds(static_cast<std::size_t>(kQueryBlock * rel_count));

  for (Index q0 = 0; q0 < s.q_len; q0 += kQueryBlock) {
    const Index rows = std::min(kQueryBlock, s.q_len - q0);
    const Index first_pos = s.q_offset + q0;
    const Index key_end = first_pos + rows;
    const float* q_block = hv.q + q0 * s.q_stride;
    const float* dout_block = dout + q0 * s.out_stride;
    std::fill(dq_acc.begin(), dq_acc.end(), 0.0f);
    std::fill(rel_p.begin(), rel_p.end(), 0.0f);
    std::fill(rel_ds.begin(), rel_ds.end(), 0.0f);
    for (Index i = 0; i < rows; ++i) {
      // D_i = dout_i · out_i = Σ_j p_ij dp_ij (FlashAttention-2's shortcut for the softmax backward).
      out_dot_dout[i] = attention_detail::dot_float(dout_block + i * s.out_stride, out + (q0 + i) * s.out_stride, dim);
      for (Index dist = 0; dist < rel_count; ++dist) {
        rel_q[static_cast<std::size_t>(i * rel_count + dist)] =
            attention_detail::dot_float(q_block + i * s.q_stride, hv.rel_keys + (hv.clip - dist) * dim, dim);
        rel_dout[static_cast<std::size_t>(i * rel_count + dist)] = attention_detail::dot_float(
            dout_block + i * s.out_stride, hv.rel_values + (hv.clip - dist) * dim, dim);
      }
    }

    for (Index k0 = 0; k0 < key_end; k0 += kKeyTile) {
      const Index cols = std::min(kKeyTile, key_end - k0);
      gemm(Transpose::kNo, Transpose::kYes, {rows, cols, dim}, s.scale, q_block, s.q_stride, hv.k + k0 * s.k_stride,
           s.k_stride, 0.0f, probs.data(), kKeyTile);
      // dp = dout · vᵀ
      gemm(Transpose::kNo, Transpose::kYes, {rows, cols, dim}, 1.0f, dout_block, s.out_stride,
           hv.v + k0 * s.v_stride, s.v_stride, 0.0f, dscores.data(), kKeyTile);
      for (Index i = 0; i < rows; ++i) {
        float* p = probs.data() + i * kKeyTile;
        float* ds = dscores.data() + i * kKeyTile;
        const Index q_pos = first_pos + i;
        const Index valid = std::min(cols, q_pos - k0 + 1);
        if (valid <= 0) {
          std::fill(p, p + cols, 0.0f);
          std::fill(ds, ds + cols, 0.0f);
          continue;
        }
        const float* rq = rel_count > 0 ? rel_q.data() + i * rel_count : nullptr;
        AddScoreTerms(p, valid, q_pos, k0, hv, rq, s.scale);
        ExpShiftedRow(p, valid, lse[q0 + i]);
        std::fill(p + valid, p + cols, 0.0f);
        std::fill(ds + valid, ds + cols, 0.0f);
        const float di = out_dot_dout[i];
        for (Index j = 0; j < valid; ++j) {
          const Index dist = q_pos - k0 - j;
          float dp = ds[j];
          if (rel_count > 0) {
            const Index r = std::min(dist, hv.clip);
            dp += rel_dout[static_cast<std::size_t>(i * rel_count + r)];
            rel_p[static_cast<std::size_t>(i * rel_count + r)] += p[j];
          }
          const float dscore = p[j] * (dp - di);  // gradient of the biased, scaled score
          if (dbias != nullptr) dbias[dist] += dscore;
          ds[j] = dscore * s.scale;  // gradient of the raw q·k (and q·K_rel)
          if (rel_count > 0) rel_ds[static_cast<std::size_t>(i * rel_count + std::min(dist, hv.clip))] += ds[j];
        }
      }
      // dv[k0:] += pᵀ · dout ; dq += ds · k ; dk[k0:] += dsᵀ · q
      gemm(Transpose::kYes, Transpose::kNo, {cols, dim, rows}, 1.0f, probs.data(), kKeyTile, dout_block, s.out_stride,
           1.0f, dv + k0 * s.v_stride, s.v_stride);
      gemm(Transpose::kNo, Transpose::kNo, {rows, dim, cols}, 1.0f, dscores.data(), kKeyTile, hv.k + k0 * s.k_stride,
           s.k_stride, 1.0f, dq_acc.data(), dim);
      gemm(Transpose::kYes, Transpose::kNo, {cols, dim, rows}, 1.0f, dscores.data(), kKeyTile, q_block, s.q_stride,
           1.0f, dk + k0 * s.k_stride, s.k_stride);
    }

    for (Index i = 0; i < rows; ++i) {
      float* dqi = dq + (q0 + i) * s.q_stride;
      const float* acc = dq_acc.data() + i * dim;
      for (Index c = 0; c < dim; ++c) dqi[c] += acc[c];
      for (Index dist = 0; dist < rel_count; ++dist) {
        const float g = rel_ds[static_cast<std::size_t>(i * rel_count + dist)];
        const float w = rel_p[static_cast<std::size_t>(i * rel_count + dist)];
        const Index row = hv.clip - dist;
        const float* kr = hv.rel_keys + row * dim;
        const float* qi = q_block + i * s.q_stride;
        const float* gi = dout_block + i * s.out_stride;
        for (Index c = 0; c < dim; ++c) {
          dqi[c] += g * kr[c];
          if (drel_keys != nullptr) drel_keys[row * dim + c] += g * qi[c];
          if (drel_values != nullptr) drel_values[row * dim + c] += w * gi[c];
        }
      }
    }
  }
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
    fail(fmt::format("token strides (q {}, k {}, v {}, out {}) must be ≥ heads × head_dim = {}", s.q_stride,
                     s.k_stride, s.v_stride, s.out_stride, row));
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
    HWY_DYNAMIC_DISPATCH(ForwardHead)(s, head_view(s, in, b, h), out + b * s.q_len * s.out_stride + h * s.head_dim,
                                      lse + task * s.q_len);
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
    HWY_DYNAMIC_DISPATCH(BackwardHead)(s, head_view(s, in, b, h), out + o_at, lse + task * s.q_len, dout + o_at,
                                       g.dq + q_at, g.dk + b * s.k_len * s.k_stride + h * s.head_dim,
                                       g.dv + b * s.k_len * s.v_stride + h * s.head_dim,
                                       has_bias ? bias_partial.data() + task * bias_size : nullptr,
                                       has_rel ? rel : nullptr, has_rel ? rel + rel_size : nullptr);
  }
  for (Index task = 0; task < tasks; ++task) {
    const Index h = task % s.heads;
    for (Index i = 0; i < bias_size; ++i) g.dbias[h * bias_size + i] += bias_partial[static_cast<std::size_t>(task * bias_size + i)];
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
    const float* vr = hv.rel_values != nullptr ? hv.rel_values + (hv.clip - std::min(q_pos - j, hv.clip)) * dim : nullptr;
    for (Index c = 0; c < dim; ++c) out[static_cast<std::size_t>(c)] += p * (vj[c] + (vr != nullptr ? vr[c] : 0.0f));
  }
}

}  // namespace

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
