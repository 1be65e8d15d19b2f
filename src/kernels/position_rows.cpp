// Additive position rows: the scalar reference and the Highway SIMD version (this file is
// compiled once per SIMD target by hwy/foreach_target.h). See include/posemb/kernels/position_rows.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/position_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/cache_control.h>
#include <hwy/highway.h>

#include <algorithm>
#include <cstdint>

#include "kernels/memory_bound_tag-inl.hpp"
#include "kernels/memory_traffic.hpp"
#include "kernels/parallel_tokens.hpp"
#include "posemb/kernels/position_rows.hpp"

HWY_BEFORE_NAMESPACE();
namespace posemb::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// How a call moves its bytes (kernels/memory_traffic.hpp): all in the cache; from memory, with
// prefetches; or from memory into an output written with streaming stores.
enum class Traffic { kCached, kPrefetch, kStream };

// out[i] = x[i] + row[i] for i in [0, n). kPrefetch asks for the lines of x (and of an
// out-of-place output) 8 KiB ahead, a span of 128 floats at a time: with a batch the walk jumps
// to the next sequence after each table block and the hardware prefetcher loses the stream.
template <Traffic kTraffic>
HWY_INLINE void AddRow(const float* x, const float* row, float* out, Index n, const float* x_end,
                       const float* out_end) {
  constexpr Index kSpan = 128;
  constexpr bool kStream = kTraffic == Traffic::kStream;
  const MemoryBoundTag d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    if constexpr (kTraffic == Traffic::kPrefetch) {
      if (i % kSpan == 0) {
        prefetch_ahead(x + i, kSpan, x_end);
        if (out != x) prefetch_ahead(out + i, kSpan, out_end);
      }
    }
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
bool CanStream(const float* x, const float* out, Index rows, Index dim) {
  const MemoryBoundTag d;
  const auto vector_bytes = static_cast<Index>(hn::Lanes(d) * sizeof(float));
  const Index row_bytes = dim * static_cast<Index>(sizeof(float));
  return out != x && output_outlives_cache(rows * row_bytes) && row_bytes % vector_bytes == 0 &&
         reinterpret_cast<std::uintptr_t>(out) % vector_bytes == 0;
}

// Table rows read per block of positions, then added to every sequence of the batch: a block is
// read from memory once and from the L2 cache batch - 1 times.
constexpr Index kTableBlockFloats = Index{1} << 15;  // 128 KiB

// Each thread takes a contiguous range of the batch's tokens, as the copy and the other
// elementwise kernels split a tensor, so that its part of x is the part the same core last
// touched (splitting the positions instead, each thread took a piece of every sequence: in the
// cache, batch 4 in place on 2 threads ran at 0.6-1.2x memcpy, now 1.18-1.20x in alternating
// A/B runs). Within its range a thread still adds each block of table rows to all of its
// sequences before the next block.
template <Traffic kTraffic>
void AddRows(const float* x, float* out, Index batch, Index seq, Index dim, const float* table,
             const Index* positions) {
  const Index block = std::max<Index>(1, kTableBlockFloats / std::max<Index>(dim, 1));
  const float* x_end = x + batch * seq * dim;
  const float* out_end = out + batch * seq * dim;
  for_token_ranges(batch * seq, dim, [&](Index first, Index last) {
    const Index first_sequence = first / seq, last_sequence = (last - 1) / seq;
    for (Index block_first = 0; block_first < seq; block_first += block) {
      const Index block_last = std::min(seq, block_first + block);
      for (Index b = first_sequence; b <= last_sequence; ++b) {
        // This block's positions, clipped to the thread's tokens in sequence b.
        const Index begin = std::max(block_first, first - b * seq);
        const Index end = std::min(block_last, last - b * seq);
        for (Index t = begin; t < end; ++t) {
          const Index at = (b * seq + t) * dim;
          AddRow<kTraffic>(x + at, table + table_row(positions, t) * dim, out + at, dim, x_end, out_end);
        }
      }
    }
    if constexpr (kTraffic == Traffic::kStream) hwy::FlushStream();
  });
}

void AddPositionRowsSimd(const float* x, float* out, Index batch, Index seq, Index dim, const float* table,
                         const Index* positions) {
  const Index x_bytes = batch * seq * dim * static_cast<Index>(sizeof(float));
  const Index table_bytes = seq * dim * static_cast<Index>(sizeof(float));  // the rows read, at most
  if (CanStream(x, out, batch * seq, dim)) {
    AddRows<Traffic::kStream>(x, out, batch, seq, dim, table, positions);
  } else if (data_outlives_cache(x_bytes * (out == x ? 1 : 2) + table_bytes)) {
    AddRows<Traffic::kPrefetch>(x, out, batch, seq, dim, table, positions);
  } else {
    AddRows<Traffic::kCached>(x, out, batch, seq, dim, table, positions);
  }
}

}  // namespace posemb::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace posemb::kernels {

HWY_EXPORT(AddPositionRowsSimd);

void add_position_rows(const float* x, float* out, Index tokens, Index dim, const float* table,
                       const Index* positions) {
  HWY_DYNAMIC_DISPATCH(AddPositionRowsSimd)(x, out, 1, tokens, dim, table, positions);
}

void add_position_rows_to_batch(const float* x, float* out, Index batch, Index seq, Index dim, const float* table,
                                const Index* positions) {
  HWY_DYNAMIC_DISPATCH(AddPositionRowsSimd)(x, out, batch, seq, dim, table, positions);
}

void add_position_rows_to_batch_reference(const float* x, float* out, Index batch, Index seq, Index dim,
                                          const float* table, const Index* positions) {
  for (Index b = 0; b < batch; ++b)
    add_position_rows_reference(x + b * seq * dim, out + b * seq * dim, seq, dim, table, positions);
}

void add_position_rows_reference(const float* x, float* out, Index tokens, Index dim, const float* table,
                                 const Index* positions) {
  for (Index t = 0; t < tokens; ++t) {
    const float* row = table + table_row(positions, t) * dim;
    for (Index c = 0; c < dim; ++c) out[t * dim + c] = x[t * dim + c] + row[c];
  }
}

void add_position_rows_backward_table_reference(const float* grad_out, float* grad_table, Index tokens, Index dim,
                                                const Index* positions) {
  for (Index t = 0; t < tokens; ++t) {
    float* row = grad_table + table_row(positions, t) * dim;
    for (Index c = 0; c < dim; ++c) row[c] += grad_out[t * dim + c];
  }
}

}  // namespace posemb::kernels
#endif  // HWY_ONCE
