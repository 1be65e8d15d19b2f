// Additive position rows: the scalar reference and the Highway SIMD version (this file is
// compiled once per SIMD target by hwy/foreach_target.h). See include/posemb/kernels/position_rows.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/position_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <cstdint>

#include "kernels/memory_traffic.hpp"
#include "kernels/parallel_tokens.hpp"
#include "posemb/kernels/position_rows.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// out[i] = x[i] + row[i] for i in [0, n). No software prefetch: rows are long sequential
// streams that the hardware prefetcher follows (prefetching them measured slower).
template <bool kStream>
HWY_INLINE void AddRow(const float* x, const float* row, float* out, Index n) {
  const hn::ScalableTag<float> d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto sum = hn::Add(hn::LoadU(d, x + i), hn::LoadU(d, row + i));
    if constexpr (kStream) {
      hn::Stream(sum, d, out + i);
    } else {
      hn::StoreU(sum, d, out + i);
    }
  }
  for (; i < n; ++i) out[i] = x[i] + row[i];
}

// Streaming stores (kernels/memory_traffic.hpp) need every row start aligned to a vector.
bool CanStream(const float* x, const float* out, Index tokens, Index dim) {
  const hn::ScalableTag<float> d;
  const auto vector_bytes = static_cast<Index>(hn::Lanes(d) * sizeof(float));
  const Index row_bytes = dim * static_cast<Index>(sizeof(float));
  return out != x && output_outlives_cache(tokens * row_bytes) && row_bytes % vector_bytes == 0 &&
         reinterpret_cast<std::uintptr_t>(out) % vector_bytes == 0;
}

template <bool kStream>
void AddRows(const float* x, float* out, Index tokens, Index dim, const float* table, const Index* positions) {
  for_token_ranges(tokens, dim, [&](Index first, Index last) {
    for (Index t = first; t < last; ++t)
      AddRow<kStream>(x + t * dim, table + positions[t] * dim, out + t * dim, dim);
    if constexpr (kStream) hwy::FlushStream();
  });
}

void AddPositionRowsSimd(const float* x, float* out, Index tokens, Index dim, const float* table,
                         const Index* positions) {
  if (CanStream(x, out, tokens, dim)) {
    AddRows<true>(x, out, tokens, dim, table, positions);
  } else {
    AddRows<false>(x, out, tokens, dim, table, positions);
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(AddPositionRowsSimd);

void add_position_rows(const float* x, float* out, Index tokens, Index dim, const float* table,
                       const Index* positions) {
  HWY_DYNAMIC_DISPATCH(AddPositionRowsSimd)(x, out, tokens, dim, table, positions);
}

void add_position_rows_reference(const float* x, float* out, Index tokens, Index dim, const float* table,
                                 const Index* positions) {
  for (Index t = 0; t < tokens; ++t) {
    const float* row = table + positions[t] * dim;
    for (Index c = 0; c < dim; ++c) out[t * dim + c] = x[t * dim + c] + row[c];
  }
}

void add_position_rows_backward_table_reference(const float* grad_out, float* grad_table, Index tokens, Index dim,
                                                const Index* positions) {
  for (Index t = 0; t < tokens; ++t) {
    float* row = grad_table + positions[t] * dim;
    for (Index c = 0; c < dim; ++c) row[c] += grad_out[t * dim + c];
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
