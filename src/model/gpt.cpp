#include "posemb/model/gpt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "posemb/core/error.hpp"
#include "posemb/kernels/attention.hpp"
#include "posemb/kernels/gelu.hpp"
#include "posemb/kernels/layer_norm.hpp"
#include "posemb/kernels/matmul.hpp"
#include "posemb/kernels/softmax_cross_entropy.hpp"
#include "position_hooks.hpp"
#include "weight_init.hpp"

namespace posemb::model {
namespace k = posemb::kernels;

namespace {

// Offsets of one block's tensors in the parameter (and gradient) buffer.
struct BlockOffsets {
  Index ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc_w, fc_b, fc2_w, fc2_b;
};

// Saved by the forward pass of one block for its backward pass. The block's input is the
// residual buffer before it.
struct BlockActivations {
  FloatBuffer ln1, qkv, attn, lse, mid, ln2, fc, gelu;  // mid: the residual after attention
  FloatBuffer ln1_mean, ln1_rstd, ln2_mean, ln2_rstd;
};

void resize(FloatBuffer& buffer, Index size) {
  if (static_cast<Index>(buffer.size()) != size) buffer.assign(static_cast<std::size_t>(size), 0.0f);
}
void zero(FloatBuffer& buffer) { std::fill(buffer.begin(), buffer.end(), 0.0f); }

// out = a + b over n floats, on the kernel threads in fixed pieces.
void add(const float* a, const float* b, float* out, Index n) {
  constexpr Index kPiece = 16384;
  const Index pieces = (n + kPiece - 1) / kPiece;
#pragma omp parallel for schedule(static) if (pieces > 1)
  for (Index p = 0; p < pieces; ++p) {
    const Index end = std::min(n, (p + 1) * kPiece);
    for (Index i = p * kPiece; i < end; ++i) out[i] = a[i] + b[i];
  }
}

// Rows of the output head computed at once: about 128 MiB of logits, at least 64 rows. Fewer,
// larger chunks mean OpenBLAS packs the [V, C] embedding fewer times.
Index head_chunk_rows(Index rows, Index vocab) {
  const Index chunk = std::max<Index>(64, ((Index{1} << 25) / vocab) / 64 * 64);
  return std::min(rows, chunk);
}

constexpr Index kHeadVocabPiece = 4096;  // vocabulary entries per task

}  // namespace

struct Gpt::Workspace {
  std::vector<BlockOffsets> blocks;
  Index wte = 0, lnf_w = 0, lnf_b = 0;
  PositionHooks positions;

  Index batch = 0, seq = 0, rows = 0;
  bool keep_all = true;               // false: eval only, one set of block activations reused by every block
  std::vector<FloatBuffer> residual;  // [N, C] before block 0, after each block
  std::vector<BlockActivations> acts;
  FloatBuffer lnf, lnf_mean, lnf_rstd;
  FloatBuffer logits;  // [chunk, V]
  FloatBuffer losses;  // [N]
  std::vector<std::int32_t> targets;
  // Backward buffers.
  FloatBuffer dresidual, dln, dattn, dqkv, dhidden;

  void prepare(const GptConfig& c, Index b, Index t, bool keep) {
    if (b != batch || t != seq || keep != keep_all)
      require_allocation(fmt::format("model: a batch of {} x {} tokens", b, t), workspace_memory(c, b, t, keep));
    const Index n = b * t, ch = c.channels;
    batch = b;
    seq = t;
    rows = n;
    keep_all = keep;
    const std::size_t sets = keep ? static_cast<std::size_t>(c.layers) : 1;
    residual.resize(keep ? static_cast<std::size_t>(c.layers) + 1 : 2);
    for (auto& r : residual) resize(r, n * ch);
    acts.resize(sets);
    for (auto& a : acts) {
      resize(a.ln1, n * ch);
      resize(a.qkv, n * 3 * ch);
      resize(a.attn, n * ch);
      resize(a.lse, n * c.heads);
      resize(a.mid, n * ch);
      resize(a.ln2, n * ch);
      resize(a.fc, n * 4 * ch);
      resize(a.gelu, n * 4 * ch);
      for (FloatBuffer* s : {&a.ln1_mean, &a.ln1_rstd, &a.ln2_mean, &a.ln2_rstd}) resize(*s, n);
    }
    resize(lnf, n * ch);
    resize(lnf_mean, n);
    resize(lnf_rstd, n);
    resize(logits, head_chunk_rows(n, c.vocab_size) * c.vocab_size);
    resize(losses, n);
  }

  FloatBuffer& input_of(Index layer) {
    return residual[keep_all ? static_cast<std::size_t>(layer) : static_cast<std::size_t>(layer % 2)];
  }
  FloatBuffer& output_of(Index layer) {
    return residual[keep_all ? static_cast<std::size_t>(layer) + 1 : static_cast<std::size_t>((layer + 1) % 2)];
  }
  BlockActivations& acts_of(Index layer) { return acts[keep_all ? static_cast<std::size_t>(layer) : 0]; }
};

MemoryEstimate workspace_memory(const GptConfig& c, Index batch, Index seq, bool training) {
  // As Workspace::prepare, Gpt::backward and PositionHooks::prepare size their buffers, in floats.
  const auto b = static_cast<double>(batch), t = static_cast<double>(seq), n = b * t;
  const auto ch = static_cast<double>(c.channels), h = static_cast<double>(c.heads),
             d = static_cast<double>(c.head_dim()), v = static_cast<double>(c.vocab_size),
             layers = static_cast<double>(c.layers);
  const double per_block = 15 * n * ch + n * h + 4 * n;  // ln1 qkv attn mid ln2 fc gelu, lse, LayerNorm stats
  double floats = (training ? layers + 1 : 2) * n * ch + (training ? layers : 1) * per_block;
  const double chunk = v > 0 ? std::min(n, std::max(64.0, std::floor(std::ldexp(1.0, 25) / v / 64) * 64)) : 0;
  floats += n * ch + 3 * n + chunk * v;  // ln_f and its stats, losses, the logits chunk
  if (training) {
    floats += 10 * n * ch;  // dresidual, dln, dattn, dqkv, dhidden
    if (c.scheme == PositionScheme::kAlibi || c.scheme == PositionScheme::kT5) floats += b * h * t;
    if (c.scheme == PositionScheme::kShaw)
      floats += b * h * 2 * (2 * static_cast<double>(c.shaw_max_relative_position) + 1) * d;
  }
  const double positions = std::max(t, static_cast<double>(c.context_length));
  switch (c.scheme) {
    case PositionScheme::kSinusoidal:
      floats += 2 * positions * ch + 2 * positions;
      break;
    case PositionScheme::kRope:
      floats += positions * d + 2 * positions;
      break;
    case PositionScheme::kAlibi:
      floats += 3 * h * positions;
      break;
    case PositionScheme::kT5:
      floats += h * positions + 2 * positions;
      break;
    default:
      break;
  }
  return MemoryEstimate().add(fmt::format("the activations of a batch of {} x {} tokens", batch, seq),
                              floats * sizeof(float));
}

Gpt::Gpt(const GptConfig& config) : config_(config), work_(std::make_unique<Workspace>()) {
  validate(config_);
  const Index c = config_.channels, v = config_.vocab_size;
  auto offset_of = [&](std::size_t index) { return layout_.entries()[index].offset; };
  work_->wte = offset_of(layout_.add("wte.weight", {v, c}));
  work_->positions.add_input_parameters(config_, layout_);
  for (Index l = 0; l < config_.layers; ++l) {
    const std::string p = fmt::format("blocks.{}.", l);
    BlockOffsets b{};
    b.ln1_w = offset_of(layout_.add(p + "ln1.weight", {c}));
    b.ln1_b = offset_of(layout_.add(p + "ln1.bias", {c}));
    b.qkv_w = offset_of(layout_.add(p + "attn.qkv.weight", {3 * c, c}));
    b.qkv_b = offset_of(layout_.add(p + "attn.qkv.bias", {3 * c}));
    b.proj_w = offset_of(layout_.add(p + "attn.proj.weight", {c, c}));
    b.proj_b = offset_of(layout_.add(p + "attn.proj.bias", {c}));
    work_->positions.add_block_parameters(config_, layout_, l);
    b.ln2_w = offset_of(layout_.add(p + "ln2.weight", {c}));
    b.ln2_b = offset_of(layout_.add(p + "ln2.bias", {c}));
    b.fc_w = offset_of(layout_.add(p + "mlp.fc.weight", {4 * c, c}));
    b.fc_b = offset_of(layout_.add(p + "mlp.fc.bias", {4 * c}));
    b.fc2_w = offset_of(layout_.add(p + "mlp.proj.weight", {c, 4 * c}));
    b.fc2_b = offset_of(layout_.add(p + "mlp.proj.bias", {c}));
    work_->blocks.push_back(b);
  }
  work_->positions.add_shared_parameters(config_, layout_);
  work_->lnf_w = offset_of(layout_.add("ln_f.weight", {c}));
  work_->lnf_b = offset_of(layout_.add("ln_f.bias", {c}));
  params_.assign(static_cast<std::size_t>(layout_.total_size()), 0.0f);
  grads_.assign(params_.size(), 0.0f);
}

Gpt::~Gpt() = default;
Gpt::Gpt(Gpt&&) noexcept = default;
Gpt& Gpt::operator=(Gpt&&) noexcept = default;

void Gpt::initialize(std::uint64_t seed) {
  NormalInit init(seed);
  const float residual_std = 0.02f / std::sqrt(2.0f * float(config_.layers));
  for (const auto& e : layout_.entries()) {
    float* p = params_.data() + e.offset;
    const bool is_norm_weight =
        e.name.ends_with("ln1.weight") || e.name.ends_with("ln2.weight") || e.name == "ln_f.weight";
    if (is_norm_weight) {
      std::fill(p, p + e.size, 1.0f);
    } else if (e.shape.size() == 1) {
      std::fill(p, p + e.size, 0.0f);
    } else {
      const bool residual_out = e.name.ends_with("attn.proj.weight") || e.name.ends_with("mlp.proj.weight");
      init.fill(p, e.size, residual_out ? residual_std : 0.02f);
    }
  }
}

void Gpt::zero_gradients() { zero(grads_); }

float Gpt::loss(const TokenBatch& batch) {
  if (batch.targets.empty()) throw Error("loss: the batch has no targets");
  return run(batch, false, 1.0f, nullptr);
}

float Gpt::loss_and_gradients(const TokenBatch& batch, float loss_scale) {
  if (batch.targets.empty()) throw Error("loss_and_gradients: the batch has no targets");
  return run(batch, true, loss_scale, nullptr);
}

Tensor Gpt::logits(const TokenBatch& batch) {
  Tensor out({batch.batch, batch.seq, config_.vocab_size});
  run(batch, false, 1.0f, out.data());
  return out;
}

Tensor Gpt::attention_probabilities(const TokenBatch& batch, Index layer) {
  const GptConfig& cfg = config_;
  if (layer < 0 || layer >= cfg.layers)
    throw Error(fmt::format("layer {} does not exist: the model has layers 0 to {}", layer, cfg.layers - 1));
  check_batch(batch, 0);
  forward_blocks(batch, 0, nullptr, /*keep_all=*/true);  // every block's rotated q, k kept
  const Index b = batch.batch, t = batch.seq, c = cfg.channels, h = cfg.heads, d = cfg.head_dim();
  Workspace& w = *work_;
  const BlockActivations& a = w.acts_of(layer);
  const k::AttentionInputs inputs = w.positions.attention_inputs(cfg, params_, layer, a.qkv.data());
  const k::AttentionShape shape{b, h, d, t, t, 0, 3 * c, 3 * c, 3 * c, c, 1.0f / std::sqrt(float(d))};
  Tensor probs({b, h, t, t});
  k::attention_probabilities(shape, inputs, probs.data());
  return probs;
}

void Gpt::check_batch(const TokenBatch& in, Index first) const {
  const GptConfig& cfg = config_;
  const Index b = in.batch, t = in.seq, n = b * t, v = cfg.vocab_size;
  if (b < 1 || t < 1) throw Error(fmt::format("batch ({}) and sequence length ({}) must be ≥ 1", b, t));
  if (first + t > max_sequence_length(cfg))
    throw Error(
        fmt::format("positions up to {} are past the {} positions of this model's learned position table: "
                    "learned positions cannot go past their table",
                    first + t - 1, cfg.context_length));
  if (static_cast<Index>(in.tokens.size()) != n)
    throw Error(fmt::format("the batch has {} tokens, expected batch × seq = {} × {} = {}", in.tokens.size(), b, t, n));
  if (!in.targets.empty() && static_cast<Index>(in.targets.size()) != n)
    throw Error(fmt::format("the batch has {} targets, expected {}", in.targets.size(), n));
  auto check_ids = [&](std::span<const std::int32_t> ids, const char* what) {
    for (Index i = 0; i < n; ++i)
      if (ids[static_cast<std::size_t>(i)] < 0 || ids[static_cast<std::size_t>(i)] >= v)
        throw Error(fmt::format("{} {} at batch row {}, position {} is outside the vocabulary [0, {})", what,
                                ids[static_cast<std::size_t>(i)], i / t, first + i % t, v));
  };
  check_ids(in.tokens, "token");
  if (!in.targets.empty()) check_ids(in.targets, "target");
}

const float* Gpt::forward_blocks(const TokenBatch& in, Index first, KvCache* cache, bool keep_all) {
  const GptConfig& cfg = config_;
  const Index b = in.batch, t = in.seq, n = b * t, c = cfg.channels, h = cfg.heads, d = cfg.head_dim();
  Workspace& w = *work_;
  w.prepare(cfg, b, t, keep_all);
  const float* P = params_.data();
  PositionHooks& pos = w.positions;
  pos.prepare(cfg, params_, first + t);

  // ---- embeddings ----
  float* x0 = w.input_of(0).data();
  const float* wte = P + w.wte;
  for (Index i = 0; i < n; ++i)
    std::memcpy(x0 + i * c, wte + Index(in.tokens[static_cast<std::size_t>(i)]) * c, sizeof(float) * std::size_t(c));
  pos.add_to_input(cfg, params_, x0, b, t, first);

  // ---- blocks ----
  const float scale = 1.0f / std::sqrt(float(d));
  for (Index l = 0; l < cfg.layers; ++l) {
    const BlockOffsets& o = w.blocks[static_cast<std::size_t>(l)];
    BlockActivations& a = w.acts_of(l);
    const float* x = w.input_of(l).data();
    float* out = w.output_of(l).data();
    k::layer_norm_forward(x, P + o.ln1_w, P + o.ln1_b, a.ln1.data(), a.ln1_mean.data(), a.ln1_rstd.data(), n, c);
    k::linear_forward(a.ln1.data(), P + o.qkv_w, P + o.qkv_b, a.qkv.data(), n, c, 3 * c);
    pos.rotate_queries_keys(cfg, a.qkv.data(), b, t, first);
    k::AttentionInputs attn_in = pos.attention_inputs(cfg, params_, l, a.qkv.data());
    if (cache == nullptr) {
      const k::AttentionShape shape{b, h, d, t, t, 0, 3 * c, 3 * c, 3 * c, c, scale};
      k::attention_forward(shape, attn_in, a.attn.data(), a.lse.data());
    } else {
      // Append this piece's keys and values, then attend over the whole cache, one sequence
      // at a time (the cache's rows are `capacity` apart between sequences).
      const Index end = first + t, cap = cache->capacity_;
      FloatBuffer& keys = cache->keys_[static_cast<std::size_t>(l)];
      FloatBuffer& values = cache->values_[static_cast<std::size_t>(l)];
      for (Index s = 0; s < b; ++s)
        for (Index i = 0; i < t; ++i) {
          const float* row = a.qkv.data() + (s * t + i) * 3 * c;
          std::memcpy(keys.data() + (s * cap + first + i) * c, row + c, sizeof(float) * std::size_t(c));
          std::memcpy(values.data() + (s * cap + first + i) * c, row + 2 * c, sizeof(float) * std::size_t(c));
        }
      const k::AttentionShape shape{1, h, d, t, end, first, 3 * c, c, c, c, scale};
      for (Index s = 0; s < b; ++s) {
        attn_in.q = a.qkv.data() + s * t * 3 * c;
        attn_in.k = keys.data() + s * cap * c;
        attn_in.v = values.data() + s * cap * c;
        k::validate_attention(shape, attn_in);
        k::attention_forward(shape, attn_in, a.attn.data() + s * t * c, a.lse.data() + s * h * t);
      }
    }
    k::linear_forward(a.attn.data(), P + o.proj_w, P + o.proj_b, out, n, c, c);  // out as scratch
    add(x, out, a.mid.data(), n * c);
    k::layer_norm_forward(a.mid.data(), P + o.ln2_w, P + o.ln2_b, a.ln2.data(), a.ln2_mean.data(), a.ln2_rstd.data(), n,
                          c);
    k::linear_forward(a.ln2.data(), P + o.fc_w, P + o.fc_b, a.fc.data(), n, c, 4 * c);
    k::gelu_forward(a.fc.data(), a.gelu.data(), n * 4 * c);
    k::linear_forward(a.gelu.data(), P + o.fc2_w, P + o.fc2_b, out, n, 4 * c, c);
    add(a.mid.data(), out, out, n * c);
  }
  if (cache != nullptr) cache->length_ = first + t;
  return w.output_of(cfg.layers - 1).data();
}

float Gpt::head(const TokenBatch& in, const float* x_final, bool want_gradients, float loss_scale, float* logits_out) {
  const Index n = in.batch * in.seq, c = config_.channels, v = config_.vocab_size;
  Workspace& w = *work_;
  const float* P = params_.data();
  float* G = grads_.data();
  const bool with_targets = !in.targets.empty();
  k::layer_norm_forward(x_final, P + w.lnf_w, P + w.lnf_b, w.lnf.data(), w.lnf_mean.data(), w.lnf_rstd.data(), n, c);
  if (want_gradients) resize(w.dln, n * c);  // every row is written below
  const float* wte = P + w.wte;
  const Index chunk = head_chunk_rows(n, v);
  for (Index r0 = 0; r0 < n; r0 += chunk) {
    const Index rows = std::min(chunk, n - r0);
    float* logits = logits_out != nullptr ? logits_out + r0 * v : w.logits.data();
    const float* xr = w.lnf.data() + r0 * c;
    // Split by vocabulary only: OpenBLAS packs its slice of the embedding once per chunk.
    const Index vocab_pieces = (v + kHeadVocabPiece - 1) / kHeadVocabPiece;
#pragma omp parallel for schedule(static) if (vocab_pieces > 1)
    for (Index pv = 0; pv < vocab_pieces; ++pv) {
      const Index v0 = pv * kHeadVocabPiece, v1 = std::min(v, v0 + kHeadVocabPiece);
      k::gemm(k::Transpose::kNo, k::Transpose::kYes, {rows, v1 - v0, c}, 1.0f, xr, c, wte + v0 * c, c, 0.0f,
              logits + v0, v);
    }
    if (!with_targets) continue;
    const std::int32_t* targets = in.targets.data() + r0;
    float* losses = w.losses.data() + r0;
    if (!want_gradients) {
      k::softmax_cross_entropy(logits, targets, losses, rows, v);
      continue;
    }
    k::softmax_cross_entropy_backward_in_place(logits, targets, losses, rows, v, loss_scale / float(n));
    // Task 0: dln_f[rows] = dlogits · wte (one call, so the embedding is packed once);
    // the others: dwte[piece] += dlogits[:, piece]ᵀ · ln_f[rows], split by vocabulary. The two
    // halves have the same FLOPs, so two threads stay balanced.
#pragma omp parallel for schedule(dynamic, 1)
    for (Index piece = 0; piece < 1 + vocab_pieces; ++piece) {
      if (piece == 0) {
        k::gemm(k::Transpose::kNo, k::Transpose::kNo, {rows, c, v}, 1.0f, logits, v, wte, c, 0.0f,
                w.dln.data() + r0 * c, c);
      } else {
        const Index v0 = (piece - 1) * kHeadVocabPiece, v1 = std::min(v, v0 + kHeadVocabPiece);
        k::gemm(k::Transpose::kYes, k::Transpose::kNo, {v1 - v0, c, rows}, 1.0f, logits + v0, v, xr, c, 1.0f,
                G + w.wte + v0 * c, c);
      }
    }
  }
  if (!with_targets) return 0.0f;
  double loss_sum = 0;
  for (Index i = 0; i < n; ++i) loss_sum += w.losses[static_cast<std::size_t>(i)];
  return float(loss_sum / double(n));
}

Tensor Gpt::logits_cached(const TokenBatch& batch, KvCache& cache) {
  if (cache.batch_ != batch.batch || cache.channels_ != config_.channels || Index(cache.keys_.size()) != config_.layers)
    throw Error(
        fmt::format("the KV cache holds {} sequences of a model with {} layers and {} channels; this batch has "
                    "{} sequences for a model with {} layers and {} channels",
                    cache.batch_, cache.keys_.size(), cache.channels_, batch.batch, config_.layers, config_.channels));
  if (cache.length_ + batch.seq > cache.capacity_)
    throw Error(fmt::format("the KV cache holds {} of {} positions; {} more do not fit", cache.length_, cache.capacity_,
                            batch.seq));
  check_batch(batch, cache.length_);
  Tensor out({batch.batch, batch.seq, config_.vocab_size});
  const float* x = forward_blocks(batch, cache.length_, &cache, false);
  head({batch.tokens, {}, batch.batch, batch.seq}, x, false, 1.0f, out.data());
  return out;
}

KvCache::KvCache(const GptConfig& config, Index batch, Index capacity)
    : batch_(batch), capacity_(capacity), channels_(config.channels) {
  if (batch < 1 || capacity < 1)
    throw Error(fmt::format("a KV cache needs batch ({}) and capacity ({}) ≥ 1", batch, capacity));
  require_allocation(fmt::format("a KV cache of {} sequences x {} positions", batch, capacity),
                     MemoryEstimate().add("its keys and values", {2, config.layers, batch, capacity, config.channels},
                                          sizeof(float), "float32 values"));
  keys_.resize(static_cast<std::size_t>(config.layers));
  values_.resize(keys_.size());
  for (auto& k : keys_) k.assign(static_cast<std::size_t>(batch * capacity * config.channels), 0.0f);
  for (auto& v : values_) v.assign(static_cast<std::size_t>(batch * capacity * config.channels), 0.0f);
}

float Gpt::run(const TokenBatch& in, bool want_gradients, float loss_scale, float* logits_out) {
  check_batch(in, 0);
  const GptConfig& cfg = config_;
  const Index b = in.batch, t = in.seq, n = b * t, c = cfg.channels, h = cfg.heads, d = cfg.head_dim();
  const float* x_final = forward_blocks(in, 0, nullptr, want_gradients);
  const float mean_loss = head(in, x_final, want_gradients, loss_scale, logits_out);
  if (!want_gradients) return mean_loss;

  // ---- backward through the blocks ----
  Workspace& w = *work_;
  const float* P = params_.data();
  float* G = grads_.data();
  PositionHooks& pos = w.positions;
  const k::AttentionShape shape{b, h, d, t, t, 0, 3 * c, 3 * c, 3 * c, c, 1.0f / std::sqrt(float(d))};
  resize(w.dresidual, n * c);
  zero(w.dresidual);
  k::layer_norm_backward(w.dln.data(), x_final, P + w.lnf_w, w.lnf_mean.data(), w.lnf_rstd.data(), w.dresidual.data(),
                         G + w.lnf_w, G + w.lnf_b, n, c);
  resize(w.dattn, n * c);
  resize(w.dqkv, n * 3 * c);
  resize(w.dhidden, n * 4 * c);
  for (Index l = cfg.layers - 1; l >= 0; --l) {
    const BlockOffsets& o = w.blocks[static_cast<std::size_t>(l)];
    BlockActivations& a = w.acts_of(l);
    const float* x = w.input_of(l).data();
    // MLP branch: dresidual is the gradient of the block's output (and of its MLP output).
    k::linear_backward(w.dresidual.data(), a.gelu.data(), P + o.fc2_w, w.dhidden.data(), G + o.fc2_w, G + o.fc2_b, n,
                       4 * c, c, /*accumulate_dx=*/false);
    k::gelu_backward(w.dhidden.data(), a.fc.data(), w.dhidden.data(), n * 4 * c);
    k::linear_backward(w.dhidden.data(), a.ln2.data(), P + o.fc_w, w.dln.data(), G + o.fc_w, G + o.fc_b, n, c, 4 * c,
                       /*accumulate_dx=*/false);
    // dresidual becomes the gradient of `mid` (the skip path plus the path through ln2).
    k::layer_norm_backward(w.dln.data(), a.mid.data(), P + o.ln2_w, a.ln2_mean.data(), a.ln2_rstd.data(),
                           w.dresidual.data(), G + o.ln2_w, G + o.ln2_b, n, c);
    // Attention branch.
    k::linear_backward(w.dresidual.data(), a.attn.data(), P + o.proj_w, w.dattn.data(), G + o.proj_w, G + o.proj_b, n,
                       c, c, /*accumulate_dx=*/false);
    zero(w.dqkv);
    const k::AttentionInputs attn_in = pos.attention_inputs(cfg, params_, l, a.qkv.data());
    k::AttentionGradients attn_grads{w.dqkv.data(), w.dqkv.data() + c, w.dqkv.data() + 2 * c,
                                     nullptr,       nullptr,           nullptr};
    pos.attention_gradients(cfg, grads_, l, attn_grads);
    k::attention_backward(shape, attn_in, a.attn.data(), a.lse.data(), w.dattn.data(), attn_grads);
    pos.scores_backward(cfg, grads_, l);
    pos.unrotate_gradients(cfg, w.dqkv.data(), b, t);
    k::linear_backward(w.dqkv.data(), a.ln1.data(), P + o.qkv_w, w.dln.data(), G + o.qkv_w, G + o.qkv_b, n, c, 3 * c,
                       /*accumulate_dx=*/false);
    // dresidual becomes the gradient of the block's input.
    k::layer_norm_backward(w.dln.data(), x, P + o.ln1_w, a.ln1_mean.data(), a.ln1_rstd.data(), w.dresidual.data(),
                           G + o.ln1_w, G + o.ln1_b, n, c);
  }

  // ---- embeddings: scatter-add in token order (deterministic) ----
  float* dwte = G + w.wte;
  for (Index i = 0; i < n; ++i) {
    const float* g = w.dresidual.data() + i * c;
    float* row = dwte + Index(in.tokens[static_cast<std::size_t>(i)]) * c;
    for (Index j = 0; j < c; ++j) row[j] += g[j];
  }
  pos.input_backward(cfg, grads_, w.dresidual.data(), b, t);
  return mean_loss;
}

}  // namespace posemb::model
