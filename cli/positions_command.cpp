// `posemb positions SCHEME ...`: prints a positional scheme's values as JSON.
//
//   posemb positions schemes
//   posemb positions sinusoidal --length 8 --dim 16 [--layout interleaved|concat] [--base 10000]
//                               [--start 0] [--scale 1] [--double-angles]
//   posemb positions rope --config config.json [--positions 0,1,4096] [--seq-len N] [--p-rope F]
//   posemb positions rope --head-dim 64 [--theta 10000] [--rotary-dim 32] [--interleaved] ...
//   posemb positions alibi --heads 12 --length 8 [--q-start 0] [--symmetric]
//   posemb positions t5 --length 16 [--num-buckets 32] [--max-distance 128] [--causal]
//   posemb positions shaw --length 8 --clip 4
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "posemb/core/error.hpp"
#include "posemb/positional/alibi.hpp"
#include "posemb/positional/hf_config.hpp"
#include "posemb/positional/rope.hpp"
#include "posemb/positional/scheme.hpp"
#include "posemb/positional/shaw.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/positional/t5_bias.hpp"

namespace posemb::cli {
namespace {

using nlohmann::ordered_json;
namespace pos = posemb::positional;

// One key per line, each value compact: readable and still a single JSON document.
void print_json(const ordered_json& doc) {
  std::string out = "{\n";
  bool first = true;
  for (const auto& [key, value] : doc.items()) {
    out += first ? "  " : ",\n  ";
    first = false;
    out += ordered_json(key).dump() + ": " + value.dump();
  }
  out += "\n}\n";
  fmt::print("{}", out);
}

ordered_json header(pos::SchemeKind kind) {
  ordered_json doc;
  doc["scheme"] = pos::scheme_name(kind);
  doc["acts_on"] = pos::placement_name(pos::placement_of(kind));
  return doc;
}

template <class T>
ordered_json matrix(const T* data, Index rows, Index cols) {
  ordered_json m = ordered_json::array();
  for (Index r = 0; r < rows; ++r) {
    ordered_json row = ordered_json::array();
    for (Index c = 0; c < cols; ++c) row.push_back(data[r * cols + c]);
    m.push_back(std::move(row));
  }
  return m;
}

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
      throw Error(fmt::format("--positions: '{}' is not a non-negative integer (expected e.g. 0,1,4096)", item));
    out.push_back(value);
    begin = end + 1;
  }
  return out;
}

void add_format_option(CLI::App* sub, std::string& format) {
  sub->add_option("--format", format, "Output format (json; PyTorch's text format comes with core/tensor_print)")
      ->check(CLI::IsMember({"json"}))
      ->default_val("json");
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
    std::string format;
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
  add_format_option(sub, o->format);
  sub->callback([o] {
    o->params.layout = pos::parse_sinusoidal_layout(o->layout);
    if (o->double_angles) o->params.precision = pos::AnglePrecision::kFloat64;
    const pos::SinusoidalPositions sinusoidal(o->params);
    const Tensor table = sinusoidal.table(o->length);
    ordered_json doc = header(pos::SchemeKind::kSinusoidal);
    doc["layout"] = pos::sinusoidal_layout_name(o->params.layout);
    doc["dim"] = o->params.dim;
    doc["base"] = o->params.base;
    doc["first_position"] = o->params.first_position;
    doc["scale"] = o->params.scale;
    doc["angles"] = o->double_angles ? "float64" : "float32";
    doc["shape"] = table.shape();
    doc["values"] = matrix(table.data(), o->length, o->params.dim);
    print_json(doc);
  });
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
    std::string format;
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
  sub->add_option("--positions", o->positions, "Comma-separated positions to print cos/sin at, e.g. 0,1,4096");
  sub->add_option("--seq-len", o->seq_len, "Sequence length for dynamic / longrope (HF: max position + 1)");
  sub->add_option("--p-rope", o->p_rope, "p-RoPE: fraction of the highest frequencies kept")->default_val(1.0);
  sub->add_flag("--double-angles", o->double_angles, "Angles in double instead of float32");
  add_format_option(sub, o->format);
  sub->callback([o] {
    pos::RopeParams params;
    if (!o->config.empty()) {
      params = pos::rope_params_from_hf_config_file(o->config);
    } else if (o->head_dim > 0) {
      params.head_dim = o->head_dim;
      params.rotary_dim = o->rotary_dim > 0 ? o->rotary_dim : o->head_dim;
      params.theta = o->theta;
      params.pairing = o->interleaved ? pos::RopePairing::kInterleaved : pos::RopePairing::kHalves;
    } else {
      throw Error("positions rope: give --config FILE or --head-dim N");
    }
    params.kept_frequency_fraction = o->p_rope;
    const pos::RopeFrequencies f = pos::compute_rope_frequencies(params, o->seq_len);
    ordered_json doc = header(pos::SchemeKind::kRope);
    doc["rope_type"] = pos::rope_type_name(params.scaling.type);
    doc["pairing"] = params.pairing == pos::RopePairing::kHalves ? "halves" : "interleaved";
    doc["head_dim"] = params.head_dim;
    doc["rotary_dim"] = params.rotary_dim;
    doc["theta"] = params.theta;
    if (o->seq_len) doc["seq_len"] = *o->seq_len;
    doc["attention_factor"] = f.attention_factor;
    doc["inv_freq"] = f.inv_freq;
    if (!o->positions.empty()) {
      const auto at = parse_positions(o->positions);
      const auto precision = o->double_angles ? pos::AnglePrecision::kFloat64 : pos::AnglePrecision::kFloat32;
      const pos::RopeCache cache = pos::rope_cos_sin_at(f, at, precision);
      doc["angles"] = o->double_angles ? "float64" : "float32";
      doc["positions"] = at;
      doc["cos"] = matrix(cache.cos.data(), cache.positions, cache.half);
      doc["sin"] = matrix(cache.sin.data(), cache.positions, cache.half);
    }
    print_json(doc);
  });
}

void add_alibi(CLI::App& positions) {
  struct Options {
    Index heads = 0, length = 0, q_start = 0;
    bool symmetric = false;
    std::string format;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("alibi", "ALiBi slopes and bias matrices (added to attention scores)");
  sub->add_option("--heads", o->heads, "Number of heads (any count)")->required();
  sub->add_option("--length", o->length, "Number of keys (and of queries)")->required();
  sub->add_option("--q-start", o->q_start, "Position of the first query (a KV-cache offset)")->default_val(0);
  sub->add_flag("--symmetric", o->symmetric, "-m|j - i| (bidirectional) instead of m (j - i)");
  add_format_option(sub, o->format);
  sub->callback([o] {
    if (o->length < 0) throw Error(fmt::format("positions alibi: --length must be 0 or more, got {}", o->length));
    const pos::Alibi alibi({o->heads, o->symmetric ? pos::AlibiDirection::kSymmetric : pos::AlibiDirection::kCausal});
    const Index q_len = std::max<Index>(o->length - o->q_start, 0);
    const Tensor bias = alibi.bias_matrix(q_len, o->length, o->q_start, 0);
    ordered_json doc = header(pos::SchemeKind::kAlibi);
    doc["form"] = o->symmetric ? "-m|j-i|" : "m(j-i)";
    doc["slopes"] = alibi.slopes();
    doc["q_start"] = o->q_start;
    doc["shape"] = bias.shape();
    ordered_json heads = ordered_json::array();
    for (Index h = 0; h < o->heads; ++h) heads.push_back(matrix(bias.data() + h * q_len * o->length, q_len, o->length));
    doc["bias"] = heads;
    print_json(doc);
  });
}

void add_t5(CLI::App& positions) {
  struct Options {
    pos::T5BiasParams params{1, 32, 128, true};
    Index length = 0;
    bool causal = false;
    bool bidirectional_flag = false;
    std::string format;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("t5", "T5 relative-position bucket matrices (bias on attention scores)");
  sub->add_option("--length", o->length, "Number of queries and keys")->required();
  sub->add_option("--num-buckets", o->params.num_buckets, "Buckets")->default_val(32);
  sub->add_option("--max-distance", o->params.max_distance, "Distance of the last bucket")->default_val(128);
  auto* causal = sub->add_flag("--causal", o->causal, "Decoder buckets (default: bidirectional, the encoder's)");
  sub->add_flag("--bidirectional", o->bidirectional_flag, "Encoder buckets (the default)")->excludes(causal);
  add_format_option(sub, o->format);
  sub->callback([o] {
    o->params.bidirectional = !o->causal;
    const IdTensor buckets = pos::t5_bucket_matrix(o->params, o->length, o->length);
    ordered_json doc = header(pos::SchemeKind::kT5);
    doc["num_buckets"] = o->params.num_buckets;
    doc["max_distance"] = o->params.max_distance;
    doc["bidirectional"] = o->params.bidirectional;
    doc["shape"] = buckets.shape();
    doc["buckets"] = matrix(buckets.data(), o->length, o->length);
    print_json(doc);
  });
}

void add_shaw(CLI::App& positions) {
  struct Options {
    Index clip = 0, length = 0;
    std::string format;
  };
  auto o = std::make_shared<Options>();
  auto* sub = positions.add_subcommand("shaw", "Shaw et al. clipped relative-position index matrices");
  sub->add_option("--clip", o->clip, "Maximum relative distance k (tables have 2k + 1 rows)")->required();
  sub->add_option("--length", o->length, "Number of queries and keys")->required();
  add_format_option(sub, o->format);
  sub->callback([o] {
    const IdTensor index = pos::shaw_index_matrix(o->clip, o->length, o->length);
    ordered_json doc = header(pos::SchemeKind::kShaw);
    doc["max_relative_position"] = o->clip;
    doc["table_rows"] = 2 * o->clip + 1;
    doc["shape"] = index.shape();
    doc["index"] = matrix(index.data(), o->length, o->length);
    print_json(doc);
  });
}

}  // namespace

void add_positions_command(CLI::App& app) {
  auto* positions = app.add_subcommand("positions", "Print a positional scheme's values (tables, frequencies, biases)");
  positions->require_subcommand(1);
  add_schemes(*positions);
  add_sinusoidal(*positions);
  add_rope(*positions);
  add_alibi(*positions);
  add_t5(*positions);
  add_shaw(*positions);
}

}  // namespace posemb::cli
