#pragma once
// A std::allocator replacement that aligns storage to 64 bytes (a cache line, and the
// widest SIMD register), so that kernels may assume aligned row starts for tensors
// whose rows are a multiple of 16 floats.
#include <cstddef>
#include <new>

namespace posemb {

inline constexpr std::size_t kTensorAlignment = 64;

template <class T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() noexcept = default;
  template <class U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kTensorAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kTensorAlignment}); }

  template <class U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
};

}  // namespace posemb
