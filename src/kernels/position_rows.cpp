// Additive position rows: the scalar reference and the Highway SIMD version (this file is
// compiled once per SIMD target by hwy/foreach_target.h). See include/posemb/kernels/position_rows.hpp.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/position_rows.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
//
#include <hwy/cache_control.h>
#include <hwy/highway.h>

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

// out_b[i] = x_b[i] + row[i] for i in [0, n) and kSequences sequences b, whose rows lie `stride`
// floats apart (the same position in consecutive sequences of a batch). Each vector of the row
// is loaded once and added to all of them. kPrefetch asks for the lines of each x (and of an
// out-of-place output) 8 KiB ahead, a span of 128 floats at a time.
template <Traffic kTraffic, int kSequences>
HWY_INLINE void AddRowToSequences(const float* x, const float* row, float* out, Index stride, Index n,
                                  const float* x_end, const float* out_end) {
  constexpr Index kSpan = 128;
  constexpr bool kStream = kTraffic == Traffic::kStream;
  const MemoryBoundTag d;
  const auto lanes = static_cast<Index>(hn::Lanes(d));
  Index i = 0;
  for (; i + lanes <= n; i += lanes) {
    if constexpr (kTraffic == Traffic::kPrefetch) {
      if (i % kSpan == 0) {
        for (int b = 0; b < kSequences; ++b) {
          prefetch_ahead(x + b * stride + i, kSpan, x_end);
          if (out != x) prefetch_ahead(out + b * stride + i, kSpan, out_end);
        }
      }
    }
    const auto r = hn::LoadU(d, row + i);
    for (int b = 0; b < kSequences; ++b) {
      const auto sum = hn::Add(hn::LoadU(d, x + b * stride + i), r);
      if constexpr (kStream) {
        hn::Stream(sum, d, out + b * stride + i);
      } else {
        hn::StoreU(sum, d, out + b * stride + i);
      }
    }
  }
  for (; i < n; ++i)
    for (int b = 0; b < kSequences; ++b) out[b * stride + i] = x[b * stride + i] + row[i];
}

// Streaming stores (kernels/memory_traffic.hpp) need every row start aligned to a vector.
bool CanStream(const float* x, const float* out, Index rows, Index dim) {
  const MemoryBoundTag d;
  const auto vector_bytes = static_cast<Index>(hn::Lanes(d) * sizeof(float));
  const Index row_bytes = dim * static_cast<Index>(sizeof(float));
  return out != x && output_outlives_cache(rows * row_bytes) && row_bytes % vector_bytes == 0 &&
         reinterpret_cast<std::uintptr_t>(out) % vector_bytes == 0;
}

// Sequences that one AddRowToSequences adds a row to: the rest of a thread's sequences at that
// position take the row again from the L1 cache. With the tensor in the L3 cache (batch 4 out of
// place, 1 thread) 2 sequences ran at 0.93-0.96x memcpy, 1 at 0.87-0.92x, 4 at 0.62-0.69x (3
// alternating runs; in place all within noise).
constexpr int kSequencesPerPass = 2;

// Each thread takes a contiguous range of the batch's tokens, as the copy and the other
// elementwise kernels split a tensor, so that its part of x is the part the same core last
// touched. Within its range a thread walks the positions once and adds each table row to all of
// its sequences that hold that position: the table is read once per thread, from wherever it
// is, instead of once per sequence (before, a block of rows was added to each sequence in turn
// and re-read from the L2 cache: batch 4 out of place in the cache at 0.73-0.80x memcpy).
// Splitting the positions instead, so that each thread reads only its part of the table, took
// batch 4 out of place on 2 threads from 0.86-0.89x to 0.98-1.11x, but in place it fell to
// 0.2x memcpy in most runs (0.6-1.2x with the old block walk); we did not find why.
template <Traffic kTraffic>
void AddRows(const float* x, float* out, Index batch, Index seq, Index dim, const float* table,
             const Index* positions) {
  const float* x_end = x + batch * seq * dim;
  const float* out_end = out + batch * seq * dim;
  const Index stride = seq * dim;
  for_token_ranges(batch * seq, dim, [&](Index first, Index last) {
    const Index first_sequence = first / seq, last_sequence = (last - 1) / seq;
    // Positions before first_position lack first_sequence; those from last_position on lack
    // last_sequence.
    const Index first_position = first - first_sequence * seq, last_position = last - last_sequence * seq;
    for (Index t = 0; t < seq; ++t) {
      const Index b_first = t < first_position ? first_sequence + 1 : first_sequence;
      const Index b_last = t < last_position ? last_sequence : last_sequence - 1;  // inclusive
      const float* row = table + table_row(positions, t) * dim;
      Index b = b_first;
      const auto add = [&]<int kSequences>() {
        const Index at = b * stride + t * dim;
        AddRowToSequences<kTraffic, kSequences>(x + at, row, out + at, stride, dim, x_end, out_end);
        b += kSequences;
      };
      while (b_last - b + 1 >= kSequencesPerPass) add.template operator()<kSequencesPerPass>();
      static_assert(kSequencesPerPass == 2, "the rest is one sequence or none");
      if (b == b_last) add.template operator()<1>();
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
