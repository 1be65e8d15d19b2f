#pragma once
// Splitting an elementwise kernel over the kernel threads (the OpenMP team that
// kernels::set_kernel_threads sizes). Small tensors stay on the calling thread: waking a
// thread costs more than moving a few hundred kilobytes.
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace posemb::kernels {

// Below this many floats per thread, a split does not pay (128 KiB).
inline constexpr std::int64_t kMinFloatsPerThread = std::int64_t{1} << 15;

// Runs body(first, last) over [0, tokens) in contiguous ranges, one per thread. For
// elementwise kernels only: every token is computed the same way whatever the split, so the
// result is the same on any number of threads.
template <class Body>
void for_token_ranges(std::int64_t tokens, std::int64_t floats_per_token, Body&& body) {
  const std::int64_t total = tokens * floats_per_token;
  const auto useful = static_cast<int>(std::min<std::int64_t>(total / kMinFloatsPerThread, tokens));
  const int threads = std::min(omp_get_max_threads(), useful);
  if (threads <= 1 || omp_in_parallel()) {
    body(std::int64_t{0}, tokens);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t id = omp_get_thread_num(), n = omp_get_num_threads();
    body(tokens * id / n, tokens * (id + 1) / n);
  }
}

}  // namespace posemb::kernels
