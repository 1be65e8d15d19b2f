#pragma once
// The model's parameters as named tensors laid out one after another in a single flat
// buffer, so that the optimizer, gradient clipping and checkpoints each see one array, and
// the gradients use the very same layout.
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "posemb/core/aligned_allocator.hpp"
#include "posemb/core/shape.hpp"
#include "posemb/core/tensor.hpp"

namespace posemb::model {

struct ParameterEntry {
  std::string name;  // as in the PyTorch reference's state_dict: "blocks.0.attn.qkv.weight"
  Shape shape;
  Index offset = 0;  // in floats, from the start of the buffer
  Index size = 0;
  bool weight_decay = false;  // AdamW decays matrices (rank ≥ 2), not biases or norms
};

class ParameterLayout {
 public:
  // Appends a tensor and returns its index in entries(); offsets are rounded up to 16 floats
  // so that every tensor starts on a 64-byte boundary. Throws posemb::Error on a duplicate name.
  std::size_t add(std::string name, Shape shape);

  const std::vector<ParameterEntry>& entries() const { return entries_; }
  Index total_size() const { return total_; }
  // Throws posemb::Error naming the missing tensor.
  const ParameterEntry& find(std::string_view name) const;
  bool contains(std::string_view name) const;
  // The number of parameters (without the alignment padding).
  Index parameter_count() const;

 private:
  std::vector<ParameterEntry> entries_;
  // name -> index in entries_: a linear search per add() made laying out a model with
  // 10,000 layers (a 1 MB checkpoint can describe one) take 16 s.
  std::map<std::string, std::size_t, std::less<>> index_;
  Index total_ = 0;
};

using FloatBuffer = std::vector<float, AlignedAllocator<float>>;

// A view of one named tensor inside a buffer laid out by `layout`.
inline TensorView<float> tensor_in(FloatBuffer& buffer, const ParameterEntry& e) {
  return TensorView<float>(buffer.data() + e.offset, e.shape);
}
inline TensorView<const float> tensor_in(const FloatBuffer& buffer, const ParameterEntry& e) {
  return TensorView<const float>(buffer.data() + e.offset, e.shape);
}

}  // namespace posemb::model
