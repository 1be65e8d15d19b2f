#include "posemb/plot/scheme_figures.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "posemb/core/error.hpp"
#include "posemb/positional/alibi.hpp"

namespace posemb::plot {

namespace pos = positional;

HeatmapPanels table_figure(const Tensor& table, const std::string& name) {
  Heatmap h{name, "dimension", "position", table.size(0), table.size(1), {table.values().begin(), table.values().end()}};
  return {"Position encodings: " + name, "value", {std::move(h)}};
}

HeatmapPanels similarity_figure(const Tensor& table, const std::string& name, bool dot_product) {
  const std::int64_t n = table.size(0), d = table.size(1);
  if (n > 2048) throw Error(fmt::format("similarity of {} positions: plots take at most 2048", n));
  std::vector<double> norms(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (std::int64_t c = 0; c < d; ++c) sum += double(table.at(i, c)) * table.at(i, c);
    norms[static_cast<std::size_t>(i)] = std::sqrt(sum);
  }
  Heatmap h{name, "position", "position", n, n, std::vector<double>(static_cast<std::size_t>(n * n))};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::int64_t c = 0; c < d; ++c) dot += double(table.at(i, c)) * table.at(j, c);
      const double denom = norms[static_cast<std::size_t>(i)] * norms[static_cast<std::size_t>(j)];
      h.values[static_cast<std::size_t>(i * n + j)] =
          dot_product ? dot : (denom > 0 ? dot / denom : std::numeric_limits<double>::quiet_NaN());
    }
  return {fmt::format("{} similarity of positions: {}", dot_product ? "Dot-product" : "Cosine", name),
          dot_product ? "dot" : "cosine",
          {std::move(h)}};
}

LineChart rope_frequencies_figure(const std::vector<NamedRope>& ropes) {
  LineChart chart{"RoPE wavelength per pair: where scaling interpolates and where it extrapolates",
                  "pair index i (frequency theta^(-2i/d))", "wavelength 2 pi / inv_freq (tokens)", false, true, {}, ""};
  for (const auto& rope : ropes) {
    std::vector<NamedRope> variants{rope};
    if (rope.params.scaling.type != pos::RopeType::kDefault) {  // the same model without its scaling
      NamedRope plain{rope.label.substr(0, rope.label.find(" (")) + " (unscaled)", rope.params};
      plain.params.scaling = {};
      variants.push_back(std::move(plain));
    }
    for (const auto& v : variants) {
      const auto f = pos::compute_rope_frequencies(v.params);
      Series series{v.label, {}, {}};
      for (std::size_t i = 0; i < f.inv_freq.size(); ++i) {
        series.x.push_back(static_cast<double>(i));
        series.y.push_back(f.inv_freq[i] > 0 ? 2 * M_PI / f.inv_freq[i] : std::numeric_limits<double>::infinity());
      }
      chart.series.push_back(std::move(series));
    }
  }
  return chart;
}

std::vector<double> expected_rope_score(const pos::RopeParams& params, std::int64_t max_distance) {
  const auto f = pos::compute_rope_frequencies(params);
  std::vector<double> out;
  for (std::int64_t d = 0; d <= max_distance; ++d) {
    double sum = static_cast<double>(params.head_dim - params.rotary_dim);
    for (const float w : f.inv_freq) sum += 2.0 * std::cos(static_cast<double>(d) * w);
    out.push_back(sum / static_cast<double>(params.head_dim));
  }
  return out;
}

LineChart rope_decay_figure(const std::vector<NamedRope>& ropes, std::int64_t max_distance) {
  if (max_distance < 1 || max_distance > 1'000'000)
    throw Error(fmt::format("--max-distance must be between 1 and 1000000, got {}", max_distance));
  LineChart chart{"RoPE: expected q . R(d) q relative to d = 0 (long-term decay)", "relative distance d (tokens)",
                  "expected score / score at d = 0", false, false, {}, ""};
  for (const auto& rope : ropes) {
    Series series{rope.label, {}, expected_rope_score(rope.params, max_distance)};
    series.x.resize(series.y.size());
    std::iota(series.x.begin(), series.x.end(), 0.0);
    chart.series.push_back(std::move(series));
  }
  return chart;
}

HeatmapPanels alibi_figure(std::int64_t heads, std::int64_t length) {
  if (heads < 1 || heads > 16) throw Error(fmt::format("--heads must be between 1 and 16, got {}", heads));
  if (length < 1 || length > 4096) throw Error(fmt::format("--length must be between 1 and 4096, got {}", length));
  const pos::Alibi alibi({heads, pos::AlibiDirection::kCausal});
  const Tensor bias = alibi.bias_matrix(length, length);
  HeatmapPanels figure{"ALiBi: m (j - i) added to the scores of query i and key j (future keys masked)", "bias", {}};
  for (std::int64_t h = 0; h < heads; ++h) {
    Heatmap panel{fmt::format("head {}, m = {:.3g}", h, alibi.slopes()[static_cast<std::size_t>(h)]), "key j",
                  "query i", length, length, {}};
    for (std::int64_t i = 0; i < length; ++i)
      for (std::int64_t j = 0; j < length; ++j)
        panel.values.push_back(j > i ? std::numeric_limits<double>::quiet_NaN() : double(bias.at(h, i, j)));
    figure.panels.push_back(std::move(panel));
  }
  return figure;
}

HeatmapPanels t5_figure(const pos::T5BiasParams& params, std::int64_t length) {
  if (length < 1 || length > 4096) throw Error(fmt::format("--length must be between 1 and 4096, got {}", length));
  const IdTensor buckets = pos::t5_bucket_matrix(params, length, length);
  Heatmap panel{fmt::format("{} buckets, max_distance {}", params.num_buckets, params.max_distance), "key j",
                "query i", length, length, {}};
  for (const auto v : buckets.values()) panel.values.push_back(static_cast<double>(v));
  return {fmt::format("T5 relative-position buckets ({}): one learned bias per bucket and head",
                      params.bidirectional ? "bidirectional" : "causal"),
          "bucket",
          {std::move(panel)}};
}

LineChart t5_bucket_function_figure(const pos::T5BiasParams& params, std::int64_t range) {
  if (range < 1 || range > 100000) throw Error(fmt::format("--length must be between 1 and 100000, got {}", range));
  LineChart chart{fmt::format("T5 bucket function ({} buckets, max_distance {}): exact near, logarithmic far",
                              params.num_buckets, params.max_distance),
                  "relative position (key - query)", "bucket", false, false, {}, ""};
  for (const bool bidirectional : {true, false}) {
    pos::T5BiasParams p = params;
    p.bidirectional = bidirectional;
    Series series{bidirectional ? "bidirectional (encoder)" : "causal (decoder)", {}, {}};
    for (std::int64_t d = -range; d <= range; ++d) {
      series.x.push_back(static_cast<double>(d));
      series.y.push_back(static_cast<double>(pos::t5_relative_position_bucket(d, p)));
    }
    chart.series.push_back(std::move(series));
  }
  return chart;
}

}  // namespace posemb::plot
