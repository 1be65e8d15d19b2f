#include "posemb/kernels/embedding.hpp"

#include <cstddef>
#include <cstring>

namespace posemb::kernels {

void gather_rows(const float* table, std::int64_t dim, const std::int64_t* indices, std::int64_t count, float* out) {
  const auto row_bytes = static_cast<std::size_t>(dim) * sizeof(float);
  for (std::int64_t i = 0; i < count; ++i) {
    if (row_bytes != 0) std::memcpy(out + i * dim, table + indices[i] * dim, row_bytes);
  }
}

void scatter_add_rows(const float* grad_out, std::int64_t dim, const std::int64_t* indices, std::int64_t count,
                      float* grad_table) {
  for (std::int64_t i = 0; i < count; ++i) {
    const float* src = grad_out + i * dim;
    float* dst = grad_table + indices[i] * dim;
    for (std::int64_t c = 0; c < dim; ++c) dst[c] += src[c];
  }
}

void add_rows_broadcast(const float* x, const float* rows, std::int64_t batch, std::int64_t seq, std::int64_t dim,
                        float* out) {
  for (std::int64_t b = 0; b < batch; ++b) {
    for (std::int64_t t = 0; t < seq; ++t) {
      const std::int64_t offset = (b * seq + t) * dim;
      const float* row = rows + t * dim;
      for (std::int64_t c = 0; c < dim; ++c) out[offset + c] = x[offset + c] + row[c];
    }
  }
}

}  // namespace posemb::kernels
