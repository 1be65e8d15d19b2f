// `posemb positions SCHEME ...`: prints a positional scheme's values as JSON (default) or as
// PyTorch prints tensors (--format torch), to standard output or atomically to -o FILE.
//
//   posemb positions schemes
//   posemb positions sinusoidal --length 8 --dim 16 [--layout interleaved|concat] [--base 10000]
//                               [--start 0] [--scale 1] [--double-angles]
//   posemb positions rope --config config.json [--positions 0,1,4096] [--seq-len N] [--p-rope F]
//   posemb positions rope --head-dim 64 [--theta 10000] [--rotary-dim 32] [--interleaved] ...
//   posemb positions rope --config config.json --apply q.npy [--offset N | --positions ...] [-o out.npy]
//   posemb positions axial-rope --head-dim 16 --rows 2 --cols 3 [--theta 100]
//   posemb positions alibi --heads 12 --length 8 [--q-start 0] [--symmetric]
//   posemb positions t5 --length 16 [--num-buckets 32] [--max-distance 128] [--causal]
//   posemb positions shaw --length 8 --clip 4
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "positions_report.hpp"
#include "posemb/core/error.hpp"
#include "posemb/io/npy.hpp"
#include "posemb/positional/axial_rope.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/scheme.hpp"
#include "posemb/positional/shaw.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"
#include "print_memory.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

using nlohmann::ordered_json;
namespace pos = posemb::positional;

PositionsReport header(pos::SchemeKind kind) {
  PositionsReport report;
  report.value("scheme", pos::scheme_name(kind));
  report.value("acts_on", pos::placement_name(pos::placement_of(kind)));
  return report;
}

// A command-line value that cannot be used: "--dim 3: must be even and at least 2 (...)".
template <class T>
void require_option(bool ok, std::string_view option, const T& value, std::string_view rule) {
  if (!ok) throw UsageError(fmt::format("{} {}: {}", option, value, rule));
}

bool finite_above_one(double value) { return value > 1.0 && std::isfinite(value); }

pos::SinusoidalLayout parse_layout_option(const std::string& name) {
  try {
    return pos::parse_sinusoidal_layout(name);
  } catch (const Error&) {
    throw UsageError(fmt::format(
        "--layout {}: unknown layout; use interleaved (Vaswani) or concat (tensor2tensor / fairseq)", name));
  }
}

// A [rows, cols] float32 tensor from row-major values.
Tensor matrix(std::span<const float> values, Index rows, Index cols) { return Tensor({rows, cols}, values); }

std::vector<Index> parse_positions(const std::string& list) {
  std::vector<Index> out;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t end = std::min(list.find(',', begin), list.size());
    const std::string item = list.substr(begin, end - begin);
    std::size_t used = 0;
    long long value = -1;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value < 0)
      throw UsageError(fmt::format("--positions: '{}' is not a non-negative integer (expected e.g. 0,1,4096)", item));
    out.push_back(value);
    begin = end + 1;
  }
  return out;
}

// Every subcommand prints to stdout or -o FILE, as JSON or as PyTorch prints tensors.
struct OutputOptions {
  std::string format = "json";
  std::string output;
  void print(const PositionsReport& report) const { write_output(report.render(format), output); }
};

void add_output_options(CLI::App* sub, OutputOptions& o,
                        const std::string& help = "json (one document) or torch (labels, then tensors as PyTorch "
                                                  "prints them)",
                        const std::vector<std::string>& formats = positions_formats()) {
  sub->add_option("--format", o.format, help)->check(CLI::IsMember(formats))->default_val("json");
  sub->add_option("-o,--output", o.output, "Write to this file (atomically; `-`: standard output) instead of standard output");
}

void add_schemes(CLI::App& positions) {
  auto* sub = positions.add_subcommand("schemes", "List the schemes and where each acts");
  sub->callback([] {
    ordered_json doc = ordered_json::array();
    for (const auto kind : pos::all_scheme_kinds())
      doc.push_back({{"scheme", pos::scheme_name(kind)}, {"acts_on", pos::placement_name(pos::placement_of(kind))}});
    fmt::print("{}\n", doc.dump());
  });
}

void add_sinusoidal(CLI::App& positions) {
  struct Options {
    Index length = 0;
    pos::SinusoidalParams params;
    std::string layout = "interleaved";
    bool double_angles = false;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("sinusoidal", "Fixed sinusoidal table (added to the input embeddings)");
  sub->add_option("--length", o->length, "Number of positions (rows)")->required();
  sub->add_option("--dim", o->params.dim, "Model dimension (even)")->required();
  sub->add_option("--layout", o->layout, "interleaved (Vaswani) or concat (tensor2tensor / fairseq)");
  sub->add_option("--base", o->params.base, "Base of the wavelengths")->default_val(10000.0);
  sub->add_option("--start", o->params.first_position, "Position of the first row (fairseq: padding_idx + 1)")
      ->default_val(0);
  sub->add_option("--scale", o->params.scale, "Multiplies the table")->default_val(1.0f);
  sub->add_flag("--double-angles", o->double_angles, "Angles in double instead of float32 (the references' choice)");
  add_output_options(sub, o->out);
  sub->callback([o] {
    const Index dim = o->params.dim;
    require_option(o->length >= 1, "--length", o->length, "the table needs at least 1 position");
    require_option(dim >= 2 && dim % 2 == 0, "--dim", dim,
                   "must be even and at least 2 (each pair of channels holds a sin and a cos)");
    require_option(finite_above_one(o->params.base), "--base", o->params.base,
                   "must be a finite number greater than 1");
    require_option(o->params.first_position >= 0, "--start", o->params.first_position, "must be 0 or more");
    require_option(o->params.first_position <= std::numeric_limits<Index>::max() - o->length, "--start",
                   o->params.first_position, "is too large: the last position would not fit in 64 bits");
    require_option(std::isfinite(o->params.scale), "--scale", o->params.scale, "must be finite");
    o->params.layout = parse_layout_option(o->layout);
    if (o->double_angles) o->params.precision = pos::AnglePrecision::kFloat64;
    MemoryEstimate need;
    add_printed_tensor(need, "the table", {o->length, dim}, ValueKind::kFloat32, o->out.format, "it");
    require_memory_for(fmt::format("--length {} --dim {}", o->length, dim), need);
    const pos::SinusoidalPositions sinusoidal(o->params);
    Tensor table = sinusoidal.table(o->length);
    PositionsReport report = header(pos::SchemeKind::kSinusoidal);
    report.value("layout", pos::sinusoidal_layout_name(o->params.layout));
    report.value("dim", o->params.dim);
    report.value("base", o->params.base);
    report.value("first_position", o->params.first_position);
    report.value("scale", o->params.scale);
    report.value("angles", o->double_angles ? "float64" : "float32");
    report.tensor("values", std::move(table), "shape");
    o->out.print(report);
  });
}

// Token positions for a [batch, seq] grid: --positions (seq entries shared by every row, or
// batch x seq entries), or offset + s.
std::vector<Index> token_positions(const std::string& list, Index offset, Index batch, Index seq) {
  std::vector<Index> positions;
  if (list.empty()) {
    for (Index b = 0; b < batch; ++b)
      for (Index s = 0; s < seq; ++s) positions.push_back(offset + s);
    return positions;
  }
  const std::vector<Index> given = parse_positions(list);
  const auto count = static_cast<Index>(given.size());
  if (count == batch * seq) return given;
  if (count != seq)
    throw UsageError(
        fmt::format("--positions has {} entries; the tensor needs seq = {} (shared by every row) or batch x seq "
                    "= {}",
                    count, seq, batch * seq));
  for (Index b = 0; b < batch; ++b) positions.insert(positions.end(), given.begin(), given.end());
  return positions;
}

// The cos/sin cache covers positions [0, max]; past 2^24 float32 cannot tell neighbouring
// positions apart anyway, and the cache would not fit in memory.
constexpr Index kMaxAppliedPosition = Index{1} << 24;

template <class RopeOptions>
void apply_rope_to_file(const pos::RopeParams& params, const RopeOptions& o) {
  require_option(o.offset >= 0, "--offset", o.offset, "must be 0 or more (the position of every row's first token)");
  require_option(o.offset < kMaxAppliedPosition, "--offset", o.offset,
                 fmt::format("is past {} (2^24), where float32 positions stop being exact", kMaxAppliedPosition));
  // The shape from the header: sizes are checked before the tensor is read.
  const Shape given = io::read_npy_header(o.apply).shape;
  Shape shape = given;
  if (shape.size() == 3) shape.insert(shape.begin(), 1);
  if (shape.size() != 4)
    throw Error(fmt::format("--apply {}: shape {} is neither [batch, seq, heads, head_dim] nor [seq, heads, head_dim]",
                            o.apply, shape_to_string(given)));
  if (shape[3] != params.head_dim)
    throw Error(fmt::format("--apply {}: the last dimension is {}, but the RoPE's head_dim is {}", o.apply, shape[3],
                            params.head_dim));
  // Positions are made for every (batch, seq) row; with no heads no data backs those rows, and
  // a 128-byte file of shape (2^32, 0, 64) asked for 32 GB of positions.
  if (shape[2] == 0)
    throw Error(fmt::format("--apply {}: shape {} has 0 heads; there is nothing to rotate", o.apply,
                            shape_to_string(given)));
  const std::vector<Index> positions = token_positions(o.positions, o.offset, shape[0], shape[1]);
  const Index last = positions.empty() ? 0 : *std::max_element(positions.begin(), positions.end());
  if (last >= kMaxAppliedPosition)
    throw UsageError(
        fmt::format("--positions / --offset: position {} is past {} (2^24), where float32 positions "
                    "stop being exact",
                    last, kMaxAppliedPosition));
  MemoryEstimate need;
  need.add(fmt::format("the cos/sin cache of positions 0 to {}", last), {2, last + 1, params.rotary_dim / 2},
           sizeof(float), "float32 values");
  need.add("the tensor and its rotation", given, 2 * sizeof(float));
  const double per_value = print_bytes_per_value(o.out.format, ValueKind::kFloat32);
  if (per_value > 0) need.add(fmt::format("writing it as {}", o.out.format), given, per_value);
  require_memory_for(fmt::format("--apply {} ({} values) at positions up to {}", o.apply, shape_numel(given), last),
                     need);

  Tensor x = io::read_npy(o.apply);
  x.reshape(shape);
  const auto precision = o.double_angles ? pos::AnglePrecision::kFloat64 : pos::AnglePrecision::kFloat32;
  const pos::Rope rope(params, last + 1, precision, o.seq_len);
  Tensor rotated(x.shape());
  rope.apply(x.view(), rotated.view(), positions);
  rotated.reshape(given);
  if (o.out.format == "npy") return write_binary_output(io::encode_npy(rotated.view()), o.out.output, "--format npy");
  PositionsReport report = header(pos::SchemeKind::kRope);
  report.value("rope_type", pos::rope_type_name(params.scaling.type));
  report.value("pairing", params.pairing == pos::RopePairing::kHalves ? "halves" : "interleaved");
  report.value("attention_factor", rope.frequencies().attention_factor);
  report.value("input", o.apply);
  report.value("positions", positions);
  report.tensor("rotated", std::move(rotated), "shape");
  o.out.print(report);
}

void add_rope(CLI::App& positions) {
  struct Options {
    std::string config;
    Index head_dim = 0;
    Index rotary_dim = 0;
    double theta = 10000.0;
    bool interleaved = false;
    std::string positions;
    std::optional<Index> seq_len;
    double p_rope = 1.0;
    bool double_angles = false;
    std::string apply;
    Index offset = 0;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand(
      "rope", "RoPE inverse frequencies and attention factor (from an HF config.json), cos/sin at positions");
  auto* config = sub->add_option("--config", o->config, "A Hugging Face config.json")->check(CLI::ExistingFile);
  auto* head = sub->add_option("--head-dim", o->head_dim, "Head dimension (instead of --config)");
  config->excludes(head);
  sub->add_option("--rotary-dim", o->rotary_dim, "Rotated channels (with --head-dim; default all)")->needs(head);
  sub->add_option("--theta", o->theta, "Base (with --head-dim)")->needs(head);
  sub->add_flag("--interleaved", o->interleaved, "GPT-J pairing (with --head-dim; default halves)")->needs(head);
  auto* positions_option = sub->add_option(
      "--positions", o->positions,
      "Comma-separated positions to print cos/sin at, e.g. 0,1,4096; with --apply, the tokens' positions (seq "
      "or batch x seq of them)");
  sub->add_option("--seq-len", o->seq_len, "Sequence length for dynamic / longrope (HF: max position + 1)");
  sub->add_option("--p-rope", o->p_rope, "p-RoPE: fraction of the highest frequencies kept")->default_val(1.0);
  sub->add_flag("--double-angles", o->double_angles, "Angles in double instead of float32");
  auto* apply = sub->add_option("--apply", o->apply,
                                "Rotate the float32 tensor in this .npy file ([batch, seq, heads, head_dim] or "
                                "[seq, heads, head_dim]) and print or write the result");
  apply->check(CLI::ExistingFile);
  sub->add_option("--offset", o->offset, "With --apply: position of the first token of every row (a KV-cache offset)")
      ->needs(apply)
      ->excludes(positions_option)
      ->default_val(0);
  add_output_options(sub, o->out,
                     "json, torch (as PyTorch prints tensors), or npy (with --apply: the rotated tensor, to -o)",
                     {"json", "torch", "npy"});
  sub->callback([o, sub] {
    require_option(o->p_rope >= 0.0 && o->p_rope <= 1.0, "--p-rope", o->p_rope,
                   "must be in [0, 1] (the fraction of the frequencies kept)");
    if (o->seq_len) require_option(*o->seq_len >= 0, "--seq-len", *o->seq_len, "must be 0 or more");
    if (o->apply.empty() && o->out.format == "npy")
      throw UsageError("--format npy writes the rotated tensor of --apply FILE.npy; give --apply");
    pos::RopeParams params;
    std::string source;  // where the sizes came from, for a memory error
    if (!o->config.empty()) {
      params = pos::rope_params_from_hf_config_file(o->config);
      source = fmt::format("--config {} (head_dim {})", o->config, params.head_dim);
    } else {
      if (o->head_dim <= 0)
        throw UsageError(sub->count("--head-dim") > 0
                             ? fmt::format("--head-dim {}: must be a positive number; give --config FILE (a Hugging "
                                           "Face config.json) or --head-dim N",
                                           o->head_dim)
                             : "positions rope: give --config FILE (a Hugging Face config.json) or --head-dim N");
      if (sub->count("--rotary-dim") > 0) {
        require_option(
            o->rotary_dim > 0 && o->rotary_dim % 2 == 0 && o->rotary_dim <= o->head_dim, "--rotary-dim", o->rotary_dim,
            fmt::format("must be even, positive and at most --head-dim {} (channels rotate in pairs)", o->head_dim));
      } else {
        require_option(o->head_dim % 2 == 0, "--head-dim", o->head_dim,
                       "must be even when every channel rotates (channels rotate in pairs); give an even "
                       "--rotary-dim below it to rotate only part of the head");
      }
      require_option(finite_above_one(o->theta), "--theta", o->theta, "must be a finite number greater than 1");
      params.head_dim = o->head_dim;
      params.rotary_dim = o->rotary_dim > 0 ? o->rotary_dim : o->head_dim;
      params.theta = o->theta;
      params.pairing = o->interleaved ? pos::RopePairing::kInterleaved : pos::RopePairing::kHalves;
      source = fmt::format("--head-dim {}", o->head_dim);
    }
    params.kept_frequency_fraction = o->p_rope;
    if (!o->apply.empty()) return apply_rope_to_file(params, *o);
    const std::vector<Index> at = o->positions.empty() ? std::vector<Index>{} : parse_positions(o->positions);
    const Index half = params.rotary_dim / 2;
    MemoryEstimate need;
    add_printed_tensor(need, "the inverse frequencies", {half}, ValueKind::kFloat32, o->out.format);
    if (!at.empty()) {
      const auto count = static_cast<Index>(at.size());
      need.add("cos and sin at the positions", {2, count, half}, 2 * sizeof(float));
      need.add(fmt::format("printing them as {}", o->out.format), {2, count, half},
               print_bytes_per_value(o->out.format, ValueKind::kFloat32));
      source += fmt::format(" --positions ({} of them)", count);
    }
    require_memory_for(source, need);
    const pos::RopeFrequencies f = pos::compute_rope_frequencies(params, o->seq_len);
    PositionsReport report = header(pos::SchemeKind::kRope);
    report.value("rope_type", pos::rope_type_name(params.scaling.type));
    report.value("pairing", params.pairing == pos::RopePairing::kHalves ? "halves" : "interleaved");
    report.value("head_dim", params.head_dim);
    report.value("rotary_dim", params.rotary_dim);
    report.value("theta", params.theta);
    if (o->seq_len) report.value("seq_len", *o->seq_len);
    report.value("attention_factor", f.attention_factor);
    report.tensor("inv_freq", Tensor({static_cast<Index>(f.inv_freq.size())}, f.inv_freq));
    if (!at.empty()) {
      const auto precision = o->double_angles ? pos::AnglePrecision::kFloat64 : pos::AnglePrecision::kFloat32;
      const pos::RopeCache cache = pos::rope_cos_sin_at(f, at, precision);
      report.value("angles", o->double_angles ? "float64" : "float32");
      report.value("positions", at);
      report.tensor("cos", matrix(cache.cos, cache.positions, cache.half));
      report.tensor("sin", matrix(cache.sin, cache.positions, cache.half));
    }
    o->out.print(report);
  });
}

void add_axial_rope(CLI::App& positions) {
  struct Options {
    pos::AxialRopeParams params;
    Index rows = 0, cols = 0;
    bool interleaved = false;
    bool double_angles = false;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand(
      "axial-rope", "2-D (axial) RoPE for a grid of tokens: frequencies, and cos/sin of each token's row and column");
  sub->add_option("--head-dim", o->params.head_dim, "Head dimension (a multiple of 4)")->required();
  sub->add_option("--rows", o->rows, "Rows of the grid")->required();
  sub->add_option("--cols", o->cols, "Columns of the grid")->required();
  sub->add_option("--theta", o->params.theta, "Base")->default_val(10000.0);
  sub->add_flag("--interleaved", o->interleaved, "GPT-J pairing within each half (default halves)");
  sub->add_flag("--double-angles", o->double_angles, "Angles in double instead of float32");
  add_output_options(sub, o->out);
  sub->callback([o] {
    const Index head_dim = o->params.head_dim;
    require_option(head_dim > 0 && head_dim % 4 == 0, "--head-dim", head_dim,
                   "must be a positive multiple of 4 (each half of the head rotates pairs of channels)");
    require_option(o->rows >= 1, "--rows", o->rows, "the grid needs at least 1 row");
    require_option(o->cols >= 1, "--cols", o->cols, "the grid needs at least 1 column");
    require_option(finite_above_one(o->params.theta), "--theta", o->params.theta,
                   "must be a finite number greater than 1");
    // cos and sin of each token's row and column: 4 tables of rows x cols x head_dim / 4 values,
    // built as vectors and copied into the report's tensors; the cache covers max(rows, cols).
    MemoryEstimate need;
    add_printed_tensor(need, "cos and sin of every token's row and column", {o->rows, o->cols, head_dim},
                       ValueKind::kFloat32, o->out.format);
    need.add("their tables before printing", {o->rows, o->cols, head_dim}, sizeof(float));
    need.add("each token's row and column", {2, o->rows, o->cols},
             sizeof(Index) + print_bytes_per_value(o->out.format, ValueKind::kInt64));
    need.add("the cos/sin cache", {std::max(o->rows, o->cols), head_dim / 2}, sizeof(float));
    require_memory_for(fmt::format("--head-dim {} --rows {} --cols {}", head_dim, o->rows, o->cols), need);
    o->params.pairing = o->interleaved ? pos::RopePairing::kInterleaved : pos::RopePairing::kHalves;
    const auto precision = o->double_angles ? pos::AnglePrecision::kFloat64 : pos::AnglePrecision::kFloat32;
    const pos::AxialRope axial(o->params, std::max(o->rows, o->cols), precision);
    const pos::GridPositions grid = pos::grid_positions(1, o->rows, o->cols);
    const pos::RopeCache by_row = pos::rope_cos_sin_at(axial.frequencies(), grid.rows, precision);
    const pos::RopeCache by_col = pos::rope_cos_sin_at(axial.frequencies(), grid.cols, precision);
    PositionsReport report = header(pos::SchemeKind::kAxialRope);
    report.value("head_dim", o->params.head_dim);
    report.value("theta", o->params.theta);
    report.value("pairing", o->interleaved ? "interleaved" : "halves");
    report.value("layout", "channels [0, head_dim/2) rotate by the row, [head_dim/2, head_dim) by the column");
    report.value("grid", std::vector<Index>{o->rows, o->cols});
    report.value("token_rows", grid.rows);
    report.value("token_cols", grid.cols);
    const auto& inv_freq = axial.frequencies().inv_freq;
    report.tensor("inv_freq", Tensor({static_cast<Index>(inv_freq.size())}, inv_freq));
    report.tensor("cos_row", matrix(by_row.cos, by_row.positions, by_row.half));
    report.tensor("sin_row", matrix(by_row.sin, by_row.positions, by_row.half));
    report.tensor("cos_col", matrix(by_col.cos, by_col.positions, by_col.half));
    report.tensor("sin_col", matrix(by_col.sin, by_col.positions, by_col.half));
    o->out.print(report);
  });
}

void add_alibi(CLI::App& positions) {
  struct Options {
    Index heads = 0, length = 0, q_start = 0;
    bool symmetric = false;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("alibi", "ALiBi slopes and bias matrices (added to attention scores)");
  sub->add_option("--heads", o->heads, "Number of heads (any count)")->required();
  sub->add_option("--length", o->length, "Number of keys (and of queries)")->required();
  sub->add_option("--q-start", o->q_start, "Position of the first query (a KV-cache offset)")->default_val(0);
  sub->add_flag("--symmetric", o->symmetric, "-m|j - i| (bidirectional) instead of m (j - i)");
  add_output_options(sub, o->out);
  sub->callback([o] {
    require_option(o->heads >= 1, "--heads", o->heads, "must be at least 1");
    require_option(o->length >= 1, "--length", o->length, "must be at least 1");
    require_option(
        o->q_start >= 0 && o->q_start < o->length, "--q-start", o->q_start,
        fmt::format("must be in [0, --length {}): the queries are at positions --q-start to --length - 1", o->length));
    const Index q_len = o->length - o->q_start;
    MemoryEstimate need;
    add_printed_tensor(need, "the biases", {o->heads, q_len, o->length}, ValueKind::kFloat32, o->out.format);
    require_memory_for(fmt::format("--heads {} --length {}", o->heads, o->length), need);
    const pos::Alibi alibi({o->heads, o->symmetric ? pos::AlibiDirection::kSymmetric : pos::AlibiDirection::kCausal});
    Tensor bias = alibi.bias_matrix(q_len, o->length, o->q_start, 0);
    PositionsReport report = header(pos::SchemeKind::kAlibi);
    report.value("form", o->symmetric ? "-m|j-i|" : "m(j-i)");
    report.tensor("slopes", Tensor({o->heads}, alibi.slopes()));
    report.value("q_start", o->q_start);
    report.tensor("bias", std::move(bias), "shape");
    o->out.print(report);
  });
}

void add_t5(CLI::App& positions) {
  struct Options {
    pos::T5BiasParams params{1, 32, 128, true};
    Index length = 0;
    bool causal = false;
    bool bidirectional_flag = false;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("t5", "T5 relative-position bucket matrices (bias on attention scores)");
  sub->add_option("--length", o->length, "Number of queries and keys")->required();
  sub->add_option("--num-buckets", o->params.num_buckets, "Buckets")->default_val(32);
  sub->add_option("--max-distance", o->params.max_distance, "Distance of the last bucket")->default_val(128);
  auto* causal = sub->add_flag("--causal", o->causal, "Decoder buckets (default: bidirectional, the encoder's)");
  sub->add_flag("--bidirectional", o->bidirectional_flag, "Encoder buckets (the default)")->excludes(causal);
  add_output_options(sub, o->out);
  sub->callback([o] {
    o->params.bidirectional = !o->causal;
    require_option(o->length >= 1, "--length", o->length, "must be at least 1");
    const Index min_buckets = o->params.bidirectional ? 4 : 2;
    require_option(o->params.num_buckets >= min_buckets, "--num-buckets", o->params.num_buckets,
                   fmt::format("must be at least {} for {} buckets", min_buckets,
                               o->params.bidirectional ? "bidirectional" : "causal (--causal)"));
    as_usage_error([&] {
      try {
        pos::validate(o->params);
      } catch (const Error& e) {
        throw Error(fmt::format("--num-buckets {} --max-distance {}: {}", o->params.num_buckets, o->params.max_distance,
                                e.what()));
      }
    });
    MemoryEstimate need;
    add_printed_tensor(need, "the T5 buckets", {o->length, o->length}, ValueKind::kInt64, o->out.format);
    require_memory_for(fmt::format("--length {}", o->length), need);
    IdTensor buckets = pos::t5_bucket_matrix(o->params, o->length, o->length);
    PositionsReport report = header(pos::SchemeKind::kT5);
    report.value("num_buckets", o->params.num_buckets);
    report.value("max_distance", o->params.max_distance);
    report.value("bidirectional", o->params.bidirectional);
    report.tensor("buckets", std::move(buckets), "shape");
    o->out.print(report);
  });
}

void add_shaw(CLI::App& positions) {
  struct Options {
    Index clip = 0, length = 0;
    OutputOptions out;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("shaw", "Shaw et al. clipped relative-position index matrices");
  sub->add_option("--clip", o->clip, "Maximum relative distance k (tables have 2k + 1 rows)")->required();
  sub->add_option("--length", o->length, "Number of queries and keys")->required();
  add_output_options(sub, o->out);
  sub->callback([o] {
    require_option(o->clip >= 1, "--clip", o->clip, "must be at least 1 (the largest relative distance kept)");
    require_option(o->clip <= (std::numeric_limits<Index>::max() - 1) / 2, "--clip", o->clip,
                   "is too large: the tables' 2k + 1 rows would not fit in 64 bits");
    require_option(o->length >= 1, "--length", o->length, "must be at least 1");
    MemoryEstimate need;
    add_printed_tensor(need, "the relative-position indices", {o->length, o->length}, ValueKind::kInt64, o->out.format);
    require_memory_for(fmt::format("--length {}", o->length), need);
    IdTensor index = pos::shaw_index_matrix(o->clip, o->length, o->length);
    PositionsReport report = header(pos::SchemeKind::kShaw);
    report.value("max_relative_position", o->clip);
    report.value("table_rows", 2 * o->clip + 1);
    report.tensor("index", std::move(index), "shape");
    o->out.print(report);
  });
}

}  // namespace

void add_positions_command(CLI::App& app) {
  auto* positions = app.add_subcommand("positions", "Print a positional scheme's values (tables, frequencies, biases)");
  positions->require_subcommand(1);
  add_schemes(*positions);
  add_sinusoidal(*positions);
  add_rope(*positions);
  add_axial_rope(*positions);
  add_alibi(*positions);
  add_t5(*positions);
  add_shaw(*positions);
}

}  // namespace posemb::cli
