// `posemb plot KIND [options] -o FILE.png|.svg`: pictures of the positional schemes and of the
// study, drawn with posemb/plot (cairo). Every kind can also write the numbers it plots to
// `--data FILE.json`, so that a test (or a reader) can check them against the library.
//
//   posemb plot table       [--length 64] [--dim 64] [--layout interleaved|concat] [--base 10000]
//                           [--weights F.safetensors --tensor wpe.weight]
//   posemb plot similarity  (the same sources) [--measure cosine|dot]
//   posemb plot rope-frequencies [--config C.json ...] [--head-dim 128 --theta 10000 ...]
//   posemb plot rope-decay  [--config C.json ...] [--head-dim 128 --theta 10000 ...] [--max-distance 512]
//   posemb plot bias        --scheme alibi|t5 [--heads 8] [--length 32] [--num-buckets 32 --max-distance 128 --causal]
//   posemb plot study       --input runs/study/study.json
//   posemb plot attention   --checkpoint runs/train --text "some text" [--layer 0]
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "usage_error.hpp"
#include "posemb/core/error.hpp"
#include "posemb/data/text_tokenizer.hpp"
#include "posemb/io/file.hpp"
#include "posemb/io/safetensors.hpp"
#include "posemb/model/checkpoint.hpp"
#include "posemb/model/gpt.hpp"
#include "posemb/plot/chart.hpp"
#include "posemb/plot/scheme_figures.hpp"
#include "posemb/plot/study_chart.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

namespace pos = positional;
using nlohmann::ordered_json;

// What every kind shares: where the picture goes, its size, and the data side output.
struct PictureOptions {
  std::string output;
  std::string format;  // empty: from the extension of output
  int width = 900, height = 600;
  std::string data;
};

void add_picture_options(CLI::App* sub, PictureOptions& o) {
  sub->add_option("-o,--output", o.output, "The picture: FILE.png or FILE.svg (`-`: standard output, with --format)")
      ->required();
  sub->add_option("--format", o.format, "png or svg (default: the extension of -o)")
      ->check(CLI::IsMember({"png", "svg"}));
  sub->add_option("--width", o.width, "Width in pixels")->default_val(900);
  sub->add_option("--height", o.height, "Height in pixels")->default_val(600);
  sub->add_option("--data", o.data, "Also write the plotted numbers to this JSON file");
}

// A command-line value that cannot be used: "--width 20: must be between 100 and 10000 pixels".
template <class T>
void require_option(bool ok, std::string_view option, const T& value, std::string_view rule) {
  if (!ok) throw UsageError(fmt::format("{} {}: {}", option, value, rule));
}

// Before anything is computed: the picture's format (from -o's extension) and size.
void check_picture(const PictureOptions& o) {
  if (o.format.empty()) {
    if (is_standard_output(o.output)) throw UsageError("-o -: name the picture's format with --format png or svg");
    try {
      (void)plot::format_of(o.output);
    } catch (const Error& e) {
      throw UsageError(fmt::format("-o {}", e.what()));
    }
  }
  require_option(o.width >= 100 && o.width <= 10000, "--width", o.width, "must be between 100 and 10000 pixels");
  require_option(o.height >= 100 && o.height <= 10000, "--height", o.height, "must be between 100 and 10000 pixels");
}

// The picture in the format --format names, or else the extension of -o.
template <class Figure>
void save_picture(const Figure& figure, const PictureOptions& o) {
  plot::Format format = plot::Format::kPng;
  if (o.format == "svg") {
    format = plot::Format::kSvg;
  } else if (o.format.empty()) {
    format = plot::format_of(o.output);  // checked by check_picture
  }
  const std::string bytes = plot::render(figure, format, {o.width, o.height});
  if (format == plot::Format::kSvg)
    write_output(bytes, o.output);
  else
    write_binary_output(bytes, o.output, "a PNG picture");
}

void write_data(const PictureOptions& o, const ordered_json& data) {
  if (!o.data.empty()) write_output(data.dump() + "\n", o.data);
}

ordered_json series_json(const std::vector<plot::Series>& series) {
  ordered_json out = ordered_json::array();
  for (const auto& s : series) {
    ordered_json y = ordered_json::array();
    for (const double v : s.y) y.push_back(std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr));
    out.push_back({{"label", s.label}, {"x", s.x}, {"y", y}});
  }
  return out;
}

// --- table and similarity: an additive table, sinusoidal or learned -----------------------

struct TableSource {
  Index length = 64, dim = 64;
  std::string layout = "interleaved";
  double base = 10000.0;
  std::string weights, tensor = "wpe.weight";
};

void add_table_source(CLI::App* sub, TableSource& s) {
  sub->add_option("--length", s.length, "Positions (rows) of a sinusoidal table")->default_val(64);
  sub->add_option("--dim", s.dim, "Width of a sinusoidal table")->default_val(64);
  sub->add_option("--layout", s.layout, "Sinusoidal layout: interleaved (Vaswani) or concat (tensor2tensor, fairseq)")
      ->default_val("interleaved");
  sub->add_option("--base", s.base, "Sinusoidal base")->default_val(10000.0);
  sub->add_option("--weights", s.weights, "Plot a learned table from this safetensors file instead");
  sub->add_option("--tensor", s.tensor, "The table's name in --weights")->default_val("wpe.weight");
}

constexpr Index kMaxCells = Index{1} << 22;
constexpr Index kMaxSimilarityPositions = 2048;  // plot::similarity_figure's limit

// The options of a sinusoidal table, checked (usage errors naming them).
pos::SinusoidalParams sinusoidal_params(const TableSource& s) {
  require_option(s.dim >= 2 && s.dim % 2 == 0, "--dim", s.dim,
                 "must be even and at least 2 (each pair of channels holds a sin and a cos)");
  // A heatmap cell per value: beyond a few million the picture says nothing more and takes long.
  if (s.length < 1 || s.length > kMaxCells / s.dim)
    throw UsageError(fmt::format("--length {} x --dim {}: give at least 1 position and at most {} values", s.length,
                                 s.dim, kMaxCells));
  require_option(s.base > 1.0 && std::isfinite(s.base), "--base", s.base, "must be a finite number greater than 1");
  pos::SinusoidalParams params{.dim = s.dim, .base = s.base};
  try {
    params.layout = pos::parse_sinusoidal_layout(s.layout);
  } catch (const Error&) {
    throw UsageError(fmt::format(
        "--layout {}: unknown layout; use interleaved (Vaswani) or concat (tensor2tensor / fairseq)", s.layout));
  }
  return params;
}

// The table and a title for it.
std::pair<Tensor, std::string> load_table(const TableSource& s) {
  if (!s.weights.empty()) {
    Tensor t = io::SafetensorsFile(s.weights).load_tensor(s.tensor);
    if (t.rank() != 2)
      throw Error(fmt::format("{}: tensor '{}' has shape {}, but a position table is [positions, dim]", s.weights,
                              s.tensor, shape_to_string(t.shape())));
    if (t.numel() > kMaxCells)
      throw Error(fmt::format("{}: tensor '{}' has {} values; plots take at most {}", s.weights, s.tensor, t.numel(),
                              kMaxCells));
    return {std::move(t),
            fmt::format("learned table '{}' ({})", s.tensor, std::filesystem::path(s.weights).filename().string())};
  }
  const pos::SinusoidalParams params = sinusoidal_params(s);
  return {pos::SinusoidalPositions(params).table(s.length),
          fmt::format("sinusoidal table ({}, base {:g})", pos::sinusoidal_layout_name(params.layout), s.base)};
}

void add_table(CLI::App& plot) {
  auto s = std::make_shared<TableSource>();
  auto o = std::make_shared<PictureOptions>();
  auto* sub = plot.add_subcommand("table", "Heatmap of an additive position table: position x dimension");
  add_table_source(sub, *s);
  add_picture_options(sub, *o);
  sub->callback([s, o] {
    check_picture(*o);
    const auto [table, name] = load_table(*s);
    const plot::HeatmapPanels figure = plot::table_figure(table, name);
    save_picture(figure, *o);
    write_data(*o, {{"kind", "table"}, {"source", name}, {"rows", table.size(0)}, {"cols", table.size(1)},
                    {"values", figure.panels[0].values}});
  });
}

void add_similarity(CLI::App& plot) {
  auto s = std::make_shared<TableSource>();
  auto o = std::make_shared<PictureOptions>();
  auto measure = std::make_shared<std::string>("cosine");
  auto* sub = plot.add_subcommand(
      "similarity", "Position x position similarity of a table's rows: what 'relative' looks like");
  add_table_source(sub, *s);
  sub->add_option("--measure", *measure, "cosine or dot")->check(CLI::IsMember({"cosine", "dot"}))->default_val("cosine");
  add_picture_options(sub, *o);
  sub->callback([s, o, measure] {
    check_picture(*o);
    if (s->weights.empty())
      require_option(s->length <= kMaxSimilarityPositions, "--length", s->length,
                     fmt::format("a similarity plot shows at most {} positions", kMaxSimilarityPositions));
    const auto [table, name] = load_table(*s);
    const plot::HeatmapPanels figure = plot::similarity_figure(table, name, *measure == "dot");
    save_picture(figure, *o);
    const auto n = table.size(0);
    write_data(*o, {{"kind", "similarity"}, {"measure", *measure}, {"source", name}, {"rows", n}, {"cols", n},
                    {"values", figure.panels[0].values}});
  });
}

// --- RoPE: frequencies and the decay of the score with distance ------------------------------

// A line per frequency pair: past a few thousand the chart says nothing more.
constexpr Index kMaxPlottedHeadDim = 65536;

struct RopeSources {
  std::vector<std::string> configs;
  Index head_dim = 128;
  std::vector<double> thetas;
};

void add_rope_sources(CLI::App* sub, RopeSources& s) {
  sub->add_option("--config", s.configs, "Hugging Face config.json files (one line each)");
  sub->add_option("--head-dim", s.head_dim, "Head dimension of the --theta lines")->default_val(128);
  sub->add_option("--theta", s.thetas, "Plain RoPE bases (one line each; default 10000 when no --config)");
}

std::vector<plot::NamedRope> rope_lines(const RopeSources& s) {
  require_option(s.head_dim >= 2 && s.head_dim % 2 == 0 && s.head_dim <= kMaxPlottedHeadDim, "--head-dim", s.head_dim,
                 fmt::format("must be even, between 2 and {} (channels rotate in pairs)", kMaxPlottedHeadDim));
  for (const double theta : s.thetas)
    require_option(theta > 1.0 && std::isfinite(theta), "--theta", theta, "must be a finite number greater than 1");
  std::vector<plot::NamedRope> lines;
  for (const auto& path : s.configs) {
    const auto params = pos::rope_params_from_hf_config_file(path);
    lines.push_back({fmt::format("{} ({})", std::filesystem::path(path).stem().string(),
                                 pos::rope_type_name(params.scaling.type)),
                     params});
  }
  std::vector<double> thetas = s.thetas;
  if (thetas.empty() && s.configs.empty()) thetas.push_back(10000.0);
  for (const double theta : thetas) {
    pos::RopeParams p;
    p.head_dim = p.rotary_dim = s.head_dim;
    p.theta = theta;
    lines.push_back({fmt::format("theta {:g} (d {})", theta, s.head_dim), p});
  }
  return lines;
}

void add_rope_frequencies(CLI::App& plot) {
  auto s = std::make_shared<RopeSources>();
  auto o = std::make_shared<PictureOptions>();
  auto* sub = plot.add_subcommand(
      "rope-frequencies", "Wavelength of each RoPE pair for each scaling, against the unscaled default (log axis)");
  add_rope_sources(sub, *s);
  add_picture_options(sub, *o);
  sub->callback([s, o] {
    check_picture(*o);
    const plot::LineChart chart = plot::rope_frequencies_figure(rope_lines(*s));
    save_picture(chart, *o);
    write_data(*o, {{"kind", "rope-frequencies"}, {"series", series_json(chart.series)}});
  });
}

void add_rope_decay(CLI::App& plot) {
  auto s = std::make_shared<RopeSources>();
  auto o = std::make_shared<PictureOptions>();
  auto max_distance = std::make_shared<Index>(512);
  auto* sub = plot.add_subcommand(
      "rope-decay", "Expected score between RoPE-rotated copies of one random vector, against their distance");
  add_rope_sources(sub, *s);
  sub->add_option("--max-distance", *max_distance, "Largest relative distance")->default_val(512);
  add_picture_options(sub, *o);
  sub->callback([s, o, max_distance] {
    check_picture(*o);
    require_option(*max_distance >= 1 && *max_distance <= 1'000'000, "--max-distance", *max_distance,
                   "must be between 1 and 1000000");
    const plot::LineChart chart = plot::rope_decay_figure(rope_lines(*s), *max_distance);
    save_picture(chart, *o);
    write_data(*o, {{"kind", "rope-decay"}, {"series", series_json(chart.series)}});
  });
}

// --- bias: ALiBi and T5 -----------------------------------------------------------------------

void add_bias(CLI::App& plot) {
  struct Options {
    std::string scheme = "alibi";
    Index heads = 8, length = 32;
    pos::T5BiasParams t5{1, 32, 128, true};
    bool causal = false;
  };
  auto b = std::make_shared<Options>();
  auto o = std::make_shared<PictureOptions>();
  auto* sub = plot.add_subcommand("bias", "Attention-score biases: ALiBi per head (causal), or T5's bucket matrix");
  sub->add_option("--scheme", b->scheme,
                  "alibi, t5 (the bucket of each query/key pair) or t5-buckets (the bucket function of the distance, "
                  "over -length..length)")
      ->check(CLI::IsMember({"alibi", "t5", "t5-buckets"}))
      ->default_val("alibi");
  sub->add_option("--heads", b->heads, "ALiBi heads (one panel each, at most 16)")->default_val(8);
  sub->add_option("--length", b->length, "Queries and keys")->default_val(32);
  sub->add_option("--num-buckets", b->t5.num_buckets, "T5 buckets")->default_val(32);
  sub->add_option("--max-distance", b->t5.max_distance, "T5 distance of the last bucket")->default_val(128);
  sub->add_flag("--causal", b->causal, "T5 decoder buckets (default: bidirectional)");
  add_picture_options(sub, *o);
  sub->callback([b, o] {
    check_picture(*o);
    if (b->scheme == "alibi")
      require_option(b->heads >= 1 && b->heads <= 16, "--heads", b->heads, "must be between 1 and 16 (a panel each)");
    const Index max_length = b->scheme == "t5-buckets" ? 100'000 : 4096;
    require_option(b->length >= 1 && b->length <= max_length, "--length", b->length,
                   fmt::format("must be between 1 and {}", max_length));
    if (b->scheme != "alibi") {
      b->t5.bidirectional = !b->causal;
      // t5-buckets draws the bidirectional and the causal function: both must be valid (with
      // num_buckets < 4 the bidirectional one divides by zero).
      std::vector<bool> kinds{b->t5.bidirectional};
      if (b->scheme == "t5-buckets") kinds = {true, false};
      for (const bool bidirectional : kinds) {
        pos::T5BiasParams p = b->t5;
        p.bidirectional = bidirectional;
        try {
          pos::validate(p);
        } catch (const Error& e) {
          throw UsageError(
              fmt::format("--num-buckets {} --max-distance {}: {}", p.num_buckets, p.max_distance, e.what()));
        }
      }
    }
    ordered_json data{{"kind", "bias"}, {"scheme", b->scheme}, {"length", b->length}};
    plot::HeatmapPanels figure;
    if (b->scheme == "alibi") {
      figure = plot::alibi_figure(b->heads, b->length);
      const auto slopes = pos::alibi_slopes(b->heads);
      ordered_json heads = ordered_json::array();
      for (std::size_t h = 0; h < figure.panels.size(); ++h) {
        ordered_json values = ordered_json::array();
        for (const double v : figure.panels[h].values)
          values.push_back(std::isfinite(v) ? ordered_json(v) : ordered_json(nullptr));
        heads.push_back({{"head", h}, {"slope", slopes[h]}, {"values", values}});
      }
      data["heads"] = heads;
    } else if (b->scheme == "t5-buckets") {
      const plot::LineChart chart = plot::t5_bucket_function_figure(b->t5, b->length);
      save_picture(chart, *o);
      data["series"] = series_json(chart.series);
      return write_data(*o, data);
    } else {
      figure = plot::t5_figure(b->t5, b->length);
      data["buckets"] = figure.panels[0].values;
    }
    save_picture(figure, *o);
    write_data(*o, data);
  });
}

// --- the study ----------------------------------------------------------------------------------

nlohmann::json read_json_file(const std::string& path) {
  const std::string text = io::read_file_bytes(path);  // names a folder or a missing file
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(fmt::format("{}: not valid JSON at byte {}", path, e.byte));
  } catch (const nlohmann::json::exception& e) {  // out_of_range: a number beyond a double (1e400)
    throw Error(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
}

void add_study(CLI::App& plot) {
  auto input = std::make_shared<std::string>();
  auto o = std::make_shared<PictureOptions>();
  auto* sub = plot.add_subcommand("study", "Perplexity against evaluation length per scheme, from `posemb study`'s JSON");
  sub->add_option("--input", *input, "study.json written by `posemb study`")->required();
  add_picture_options(sub, *o);
  sub->callback([input, o] {
    check_picture(*o);
    const plot::LineChart chart = plot::study_chart(read_json_file(*input), *input);
    save_picture(chart, *o);
    write_data(*o, {{"kind", "study"}, {"series", series_json(chart.series)}, {"note", chart.note}});
  });
}

// --- attention: what a trained model looks at ---------------------------------------------------

void add_attention(CLI::App& plot) {
  struct Options {
    std::string checkpoint, text;
    Index layer = 0;
  };
  auto a = std::make_shared<Options>();
  auto o = std::make_shared<PictureOptions>();
  auto* sub = plot.add_subcommand(
      "attention", "Attention map of a trained model (a `posemb train` run folder) on a text: one panel per head");
  sub->add_option("--checkpoint", a->checkpoint, "The run folder of `posemb train` (holds checkpoint.json)")->required();
  sub->add_option("--text", a->text, "The text to look at ('-' reads standard input)")->required();
  sub->add_option("--layer", a->layer, "Which block (0 = the first)")->default_val(0);
  add_picture_options(sub, *o);
  sub->callback([a, o] {
    check_picture(*o);
    const model::CheckpointManifest manifest = model::read_checkpoint_manifest(a->checkpoint);
    model::Gpt gpt = model::load_checkpoint_model(a->checkpoint);
    const data::TextTokenizer tokenizer = data::TextTokenizer::from_name(manifest.run.tokenizer);
    const std::vector<std::uint32_t> ids = tokenizer.encode(text_or_stdin(a->text));
    const auto n = static_cast<Index>(ids.size());
    if (n < 1) throw Error("--text has no tokens");
    if (n > 256)
      throw Error(fmt::format("--text is {} tokens; an attention map shows at most 256 (one cell per pair)", n));
    const std::vector<std::int32_t> tokens(ids.begin(), ids.end());
    const Tensor probs = gpt.attention_probabilities({tokens, {}, 1, n}, a->layer);
    plot::HeatmapPanels figure{
        fmt::format("Attention of layer {} ({} positions, {} tokens): row = query, column = key it attends to",
                    a->layer, model::scheme_name(manifest.model.scheme), n),
        "probability",
        {}};
    ordered_json heads = ordered_json::array();
    for (Index h = 0; h < probs.size(1); ++h) {
      plot::Heatmap panel{fmt::format("head {}", h), "key", "query", n, n, {}};
      for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < n; ++j)
          panel.values.push_back(j > i ? std::numeric_limits<double>::quiet_NaN() : double(probs.at(0, h, i, j)));
      ordered_json rows = ordered_json::array();
      for (Index i = 0; i < n; ++i) {
        ordered_json row = ordered_json::array();
        for (Index j = 0; j <= i; ++j) row.push_back(probs.at(0, h, i, j));
        rows.push_back(std::move(row));
      }
      heads.push_back({{"head", h}, {"probabilities", rows}});
      figure.panels.push_back(std::move(panel));
    }
    save_picture(figure, *o);
    write_data(*o, {{"kind", "attention"}, {"layer", a->layer}, {"scheme", model::scheme_name(manifest.model.scheme)},
                    {"tokens", ids}, {"heads", heads}});
  });
}

}  // namespace

void add_plot_command(CLI::App& app) {
  auto* plot = app.add_subcommand("plot", "Draw a scheme or the study as a PNG or SVG picture (cairo)");
  plot->require_subcommand(1);
  add_table(*plot);
  add_similarity(*plot);
  add_rope_frequencies(*plot);
  add_rope_decay(*plot);
  add_bias(*plot);
  add_study(*plot);
  add_attention(*plot);
}

}  // namespace posemb::cli
