#pragma once
// Embedding lookups: rows of a table picked by index, and their gradient.
//
//   table, grad_table   [rows, dim]     row-major
//   indices             [count]         0 <= indices[i] < rows (token ids, or positions)
//   out, grad_out       [count, dim]    row-major (count = batch * seq, flattened)
//
//   gather_rows:       out[i, :] = table[indices[i], :]
//   scatter_add_rows:  grad_table[indices[i], :] += grad_out[i, :]   for i = 0, 1, ..., count - 1
//                      in that order, so rows whose index repeats are summed in input order
//                      (torch's CPU embedding backward, index_add_, sums in the same order).
//
//   add_rows_broadcast (learned absolute positions added to a batch of token embeddings):
//   x, out             [batch, seq, dim]
//   rows               [seq, dim]
//                      out[b, t, :] = x[b, t, :] + rows[t, :]      (out may alias x)
//
// Plain scalar code; a row is contiguous, so gather is a memcpy per row and already runs at
// memory speed (bench/embedding_bench.cpp measures it against one memcpy of the same bytes).
// No allocation, no checks: callers (embedding/*.hpp) validate shapes and indices first.
#include <cstdint>

namespace posemb::kernels {

void gather_rows(const float* table, std::int64_t dim, const std::int64_t* indices, std::int64_t count, float* out);

void scatter_add_rows(const float* grad_out, std::int64_t dim, const std::int64_t* indices, std::int64_t count,
                      float* grad_table);

void add_rows_broadcast(const float* x, const float* rows, std::int64_t batch, std::int64_t seq, std::int64_t dim,
                        float* out);

}  // namespace posemb::kernels
