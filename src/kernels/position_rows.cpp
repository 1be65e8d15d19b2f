#include "posemb/kernels/position_rows.hpp"

namespace posemb::kernels {

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
