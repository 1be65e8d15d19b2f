// posemb embed: the PyTorch notebook the project started from, step by step.
//
//   text --gpt2 tokenizer--> ids --first `context` ids, batch of 1--> inputs [1, n]
//        --token table [vocab, dim]--> token embeddings [1, n, dim]
//        + learned position table [context, dim] at positions 0..n-1 --> [n, dim]
//        = input embeddings [1, n, dim]
//
// Each step is printed as torch prints it (tools/goldens/embedding/notebook.py runs the
// notebook in torch; tests/cli/embed_notebook_test.cpp compares the two). The tables are
// drawn like torch.manual_seed(seed); nn.Embedding(50257, dim); nn.Embedding(context, dim),
// or read from a safetensors file (GPT-2's wte.weight / wpe.weight).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <numeric>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output.hpp"
#include "posemb/core/error.hpp"
#include "posemb/core/random.hpp"
#include "posemb/core/tensor_print.hpp"
#include "posemb/embedding/learned_position_embedding.hpp"
#include "posemb/embedding/token_embedding.hpp"
#include "posemb/io/file.hpp"

#include "posemb/io/npy.hpp"
#include "posemb/io/safetensors.hpp"
#include "posemb/positional/input_positions.hpp"
#include "posemb/positional/scheme.hpp"
#include "posemb/positional/sinusoidal.hpp"
#include "posemb/tokenizer/encoding.hpp"
#include "print_memory.hpp"
#include "usage_error.hpp"

namespace posemb::cli {
namespace {

using embedding::LearnedPositionEmbedding;
using embedding::TokenEmbedding;

constexpr const char* kNotebookText = "Hello my name is Ajay";
// The seed of the original notebook is not known; 123 is the one Raschka's "Build a Large
// Language Model (From Scratch)" uses for this example.
constexpr std::uint64_t kDefaultSeed = 123;
constexpr Index kGpt2VocabSize = 50257;

struct EmbedOptions {
  std::string text = kNotebookText;
  Index dim = 2;
  Index context = 5;
  std::uint64_t seed = kDefaultSeed;
  std::string scheme = "learned";
  positional::SinusoidalParams sinusoidal;  // --scheme sinusoidal (dim is --dim)
  std::string layout = "interleaved";
  std::string weights;
  std::string token_table = "wte.weight";
  std::string position_table = "wpe.weight";
  std::string format = "text";
  std::string output;
  // Whether --dim / --context were given (with --weights they default to the file's shapes).
  bool dim_given = false;
  bool context_given = false;
  bool seed_given = false;
  bool table_names_given = false;
  bool position_table_given = false;
  bool sinusoidal_options_given = false;
};

// Every step of the pipeline, for printing.
struct EmbedSteps {
  std::string text;
  std::vector<std::int64_t> ids;  // all of the text's tokens
  Index context = 0;              // tokens kept at most (the position table's rows when random)
  std::string source;             // where the tables came from
  IdTensor inputs;                // [1, n]
  Tensor token_embeddings;        // [1, n, dim]
  std::string positions_label;    // how the position rows were made
  bool positions_learned = false; // rows of a learned table (they have a grad_fn in PyTorch)
  Tensor position_embeddings;     // [n, dim]
  Tensor input_embeddings;        // [1, n, dim]
};

// The schemes that add rows to the input embeddings; the others act inside attention.
void check_scheme(const std::string& scheme) {
  if (scheme == "learned" || scheme == "sinusoidal" || scheme == "nope" || scheme == "none") return;
  const auto known = positional::all_scheme_kinds();
  for (const auto kind : known)
    if (positional::scheme_name(kind) == scheme)
      throw UsageError(
          fmt::format("--scheme {}: {} acts inside attention, on the {}, not on the input embeddings, so "
                      "`posemb embed` has nothing to add; see its values with `posemb positions {}`. "
                      "Schemes that add to the input: learned, sinusoidal, nope",
                      scheme, scheme, positional::placement_name(positional::placement_of(kind)), scheme));
  throw UsageError(
      fmt::format("--scheme {}: unknown scheme; use learned, sinusoidal or nope (the input schemes)", scheme));
}

std::vector<std::int64_t> gpt2_ids(const std::string& text) {
  const auto ranks = tokenizer::Encoding::gpt2().encode(text);
  return {ranks.begin(), ranks.end()};
}

struct Tables {
  TokenEmbedding tokens;
  std::optional<LearnedPositionEmbedding> positions;  // --scheme learned only
  std::string source;
};

bool learned(const EmbedOptions& o) { return o.scheme == "learned"; }

// nn.Embedding(50257, dim) then, for learned positions, nn.Embedding(context, dim), drawn in
// that order from one seed (so the token table is the same whatever the scheme).
Tables random_tables(const EmbedOptions& o) {
  Generator gen(o.seed);
  TokenEmbedding tokens(kGpt2VocabSize, o.dim, gen);
  const std::string source =
      fmt::format("random, torch.manual_seed({}): nn.Embedding({}, {})", o.seed, kGpt2VocabSize, o.dim);
  if (!learned(o)) return {std::move(tokens), std::nullopt, source};
  LearnedPositionEmbedding positions(o.context, o.dim, gen);
  return {std::move(tokens), std::move(positions), source + fmt::format(", nn.Embedding({}, {})", o.context, o.dim)};
}

// The two tables from a safetensors file; --dim and --context, when given, must agree.
Tables file_tables(EmbedOptions& o) {
  const io::SafetensorsFile file(o.weights);
  // The tables are read as float32 (from any float type), then the steps are printed.
  MemoryEstimate need;
  for (const std::string* name : {&o.token_table, &o.position_table}) {
    if (name == &o.position_table && !learned(o)) continue;
    need.add(fmt::format("'{}' as float32", *name), file.info(*name).shape, sizeof(float), "values");
  }
  require_memory(fmt::format("--weights {}", o.weights), need);
  Tensor token_weight = file.load_tensor(o.token_table);
  const auto describe = [&](const std::string& name, const Tensor& t) {
    return fmt::format("{}: tensor '{}' has shape {}", o.weights, name, shape_to_string(t.shape()));
  };
  if (token_weight.rank() != 2)
    throw Error(describe(o.token_table, token_weight) + ", but a token table must be [vocab, dim]");
  if (!learned(o)) {
    if (o.dim_given && token_weight.size(1) != o.dim)
      throw Error(describe(o.token_table, token_weight) +
                  fmt::format(", so its dim is {}, not --dim {}", token_weight.size(1), o.dim));
    o.dim = token_weight.size(1);
    return {TokenEmbedding(std::move(token_weight)), std::nullopt, fmt::format("{}: '{}'", o.weights, o.token_table)};
  }
  Tensor position_weight = file.load_tensor(o.position_table);
  if (position_weight.rank() != 2)
    throw Error(describe(o.position_table, position_weight) + ", but a position table must be [max_len, dim]");
  if (o.dim_given && token_weight.size(1) != o.dim)
    throw Error(describe(o.token_table, token_weight) +
                fmt::format(", so its dim is {}, not --dim {}", token_weight.size(1), o.dim));
  if (position_weight.size(1) != token_weight.size(1))
    throw Error(describe(o.position_table, position_weight) +
                fmt::format(", but the token table '{}' has dim {}", o.token_table, token_weight.size(1)));
  if (o.context_given && o.context > position_weight.size(0))
    throw Error(describe(o.position_table, position_weight) +
                fmt::format(": --context {} is more than its {} positions, and learned positions cannot go past "
                            "their table",
                            o.context, position_weight.size(0)));
  o.dim = token_weight.size(1);
  if (!o.context_given) o.context = position_weight.size(0);
  return {TokenEmbedding(std::move(token_weight)), LearnedPositionEmbedding(std::move(position_weight)),
          fmt::format("{}: '{}' and '{}'", o.weights, o.token_table, o.position_table)};
}

// The random tables, nn.Embedding(50257, dim) and nn.Embedding(context, dim), and the three
// [n, dim] steps printed after them.
void require_memory_for_random_tables(const EmbedOptions& o, Index n) {
  MemoryEstimate need;
  need.add(fmt::format("the token table nn.Embedding({}, {})", kGpt2VocabSize, o.dim), {kGpt2VocabSize, o.dim},
           sizeof(float), "float32 values");
  if (learned(o))
    need.add(fmt::format("the position table nn.Embedding({}, {})", o.context, o.dim), {o.context, o.dim},
             sizeof(float));
  const double per_value = sizeof(float) + print_bytes_per_value(o.format, ValueKind::kFloat32);
  need.add(fmt::format("the embeddings of the {} tokens and their printing", n), {3, n, o.dim}, per_value);
  require_memory_for(
      learned(o) ? fmt::format("--dim {} --context {}", o.dim, o.context) : fmt::format("--dim {}", o.dim), need);
}

EmbedSteps run_pipeline(EmbedOptions& o) {
  check_scheme(o.scheme);
  if (o.weights.empty() && o.table_names_given)
    throw UsageError("--token-table and --position-table name tensors in a weights file: give the file with --weights");
  if (!o.weights.empty() && o.seed_given)
    throw UsageError("--seed draws random tables, but --weights reads them from a file: give one or the other");
  if (!learned(o) && o.position_table_given)
    throw UsageError(
        fmt::format("--position-table names a learned position table, but --scheme {} has none", o.scheme));
  if (o.scheme != "sinusoidal" && o.sinusoidal_options_given)
    throw UsageError(
        fmt::format("--layout, --base, --start and --scale set sinusoidal positions, not --scheme {}", o.scheme));
  if (o.dim < 1) throw UsageError(fmt::format("--dim {}: must be at least 1", o.dim));
  if (o.context < 1) throw UsageError(fmt::format("--context {}: must be at least 1", o.context));
  if (o.scheme == "sinusoidal") {
    if (o.dim_given && o.dim % 2 != 0)
      throw UsageError(
          fmt::format("--dim {}: sinusoidal positions need an even --dim (each pair of channels holds a "
                      "sin and a cos)",
                      o.dim));
    const positional::SinusoidalParams& p = o.sinusoidal;
    if (!(p.base > 1.0) || !std::isfinite(p.base))
      throw UsageError(fmt::format("--base {}: must be a finite number greater than 1", p.base));
    if (p.first_position < 0 || p.first_position > std::numeric_limits<Index>::max() - o.context)
      throw UsageError(
          fmt::format("--start {}: must be 0 or more, and small enough that the last position fits in "
                      "64 bits",
                      p.first_position));
    if (!std::isfinite(p.scale)) throw UsageError(fmt::format("--scale {}: must be finite", p.scale));
    try {
      positional::parse_sinusoidal_layout(o.layout);
    } catch (const Error&) {
      throw UsageError(
          fmt::format("--layout {}: unknown layout; use interleaved (Vaswani) or concat "
                      "(tensor2tensor / fairseq)",
                      o.layout));
    }
  }

  EmbedSteps steps;
  steps.text = text_or_stdin(o.text);
  steps.ids = gpt2_ids(steps.text);
  if (steps.ids.empty()) throw Error("the text has no tokens: give a non-empty text");
  if (o.weights.empty())
    require_memory_for_random_tables(o, std::min<Index>(o.context, static_cast<Index>(steps.ids.size())));

  Tables tables = o.weights.empty() ? random_tables(o) : file_tables(o);
  steps.context = o.context;
  steps.source = tables.source;

  // inputs = torch.tensor([ids[:context]]): a text shorter than the context gives fewer
  // (with --weights, the context is the position table's rows unless --context was given).
  const Index n = std::min<Index>(o.context, static_cast<Index>(steps.ids.size()));
  steps.inputs = IdTensor({1, n}, std::span<const std::int64_t>(steps.ids.data(), static_cast<std::size_t>(n)));
  steps.token_embeddings = tables.tokens.forward(steps.inputs.view());
  if (tables.positions) {
    steps.positions_learned = true;
    steps.positions_label = fmt::format("position embeddings (learned, positions 0 to {}):", n - 1);
    steps.position_embeddings = tables.positions->forward(0, n);
  } else {
    positional::SinusoidalParams params = o.sinusoidal;
    params.dim = o.dim;
    params.layout = positional::parse_sinusoidal_layout(o.layout);
    std::vector<Index> token_indices(static_cast<std::size_t>(n));
    std::iota(token_indices.begin(), token_indices.end(), Index{0});
    steps.position_embeddings = positional::input_position_rows(o.scheme, params, token_indices);
    steps.positions_label =
        o.scheme != "sinusoidal"
            ? std::string("position embeddings (nope: no positions, zeros; the sum is the token embeddings):")
            : fmt::format("position encodings (sinusoidal, {}, base {}, positions {} to {}{}):",
                          positional::sinusoidal_layout_name(params.layout), params.base, params.first_position,
                          params.first_position + n - 1, params.scale == 1.0f ? "" : fmt::format(", x {}", params.scale));
  }
  steps.input_embeddings =
      embedding::add_position_embeddings(steps.token_embeddings.view(), steps.position_embeddings.view());
  return steps;
}

// The line above the inputs: how many tokens were kept, and why.
std::string inputs_label(const EmbedSteps& s) {
  const Index n = s.inputs.size(1);
  const auto total = static_cast<Index>(s.ids.size());
  if (n < total) return fmt::format("input ids (the first {} of {} tokens, as a batch of 1):", n, total);
  if (n < s.context)
    return fmt::format("input ids (all {} tokens, fewer than the context of {}, as a batch of 1):", n, s.context);
  return fmt::format("input ids (all {} tokens, as a batch of 1):", n);
}

std::string as_text(const EmbedSteps& s) {
  const std::vector<std::string> lookup{"grad_fn=<EmbeddingBackward0>"};
  std::string out;
  const auto line = [&](const std::string& text) { out += text + "\n"; };
  line("text: " + s.text);
  line(fmt::format("token ids: [{}]", fmt::join(s.ids, ", ")));
  line(inputs_label(s));
  line(format_torch(s.inputs));
  line(format_torch_size(s.inputs.shape()));
  line("token embeddings:");
  line(format_torch(s.token_embeddings, lookup));
  line(format_torch_size(s.token_embeddings.shape()));
  line(s.positions_label);
  line(s.positions_learned ? format_torch(s.position_embeddings, lookup) : format_torch(s.position_embeddings));
  line(format_torch_size(s.position_embeddings.shape()));
  line("input embeddings (token + position):");
  line(format_torch(s.input_embeddings, {"grad_fn=<AddBackward0>"}));
  line(format_torch_size(s.input_embeddings.shape()));
  return out;
}

// A tensor as {"shape": [...], "values": nested arrays}.
template <class T>
nlohmann::ordered_json tensor_json(const BasicTensor<T>& t) {
  return {{"shape", t.shape()}, {"values", nested_values(t)}};
}

std::string as_json(const EmbedSteps& s, const EmbedOptions& o) {
  nlohmann::ordered_json j;
  j["text"] = s.text;
  j["token_ids"] = s.ids;
  j["context"] = s.context;
  j["scheme"] = o.scheme;
  j["tables"] = s.source;
  if (o.weights.empty()) j["seed"] = o.seed;
  j["inputs"] = tensor_json(s.inputs);
  j["token_embeddings"] = tensor_json(s.token_embeddings);
  auto positions = tensor_json(s.position_embeddings);
  std::vector<Index> indices(static_cast<std::size_t>(s.inputs.size(1)));
  for (std::size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<Index>(i);
  j["position_embeddings"] = {{"positions", indices}, {"shape", positions["shape"]}, {"values", positions["values"]}};
  j["input_embeddings"] = tensor_json(s.input_embeddings);
  return one_key_per_line(j);
}

void run_embed(EmbedOptions& o) {
  if (o.format != "text" && o.format != "json" && o.format != "npy")
    throw UsageError(fmt::format("--format {}: unknown format; use text, json or npy", o.format));
  const EmbedSteps steps = run_pipeline(o);
  if (o.format == "text") {
    write_output(as_text(steps), o.output);
  } else if (o.format == "json") {
    write_output(as_json(steps, o), o.output);
  } else {
    write_binary_output(io::encode_npy(steps.input_embeddings.view()), o.output, "--format npy");
  }
}

}  // namespace

void add_embed_command(CLI::App& app) {
  auto options = std::make_shared<EmbedOptions>();
  CLI::App* cmd = app.add_subcommand(
      "embed",
      "Text to input embeddings, step by step, printed as PyTorch prints them: gpt2 token ids, a [1, n] batch of "
      "the first --context ids, token embeddings, position embeddings (learned, sinusoidal or none), and their sum. "
      "With no arguments it runs the notebook's example.");
  cmd->add_option("text", options->text,
                  "Text to embed; '-' reads standard input (default: \"Hello my name is Ajay\")");
  cmd->add_option("--dim", options->dim, "Embedding width (default 2; with --weights, the file's)");
  cmd->add_option("--context", options->context,
                  "Tokens kept, and rows of the learned position table (default 5; with --weights, the table's rows)");
  cmd->add_option("--seed", options->seed,
                  "Seed of the random tables, as torch.manual_seed (default 123, the seed of Raschka's book)");
  cmd->add_option("--scheme", options->scheme,
                  "Positions added to the token embeddings: learned (default), sinusoidal or nope (none); rope, axial-rope, "
                  "alibi, t5 and shaw act inside attention instead (see `posemb positions`)");
  cmd->add_option("--layout", options->layout,
                  "Sinusoidal layout: interleaved (Vaswani, default) or concat (tensor2tensor / fairseq)");
  cmd->add_option("--base", options->sinusoidal.base, "Sinusoidal base of the wavelengths (default 10000)");
  cmd->add_option("--start", options->sinusoidal.first_position,
                  "Sinusoidal position of the first token (default 0; fairseq: padding_idx + 1 = 2)");
  cmd->add_option("--scale", options->sinusoidal.scale, "Multiplies the sinusoidal rows (default 1)");
  cmd->add_option("--weights", options->weights, "Read both tables from this safetensors file instead of drawing them");
  cmd->add_option("--token-table", options->token_table, "Token table's name in --weights (default wte.weight)");
  cmd->add_option("--position-table", options->position_table,
                  "Position table's name in --weights (default wpe.weight)");
  cmd->add_option("--format", options->format,
                  "text (PyTorch's printing, default), json (the same steps), or npy (the input embeddings, to -o)");
  cmd->add_option("-o,--output", options->output, "Write to this file (atomically; `-`: standard output) instead of standard output");
  cmd->callback([options, cmd] {
    options->dim_given = cmd->count("--dim") > 0;
    options->context_given = cmd->count("--context") > 0;
    options->seed_given = cmd->count("--seed") > 0;
    options->table_names_given = cmd->count("--token-table") + cmd->count("--position-table") > 0;
    options->position_table_given = cmd->count("--position-table") > 0;
    options->sinusoidal_options_given =
        cmd->count("--layout") + cmd->count("--base") + cmd->count("--start") + cmd->count("--scale") > 0;
    run_embed(*options);
  });
}

}  // namespace posemb::cli
