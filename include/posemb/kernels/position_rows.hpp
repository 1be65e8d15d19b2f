#pragma once
// Additive position tables (learned absolute and sinusoidal share this):
//
//   x, out      [tokens, dim]
//   table       [table_rows, dim]   one row per position
//   positions   [tokens]            0 <= positions[t] < table_rows; or null: token t takes row t
//                                   (callers at an offset pass table + offset * dim)
//
//   forward:              out[t, :] = x[t, :] + table[positions[t], :]
//   backward (x):         grad_x = grad_out (identity; nothing to compute)
//   backward (table):     grad_table[positions[t], :] += grad_out[t, :]   (learned tables only)
//
// out may alias x. No allocation; the caller has validated sizes and positions.
// add_position_rows is the fast version (Highway SIMD, large tensors split over the kernel
// threads by token), bit-identical to the reference (one float add per element). Like
// rope_apply, it writes an aligned output larger than the last-level cache with streaming
// stores.
#include <cstdint>

namespace posemb::kernels {

using Index = std::int64_t;

// The table row of token t (of each sequence, for the batched version).
inline Index table_row(const Index* positions, Index t) { return positions != nullptr ? positions[t] : t; }

void add_position_rows(const float* x, float* out, Index tokens, Index dim, const float* table,
                       const Index* positions);
void add_position_rows_reference(const float* x, float* out, Index tokens, Index dim, const float* table,
                                 const Index* positions);

// The same rows added to each of `batch` sequences, as a model adds positions to a batch:
//   x, out [batch, seq, dim], positions [seq] or null:  out[b, t, :] = x[b, t, :] + table[table_row(t), :]
// The fast version walks the positions once and adds each table row to every sequence (of the
// calling thread's part of the batch) at that position, so the table is read from memory once
// per thread, not once per sequence.
void add_position_rows_to_batch(const float* x, float* out, Index batch, Index seq, Index dim, const float* table,
                                const Index* positions);
void add_position_rows_to_batch_reference(const float* x, float* out, Index batch, Index seq, Index dim,
                                          const float* table, const Index* positions);

void add_position_rows_backward_table_reference(const float* grad_out, float* grad_table, Index tokens, Index dim,
                                                const Index* positions);

}  // namespace posemb::kernels
