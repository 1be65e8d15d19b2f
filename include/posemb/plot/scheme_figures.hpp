#pragma once
// The pictures of the positional schemes, as chart descriptions built from the library's own
// numbers (render or save them with chart.hpp). `posemb plot` and `posemb report` draw these.
#include <string>
#include <vector>

#include "posemb/core/tensor.hpp"
#include "posemb/plot/chart.hpp"
#include "posemb/positional/rope_scaling.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb::plot {

// An additive table ([positions, dim]) as a heatmap, position x dimension.
HeatmapPanels table_figure(const Tensor& table, const std::string& name);

// Position x position cosine similarity (or dot product) of a table's rows; at most 2048 rows.
HeatmapPanels similarity_figure(const Tensor& table, const std::string& name, bool dot_product);

struct NamedRope {
  std::string label;
  positional::RopeParams params;
};

// The wavelength 2 pi / inv_freq of each pair, for each RoPE and (when it scales) the same
// RoPE unscaled; log y axis.
LineChart rope_frequencies_figure(const std::vector<NamedRope>& ropes);

// E[q . R(d) q] / E[q . q] for q with independent standard normal channels, d = 0..max_distance:
// each rotated pair contributes 2 cos(d inv_freq_k), each channel that does not rotate 1
// (RoFormer's long-term decay; the attention factor cancels).
std::vector<double> expected_rope_score(const positional::RopeParams& params, std::int64_t max_distance);
LineChart rope_decay_figure(const std::vector<NamedRope>& ropes, std::int64_t max_distance);

// ALiBi's causal bias m (j - i) per head (future keys masked: NaN), one panel per head (1..16).
HeatmapPanels alibi_figure(std::int64_t heads, std::int64_t length);

// T5's bucket of each (query, key) pair.
HeatmapPanels t5_figure(const positional::T5BiasParams& params, std::int64_t length);

// T5's bucket function: bucket against relative position (key - query) in [-range, range],
// bidirectional and causal, for params' num_buckets and max_distance.
LineChart t5_bucket_function_figure(const positional::T5BiasParams& params, std::int64_t range);

}  // namespace posemb::plot
