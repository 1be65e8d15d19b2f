#pragma once
// Printing tensors exactly as PyTorch 1.13 prints them (`print(t)`, `repr(t)`), so that our
// output can be put next to a PyTorch session and compared by eye or by diff:
//
//   tensor([[ 0.4087,  0.4162],
//           [-0.4383, -1.3891]], grad_fn=<EmbeddingBackward0>)
//   torch.Size([5, 2])
//
// The rules are those of torch/_tensor_str.py (torch 1.13): one number format per tensor
// (integers "3.", fixed "0.4087" or scientific "1.0000e-05", chosen from the magnitudes of
// the shown non-zero finite values), right-aligned columns, rows wrapped at `linewidth`,
// tensors above `threshold` elements summarised with `edgeitems` per edge and "...".
// tests/core/tensor_print_test.cpp checks them against repr() output of real torch.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "posemb/core/shape.hpp"
#include "posemb/core/tensor.hpp"

namespace posemb {

// torch.set_printoptions(...); the defaults are torch's.
struct TorchPrintOptions {
  int precision = 4;             // digits after the point (fixed) or of the mantissa (sci)
  Index threshold = 1000;        // more elements than this: summarise
  Index edgeitems = 3;           // items kept at each edge of a summarised dimension
  Index linewidth = 80;          // characters per line before a vector wraps
  std::optional<bool> sci_mode;  // nullopt: chosen per tensor, as torch does
};

// repr(tensor) of a float32 tensor. `suffixes` are appended the way torch appends its own
// ("grad_fn=<EmbeddingBackward0>", "requires_grad=True"), wrapping onto a new line when the
// last line would pass the line width. Any strides are fine. Throws posemb::Error on
// options torch would misprint (precision outside [0, 30], edgeitems < 1, linewidth < 1).
std::string format_torch(TensorView<const float> tensor, const std::vector<std::string>& suffixes = {},
                         const TorchPrintOptions& options = {});

// repr(tensor) of an int64 tensor (torch.LongTensor), e.g. token ids.
std::string format_torch(TensorView<const std::int64_t> tensor, const std::vector<std::string>& suffixes = {},
                         const TorchPrintOptions& options = {});

inline std::string format_torch(const Tensor& tensor, const std::vector<std::string>& suffixes = {},
                                const TorchPrintOptions& options = {}) {
  return format_torch(tensor.view(), suffixes, options);
}
inline std::string format_torch(const IdTensor& tensor, const std::vector<std::string>& suffixes = {},
                                const TorchPrintOptions& options = {}) {
  return format_torch(tensor.view(), suffixes, options);
}

// "torch.Size([1, 5, 2])"; a 0-d shape is "torch.Size([])".
std::string format_torch_size(const Shape& shape);

}  // namespace posemb
