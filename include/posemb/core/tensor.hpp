#pragma once
// Tensors for the code that calls kernels.
//
//   BasicTensor<T>  owns contiguous, row-major, 64-byte aligned storage and a shape.
//   TensorView<T>   borrows: pointer + shape + strides (in elements); select/slice/reshape
//                   make new views without copying, like torch's views.
//
// Tensor is float32 (what every kernel computes in); IdTensor holds token ids as int64,
// like torch.LongTensor. Indexing with at(...) is bounds-checked and throws posemb::Error;
// kernels use data() and the shape directly.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "posemb/core/aligned_allocator.hpp"
#include "posemb/core/error.hpp"
#include "posemb/core/shape.hpp"

namespace posemb {

namespace detail {
[[noreturn]] void throw_rank_mismatch(const Shape& shape, std::size_t index_count);
[[noreturn]] void throw_index_out_of_range(const Shape& shape, int dim, Index index);
[[noreturn]] void throw_bad_dim(const Shape& shape, int dim);
[[noreturn]] void throw_bad_slice(const Shape& shape, int dim, Index begin, Index end);
[[noreturn]] void throw_bad_reshape(const Shape& from, const Shape& to, bool contiguous);
[[noreturn]] void throw_value_count(const Shape& shape, std::size_t value_count);
// The element count of a tensor about to be allocated; throws posemb::Error naming the shape
// when it overflows or would not fit in memory (memory_budget.hpp), rather than bad_alloc.
Index checked_allocation_numel(const Shape& shape, std::size_t value_bytes, const char* value_type);
template <class T>
constexpr const char* value_type_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  return "";
}
}  // namespace detail

template <class T>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;

  TensorView() = default;
  TensorView(T* data, Shape shape) : data_(data), shape_(std::move(shape)) {
    strides_ = contiguous_strides(shape_);
  }
  TensorView(T* data, Shape shape, Shape strides)
      : data_(data), shape_(std::move(shape)), strides_(std::move(strides)) {}

  // A view of mutable data converts to a view of const data.
  operator TensorView<const T>() const  // NOLINT(google-explicit-constructor)
    requires(!std::is_const_v<T>)
  {
    return TensorView<const T>(data_, shape_, strides_);
  }

  T* data() const { return data_; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  Index size(int dim) const { return shape_[static_cast<std::size_t>(check_dim(dim))]; }
  Index numel() const { return shape_numel(shape_); }

  bool is_contiguous() const {
    Index expected = 1;
    for (std::size_t i = shape_.size(); i-- > 0;) {
      if (shape_[i] != 1 && strides_[i] != expected) return false;
      expected *= shape_[i];
    }
    return true;
  }

  // Bounds-checked element access: view.at(b, t, c).
  template <class... I>
  T& at(I... index) const {
    const Index idx[] = {static_cast<Index>(index)...};
    if (sizeof...(I) != shape_.size()) detail::throw_rank_mismatch(shape_, sizeof...(I));
    Index offset = 0;
    for (std::size_t d = 0; d < sizeof...(I); ++d) {
      if (idx[d] < 0 || idx[d] >= shape_[d]) detail::throw_index_out_of_range(shape_, static_cast<int>(d), idx[d]);
      offset += idx[d] * strides_[d];
    }
    return data_[offset];
  }

  // The sub-tensor at `index` along `dim`; the result has one dimension fewer.
  TensorView select(int dim, Index index) const {
    const auto d = static_cast<std::size_t>(check_dim(dim));
    if (index < 0 || index >= shape_[d]) detail::throw_index_out_of_range(shape_, dim, index);
    Shape shape = shape_, strides = strides_;
    shape.erase(shape.begin() + static_cast<std::ptrdiff_t>(d));
    strides.erase(strides.begin() + static_cast<std::ptrdiff_t>(d));
    return TensorView(data_ + index * strides_[d], std::move(shape), std::move(strides));
  }

  // Elements [begin, end) along `dim`, like t[..., begin:end, ...].
  TensorView slice(int dim, Index begin, Index end) const {
    const auto d = static_cast<std::size_t>(check_dim(dim));
    if (begin < 0 || end < begin || end > shape_[d]) detail::throw_bad_slice(shape_, dim, begin, end);
    Shape shape = shape_;
    shape[d] = end - begin;
    return TensorView(data_ + begin * strides_[d], std::move(shape), strides_);
  }

  // Same elements, new shape; only for contiguous views (no hidden copy).
  TensorView reshape(Shape shape) const {
    if (!is_contiguous() || shape_numel(shape) != numel()) detail::throw_bad_reshape(shape_, shape, is_contiguous());
    return TensorView(data_, std::move(shape));
  }

  // Row-major copy of the elements, whatever the strides.
  std::vector<value_type> to_vector() const {
    std::vector<value_type> out;
    out.reserve(static_cast<std::size_t>(numel()));
    for_each_offset([&](Index offset) { out.push_back(data_[offset]); });
    return out;
  }

  // Calls f(offset) for each element in row-major order.
  template <class F>
  void for_each_offset(F&& f) const {
    if (numel() == 0) return;
    Shape index(shape_.size(), 0);
    Index offset = 0;
    while (true) {
      f(offset);
      std::size_t d = shape_.size();
      while (d > 0) {
        --d;
        offset += strides_[d];
        if (++index[d] < shape_[d]) break;
        offset -= strides_[d] * shape_[d];
        index[d] = 0;
        if (d == 0) return;
      }
      if (shape_.empty()) return;
    }
  }

 private:
  int check_dim(int dim) const {
    if (dim < 0) dim += rank();
    if (dim < 0 || dim >= rank()) detail::throw_bad_dim(shape_, dim);
    return dim;
  }

  T* data_ = nullptr;
  Shape shape_;
  Shape strides_;
};

template <class T>
class BasicTensor {
 public:
  using value_type = T;
  using Storage = std::vector<T, AlignedAllocator<T>>;

  // An empty tensor of shape [0].
  BasicTensor() : shape_{0} {}
  // Zero-filled.
  explicit BasicTensor(Shape shape)
      : shape_(std::move(shape)),
        values_(static_cast<std::size_t>(
            detail::checked_allocation_numel(shape_, sizeof(T), detail::value_type_name<T>()))) {}
  // Takes the values in row-major order; their count must match the shape.
  BasicTensor(Shape shape, std::span<const T> values) : shape_(std::move(shape)) {
    if (static_cast<Index>(values.size()) != shape_numel(shape_)) detail::throw_value_count(shape_, values.size());
    values_.assign(values.begin(), values.end());
  }
  BasicTensor(Shape shape, std::initializer_list<T> values)
      : BasicTensor(std::move(shape), std::span<const T>(values.begin(), values.size())) {}

  static BasicTensor full(Shape shape, T value) {
    BasicTensor t(std::move(shape));
    std::fill(t.values_.begin(), t.values_.end(), value);
    return t;
  }
  // A contiguous copy of any view.
  static BasicTensor copy_of(TensorView<const T> view) {
    BasicTensor t(view.shape());
    Index i = 0;
    view.for_each_offset([&](Index offset) { t.values_[static_cast<std::size_t>(i++)] = view.data()[offset]; });
    return t;
  }

  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  Index size(int dim) const { return view().size(dim); }
  Index numel() const { return static_cast<Index>(values_.size()); }
  T* data() { return values_.data(); }
  const T* data() const { return values_.data(); }
  std::span<T> values() { return values_; }
  std::span<const T> values() const { return values_; }

  TensorView<T> view() { return TensorView<T>(values_.data(), shape_); }
  TensorView<const T> view() const { return TensorView<const T>(values_.data(), shape_); }

  template <class... I>
  T& at(I... index) {
    return view().at(index...);
  }
  template <class... I>
  const T& at(I... index) const {
    return view().at(index...);
  }

  // Changes the shape in place; the element count must stay the same.
  void reshape(Shape shape) {
    if (shape_numel(shape) != numel()) detail::throw_bad_reshape(shape_, shape, true);
    shape_ = std::move(shape);
  }

 private:
  Shape shape_;
  Storage values_;
};

using Tensor = BasicTensor<float>;
using IdTensor = BasicTensor<std::int64_t>;

}  // namespace posemb
