#include "posemb/core/tensor_print.hpp"

// A transcription of the rules in torch/_tensor_str.py (torch 1.13): _Formatter,
// _vector_str, _tensor_str_with_formatter, get_summarized_data and _add_suffixes. The
// comments name the torch function each piece mirrors; the quirks are torch's and are kept
// on purpose (they are what makes the output identical).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <string_view>
#include <type_traits>

#include "posemb/core/error.hpp"

namespace posemb {
namespace {

constexpr std::string_view kPrefix = "tensor(";
constexpr Index kIndent = static_cast<Index>(kPrefix.size());

void validate(const TorchPrintOptions& options) {
  if (options.precision < 0 || options.precision > 50)
    throw Error(fmt::format("print option precision = {} is out of range [0, 50]", options.precision));
  if (options.threshold < 0) throw Error(fmt::format("print option threshold = {} is negative", options.threshold));
  if (options.edgeitems < 1)
    throw Error(fmt::format("print option edgeitems = {} must be at least 1", options.edgeitems));
  if (options.linewidth < 1)
    throw Error(fmt::format("print option linewidth = {} must be at least 1", options.linewidth));
}

// Python's "{:.Nf}" / "{:.Ne}" of a double. fmt rounds exactly as Python does (correctly
// rounded from the binary value); only NaN differs: Python never prints its sign.
std::string python_fixed(double value, int precision) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.{}f}", value, precision);
}
std::string python_scientific(double value, int precision) {
  if (std::isnan(value)) return "nan";
  return fmt::format("{:.{}e}", value, precision);
}

std::string pad_left(std::string text, std::size_t width) {
  if (text.size() < width) text.insert(0, width - text.size(), ' ');
  return text;
}

// torch's _Formatter: one style and one column width for all elements of a tensor, decided
// from the elements that will be shown.
class ElementFormatter {
 public:
  static ElementFormatter for_values(const std::vector<float>& shown, const TorchPrintOptions& options) {
    ElementFormatter f;
    f.precision_ = options.precision;
    std::vector<double> nonzero_finite;
    for (const float v : shown)
      if (std::isfinite(v) && v != 0.0f) nonzero_finite.push_back(static_cast<double>(v));
    if (nonzero_finite.empty()) return f;  // torch returns here: integer style, width 1, sci_mode ignored

    double min_abs = std::abs(nonzero_finite.front()), max_abs = min_abs;
    for (const double v : nonzero_finite) {
      min_abs = std::min(min_abs, std::abs(v));
      max_abs = std::max(max_abs, std::abs(v));
      if (v != std::ceil(v)) f.int_mode_ = false;
    }
    // The ratio is taken in double, as torch converts to double before dividing.
    const bool wide_range = max_abs / min_abs > 1000.0 || max_abs > 1.0e8;
    f.sci_mode_ = f.int_mode_ ? wide_range : (wide_range || min_abs < 1.0e-4);
    for (const double v : nonzero_finite) {
      std::size_t len;
      if (f.sci_mode_)
        len = python_scientific(v, f.precision_).size();
      else if (f.int_mode_)
        len = python_fixed(v, 0).size() + 1;  // room for the trailing "."
      else
        len = python_fixed(v, f.precision_).size();
      f.width_ = std::max(f.width_, len);
    }
    if (options.sci_mode) f.sci_mode_ = *options.sci_mode;
    return f;
  }

  static ElementFormatter for_values(const std::vector<std::int64_t>& shown, const TorchPrintOptions&) {
    ElementFormatter f;
    for (const std::int64_t v : shown) f.width_ = std::max(f.width_, fmt::format("{}", v).size());
    return f;
  }

  std::size_t width() const { return width_; }

  std::string format(float value) const {
    const double v = value;
    std::string text;
    if (sci_mode_) {
      text = python_scientific(v, precision_);
    } else if (int_mode_) {
      text = python_fixed(v, 0);
      if (std::isfinite(v)) text += '.';
    } else {
      text = python_fixed(v, precision_);
    }
    return pad_left(std::move(text), width_);
  }
  std::string format(std::int64_t value) const { return pad_left(fmt::format("{}", value), width_); }

 private:
  bool int_mode_ = true;
  bool sci_mode_ = false;
  int precision_ = 4;
  std::size_t width_ = 1;
};

// The indices shown along a dimension of `size`: all, or `edge` from each end.
template <class F>
void for_each_shown(Index size, bool summarize, Index edge, F&& f) {
  if (summarize && size - edge > edge) {
    for (Index i = 0; i < edge; ++i) f(i);
    for (Index i = size - edge; i < size; ++i) f(i);
  } else {
    for (Index i = 0; i < size; ++i) f(i);
  }
}

// get_summarized_data: the elements that will be printed, in order.
template <class T>
void collect_shown(TensorView<const T> view, bool summarize, Index edge, std::vector<T>& out) {
  if (view.rank() == 0) {
    out.push_back(*view.data());
    return;
  }
  for_each_shown(view.size(0), summarize, edge, [&](Index i) {
    if (view.rank() == 1)
      out.push_back(view.data()[i * view.strides()[0]]);
    else
      collect_shown(view.select(0, i), summarize, edge, out);
  });
}

template <class T>
struct Printer {
  const ElementFormatter& formatter;
  const TorchPrintOptions& options;
  bool summarize;

  // _vector_str
  std::string vector(TensorView<const T> view, Index indent) const {
    const auto element_length = static_cast<Index>(formatter.width()) + 2;
    const Index per_line = std::max<Index>(1, (options.linewidth - indent) / element_length);
    const Index size = view.size(0);
    std::vector<std::string> items;
    const auto add = [&](Index i) { items.push_back(formatter.format(view.data()[i * view.strides()[0]])); };
    if (summarize && size - options.edgeitems > options.edgeitems) {
      for (Index i = 0; i < options.edgeitems; ++i) add(i);
      items.emplace_back(" ...");
      for (Index i = size - options.edgeitems; i < size; ++i) add(i);
    } else {
      for (Index i = 0; i < size; ++i) add(i);
    }
    std::string out = "[";
    const std::string line_break = ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' ');
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out += (static_cast<Index>(i) % per_line == 0) ? line_break : std::string(", ");
      out += items[i];
    }
    return out + "]";
  }

  // _tensor_str_with_formatter
  std::string tensor(TensorView<const T> view, Index indent) const {
    if (view.rank() == 0) return formatter.format(*view.data());
    if (view.rank() == 1) return vector(view, indent);
    const std::string separator = "," + std::string(static_cast<std::size_t>(view.rank() - 1), '\n') +
                                  std::string(static_cast<std::size_t>(indent + 1), ' ');
    std::string out = "[";
    bool first = true;
    const auto append = [&](const std::string& slice) {
      if (!first) out += separator;
      out += slice;
      first = false;
    };
    const Index size = view.size(0);
    if (summarize && size - options.edgeitems > options.edgeitems) {
      for (Index i = 0; i < options.edgeitems; ++i) append(tensor(view.select(0, i), indent + 1));
      append("...");
      for (Index i = size - options.edgeitems; i < size; ++i) append(tensor(view.select(0, i), indent + 1));
    } else {
      for (Index i = 0; i < size; ++i) append(tensor(view.select(0, i), indent + 1));
    }
    return out + "]";
  }
};

// _add_suffixes
std::string add_suffixes(std::string text, const std::vector<std::string>& suffixes, Index linewidth) {
  const auto last_newline = text.rfind('\n');
  // torch's arithmetic, including its +1 (and +2 when there is no newline, as rfind gives -1).
  Index last_line_len =
      static_cast<Index>(text.size()) - (last_newline == std::string::npos ? -1 : static_cast<Index>(last_newline)) + 1;
  for (const std::string& suffix : suffixes) {
    const auto suffix_len = static_cast<Index>(suffix.size());
    if (last_line_len + suffix_len + 2 > linewidth) {
      text += ",\n" + std::string(static_cast<std::size_t>(kIndent), ' ') + suffix;
      last_line_len = kIndent + suffix_len;
    } else {
      text += ", " + suffix;
      last_line_len += suffix_len + 2;
    }
  }
  return text + ")";
}

// str(tuple(shape)): "(2, 0, 4)", "(0,)"
std::string python_tuple(const Shape& shape) {
  return shape.size() == 1 ? fmt::format("({},)", shape[0]) : fmt::format("({})", fmt::join(shape, ", "));
}

// _str_intern for a strided CPU tensor of the default dtype (float32) or int64.
template <class T>
std::string format_any(TensorView<const T> view, const std::vector<std::string>& user_suffixes,
                       const TorchPrintOptions& options) {
  validate(options);
  std::vector<std::string> suffixes;
  std::string body;
  if (view.numel() == 0) {
    if (view.rank() != 1) suffixes.push_back("size=" + python_tuple(view.shape()));
    if constexpr (std::is_same_v<T, std::int64_t>) suffixes.emplace_back("dtype=torch.int64");
    body = "[]";
  } else {
    const bool summarize = view.numel() > options.threshold;
    std::vector<T> shown;
    collect_shown(view, summarize, options.edgeitems, shown);
    const ElementFormatter formatter = ElementFormatter::for_values(shown, options);
    body = Printer<T>{formatter, options, summarize}.tensor(view, kIndent);
  }
  suffixes.insert(suffixes.end(), user_suffixes.begin(), user_suffixes.end());
  return add_suffixes(std::string(kPrefix) + body, suffixes, options.linewidth);
}

}  // namespace

std::string format_torch(TensorView<const float> tensor, const std::vector<std::string>& suffixes,
                         const TorchPrintOptions& options) {
  return format_any(tensor, suffixes, options);
}

std::string format_torch(TensorView<const std::int64_t> tensor, const std::vector<std::string>& suffixes,
                         const TorchPrintOptions& options) {
  return format_any(tensor, suffixes, options);
}

std::string format_torch_size(const Shape& shape) { return fmt::format("torch.Size([{}])", fmt::join(shape, ", ")); }

}  // namespace posemb
