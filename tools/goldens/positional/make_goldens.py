#!/usr/bin/env python3
"""Golden files for posemb's positional schemes, from the reference formulas run in PyTorch.

Run with Debian's Python (python3-torch, python3-numpy):
    /usr/bin/python3 tools/goldens/positional/make_goldens.py tests/goldens/positional

Each reference function below is a transcription, in torch, of the named function of the
named file and release (read, not imported: none of those projects is installed here). They
keep the references' dtypes and operation order, because float32 rounding is what the goldens
pin down. Outputs are JSON: float32 values written as the shortest decimal that reads back to
the same float32 (Python's repr of the float32 value widened to double).
"""
import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

torch.manual_seed(1234)


def f32_list(t):
    return [float(v) for v in torch.as_tensor(t, dtype=torch.float32).flatten().tolist()]


# ---------------------------------------------------------------------------------------------
# Sinusoidal
# ---------------------------------------------------------------------------------------------

# PyTorch "Language Modeling with nn.Transformer" tutorial `PositionalEncoding` (also the
# Annotated Transformer): Vaswani et al.'s interleaved layout.
#   div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
#   pe[:, 0::2] = torch.sin(position * div_term); pe[:, 1::2] = torch.cos(position * div_term)
def sinusoidal_interleaved(positions, d_model, base=10000.0):
    position = torch.tensor(positions, dtype=torch.float32).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(base) / d_model))
    pe = torch.zeros(len(positions), d_model)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


# fairseq `fairseq/modules/sinusoidal_positional_embedding.py`, SinusoidalPositionalEmbedding.
# get_embedding (fairseq v0.12.2): concatenated [sin | cos], exponent i / (half_dim - 1); the
# table is indexed by position, and positions start at padding_idx + 1 (make_positions).
# tensor2tensor `layers/common_attention.py` get_timing_signal_1d (v1.15.7) is the same layout
# with log_timescale_increment = log(max_timescale / min_timescale) / max(num_timescales - 1, 1)
# and start_index as the first position.
def sinusoidal_concat(positions, embedding_dim, base=10000.0):
    half_dim = embedding_dim // 2
    emb = math.log(base) / max(half_dim - 1, 1)
    emb = torch.exp(torch.arange(half_dim, dtype=torch.float) * -emb)
    emb = torch.tensor(positions, dtype=torch.float).unsqueeze(1) * emb.unsqueeze(0)
    return torch.cat([torch.sin(emb), torch.cos(emb)], dim=1).view(len(positions), -1)


def double_interleaved(positions, d, base):
    out = np.zeros((len(positions), d))
    for r, p in enumerate(positions):
        for i in range(d // 2):
            w = math.exp(2 * i * -(math.log(base) / d))
            out[r, 2 * i] = math.sin(p * w)
            out[r, 2 * i + 1] = math.cos(p * w)
    return out


def make_sinusoidal():
    cases = []
    small = list(range(0, 12))
    large = [0, 1, 1000, 65535, 100000, 123457, 1000000]
    for layout, fn in (("interleaved", sinusoidal_interleaved), ("concat", sinusoidal_concat)):
        for dim, base, first, positions, note in (
            (16, 10000.0, 0, small, "first position 0 (tutorial, tensor2tensor)"),
            (16, 10000.0, 2, [p + 2 for p in small], "first position 2 (fairseq, padding_idx 1)"),
            (10, 500.0, 1, [p + 1 for p in small], "odd half width, other base"),
            (64, 10000.0, 0, large, "large positions: float32 angles"),
        ):
            table = fn(positions, dim, base)
            cases.append({
                "layout": layout, "dim": dim, "base": base, "first_position": first,
                "token_indices": [p - first for p in positions], "note": note,
                "values": f32_list(table),
            })
    # float32 vs double angles at large positions (interleaved, d = 64).
    f32 = sinusoidal_interleaved(large, 64).double().numpy()
    f64 = double_interleaved(large, 64, 10000.0)
    return {
        "source": "PyTorch tutorial PositionalEncoding (interleaved); fairseq v0.12.2 "
                  "SinusoidalPositionalEmbedding.get_embedding (concat)",
        "cases": cases,
        "float32_vs_double": {
            "positions": large, "dim": 64,
            "double_values": [float(v) for v in f64.flatten()],
            "max_abs_difference_per_position": [float(v) for v in np.abs(f32 - f64).max(axis=1)],
        },
    }


# ---------------------------------------------------------------------------------------------
# RoPE frequencies: transformers v4.57 src/transformers/modeling_rope_utils.py
# ---------------------------------------------------------------------------------------------

def _dim(config):
    # `_compute_default_rope_parameters` (v4.57): head_dim or hidden_size // num_attention_heads,
    # times partial_rotary_factor, truncated by int().
    partial_rotary_factor = getattr(config, "partial_rotary_factor", 1.0)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return int(head_dim * partial_rotary_factor)


# v4.57 `_compute_default_rope_parameters`
def hf_default(config, seq_len=None):
    base = config.rope_theta
    dim = _dim(config)
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
    return inv_freq, 1.0


# v4.57 `_compute_linear_scaling_rope_parameters`
def hf_linear(config, seq_len=None):
    factor = config.rope_scaling["factor"]
    inv_freq, attention_factor = hf_default(config)
    inv_freq /= factor
    return inv_freq, attention_factor


# v4.57 `_compute_dynamic_ntk_parameters`
def hf_dynamic(config, seq_len=None):
    base = config.rope_theta
    dim = _dim(config)
    max_position_embeddings = config.max_position_embeddings
    factor = config.rope_scaling["factor"]
    attention_factor = 1.0
    if seq_len is None:
        seq_len = max_position_embeddings
    else:
        seq_len = max(seq_len, max_position_embeddings)
    base = base * ((factor * seq_len / max_position_embeddings) - (factor - 1)) ** (dim / (dim - 2))
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
    return inv_freq, attention_factor


# v4.57 `_compute_yarn_parameters` (explicit factor; `truncate`; mscale / mscale_all_dim)
def hf_yarn(config, seq_len=None):
    base = config.rope_theta
    dim = _dim(config)
    factor = config.rope_scaling["factor"]
    attention_factor = config.rope_scaling.get("attention_factor")
    mscale = config.rope_scaling.get("mscale")
    mscale_all_dim = config.rope_scaling.get("mscale_all_dim")
    original_max_position_embeddings = (
        config.rope_scaling.get("original_max_position_embeddings") or config.max_position_embeddings
    )

    def get_mscale(scale, mscale=1):
        if scale <= 1:
            return 1.0
        return 0.1 * mscale * math.log(scale) + 1.0

    if attention_factor is None:
        if mscale and mscale_all_dim:
            attention_factor = float(get_mscale(factor, mscale) / get_mscale(factor, mscale_all_dim))
        else:
            attention_factor = get_mscale(factor)

    beta_fast = config.rope_scaling.get("beta_fast") or 32
    beta_slow = config.rope_scaling.get("beta_slow") or 1

    def find_correction_dim(num_rotations, dim, base, max_position_embeddings):
        return (dim * math.log(max_position_embeddings / (num_rotations * 2 * math.pi))) / (2 * math.log(base))

    def find_correction_range(low_rot, high_rot, dim, base, max_position_embeddings, truncate):
        low = find_correction_dim(low_rot, dim, base, max_position_embeddings)
        high = find_correction_dim(high_rot, dim, base, max_position_embeddings)
        if truncate:
            low = math.floor(low)
            high = math.ceil(high)
        return max(low, 0), min(high, dim - 1)

    def linear_ramp_factor(min, max, dim):
        if min == max:
            max += 0.001
        linear_func = (torch.arange(dim, dtype=torch.float32) - min) / (max - min)
        return torch.clamp(linear_func, 0, 1)

    pos_freqs = base ** (torch.arange(0, dim, 2).to(dtype=torch.float) / dim)
    inv_freq_extrapolation = 1.0 / pos_freqs
    inv_freq_interpolation = 1.0 / (factor * pos_freqs)
    truncate = config.rope_scaling.get("truncate", True)
    low, high = find_correction_range(beta_fast, beta_slow, dim, base, original_max_position_embeddings, truncate)
    inv_freq_extrapolation_factor = 1 - linear_ramp_factor(low, high, dim // 2).to(dtype=torch.float)
    inv_freq = (
        inv_freq_interpolation * (1 - inv_freq_extrapolation_factor)
        + inv_freq_extrapolation * inv_freq_extrapolation_factor
    )
    return inv_freq, attention_factor


# v4.57 `_compute_longrope_parameters` (a top-level original_max_position_embeddings overrides
# the factor with max_position_embeddings / original)
def hf_longrope(config, seq_len=None):
    base = config.rope_theta
    dim = _dim(config)
    long_factor = config.rope_scaling["long_factor"]
    short_factor = config.rope_scaling["short_factor"]
    factor = config.rope_scaling.get("factor")
    attention_factor = config.rope_scaling.get("attention_factor")
    if hasattr(config, "original_max_position_embeddings"):
        original_max_position_embeddings = config.original_max_position_embeddings
        factor = config.max_position_embeddings / config.original_max_position_embeddings
    else:
        original_max_position_embeddings = config.max_position_embeddings
    if attention_factor is None:
        if factor <= 1.0:
            attention_factor = 1.0
        else:
            attention_factor = math.sqrt(1 + math.log(factor) / math.log(original_max_position_embeddings))
    if seq_len and seq_len > original_max_position_embeddings:
        ext_factors = torch.tensor(long_factor, dtype=torch.float32)
    else:
        ext_factors = torch.tensor(short_factor, dtype=torch.float32)
    inv_freq_shape = torch.arange(0, dim, 2, dtype=torch.int64).float() / dim
    inv_freq = 1.0 / (ext_factors * base**inv_freq_shape)
    return inv_freq, attention_factor


# v4.57 `_compute_llama3_parameters`
def hf_llama3(config, seq_len=None):
    inv_freq, attention_factor = hf_default(config)
    factor = config.rope_scaling["factor"]
    low_freq_factor = config.rope_scaling["low_freq_factor"]
    high_freq_factor = config.rope_scaling["high_freq_factor"]
    old_context_len = config.rope_scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    inv_freq_llama = torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)
    return inv_freq_llama, attention_factor


ROPE_INIT_FUNCTIONS = {"default": hf_default, "linear": hf_linear, "dynamic": hf_dynamic, "yarn": hf_yarn,
                       "longrope": hf_longrope, "llama3": hf_llama3}


# models/llama/modeling_llama.py (v4.57) LlamaRotaryEmbedding.forward: float32 angles
# (inv_freq @ position_ids), cos/sin in float32, then times attention_scaling.
def hf_cos_sin(inv_freq, attention_scaling, positions):
    inv_freq_expanded = inv_freq[None, :, None].float()
    position_ids_expanded = torch.tensor(positions, dtype=torch.int64)[None, None, :].float()
    freqs = (inv_freq_expanded.float() @ position_ids_expanded.float()).transpose(1, 2)[0]
    return freqs.cos() * attention_scaling, freqs.sin() * attention_scaling


def config_namespace(config_json):
    # What PretrainedConfig does with the keys RoPE reads (v4.57): rope_scaling's BC "type" key
    # is copied over "rope_type" (models/llama/configuration_llama.py: `if ... "type" in
    # self.rope_scaling: self.rope_scaling["rope_type"] = self.rope_scaling["type"]`); GPT-NeoX's rotary_pct / rotary_emb_base are its partial_rotary_factor
    # and rope_theta; GPT-J's rotary_dim is used directly by its model.
    c = dict(config_json)
    ns = SimpleNamespace()
    ns.rope_theta = c.get("rope_theta", c.get("rotary_emb_base", 10000.0))
    ns.hidden_size = c.get("hidden_size", c.get("n_embd"))
    ns.num_attention_heads = c.get("num_attention_heads", c.get("n_head"))
    if "head_dim" in c:
        ns.head_dim = c["head_dim"]
    if "partial_rotary_factor" in c:
        ns.partial_rotary_factor = c["partial_rotary_factor"]
    elif "rotary_pct" in c:
        ns.partial_rotary_factor = c["rotary_pct"]
    elif "rotary_dim" in c:
        head_dim = ns.hidden_size // ns.num_attention_heads
        ns.partial_rotary_factor = c["rotary_dim"] / head_dim
    ns.max_position_embeddings = c.get("max_position_embeddings", c.get("n_positions"))
    if "original_max_position_embeddings" in c:
        ns.original_max_position_embeddings = c["original_max_position_embeddings"]
    scaling = c.get("rope_scaling")
    if scaling is not None:
        scaling = dict(scaling)
        if "type" in scaling:
            scaling["rope_type"] = scaling["type"]
    ns.rope_scaling = scaling
    return ns


def phi3_like_factors(n, top):
    # Shaped like Phi-3's lists (1.0 rising to `top`), not copied from a checkpoint.
    return [round(1.0 + (top - 1.0) * (i / (n - 1)) ** 3, 6) for i in range(n)]


ROPE_POSITIONS = [0, 1, 2, 7, 100, 4095, 4096, 8191, 65535, 100000, 131071]

ROPE_CONFIGS = [
    ("llama2_default", {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                        "max_position_embeddings": 4096, "rope_theta": 10000.0, "rope_scaling": None}, [None]),
    ("codellama_linear", {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                          "max_position_embeddings": 16384, "rope_theta": 1000000,
                          "rope_scaling": {"type": "linear", "factor": 4.0}}, [None]),
    ("llama_dynamic", {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                       "max_position_embeddings": 4096, "rope_theta": 10000.0,
                       "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}},
     [None, 1000, 4096, 4097, 8192, 16384, 100001]),
    ("llama31_llama3", {"model_type": "llama", "hidden_size": 4096, "num_attention_heads": 32,
                        "max_position_embeddings": 131072, "rope_theta": 500000.0,
                        "rope_scaling": {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                         "original_max_position_embeddings": 8192, "rope_type": "llama3"}}, [None]),
    ("qwen2_yarn", {"model_type": "qwen2", "hidden_size": 3584, "num_attention_heads": 28,
                    "max_position_embeddings": 32768, "rope_theta": 1000000.0,
                    "rope_scaling": {"factor": 4.0, "original_max_position_embeddings": 32768, "type": "yarn"}},
     [None]),
    ("deepseek_yarn_mscale", {"model_type": "deepseek_v3", "hidden_size": 7168, "num_attention_heads": 128,
                              "head_dim": 64, "max_position_embeddings": 163840, "rope_theta": 10000,
                              "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 1.0,
                                               "mscale_all_dim": 0.707, "original_max_position_embeddings": 4096,
                                               "type": "yarn"}}, [None]),
    ("gpt_oss_yarn_no_truncate", {"model_type": "gpt_oss", "hidden_size": 2880, "num_attention_heads": 64,
                                  "head_dim": 64, "max_position_embeddings": 131072, "rope_theta": 150000,
                                  "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                                                   "original_max_position_embeddings": 4096, "rope_type": "yarn",
                                                   "truncate": False}}, [None]),
    ("phi3_longrope", {"model_type": "phi3", "hidden_size": 3072, "num_attention_heads": 32,
                       "max_position_embeddings": 131072, "original_max_position_embeddings": 4096,
                       "rope_theta": 10000.0,
                       "rope_scaling": {"type": "longrope", "short_factor": phi3_like_factors(48, 1.2),
                                        "long_factor": phi3_like_factors(48, 60.0)}},
     [None, 4096, 4097, 131072]),
    ("gpt_neox_partial", {"model_type": "gpt_neox", "hidden_size": 6144, "num_attention_heads": 64,
                          "max_position_embeddings": 2048, "rotary_pct": 0.25, "rotary_emb_base": 10000},
     [None]),
    ("phi2_partial", {"model_type": "phi", "hidden_size": 2560, "num_attention_heads": 32,
                      "max_position_embeddings": 2048, "partial_rotary_factor": 0.4, "rope_theta": 10000.0},
     [None]),
    ("gptj_interleaved", {"model_type": "gptj", "n_embd": 4096, "n_head": 16, "n_positions": 2048,
                          "rotary_dim": 64}, [None]),
]


def make_rope_frequencies():
    cases = []
    for name, config_json, seq_lens in ROPE_CONFIGS:
        config = config_namespace(config_json)
        rope_type = (config.rope_scaling or {}).get("rope_type", "default")
        for seq_len in seq_lens:
            inv_freq, attention = ROPE_INIT_FUNCTIONS[rope_type](config, seq_len)
            cos, sin = hf_cos_sin(inv_freq, attention, ROPE_POSITIONS)
            angle64 = np.outer(np.array(ROPE_POSITIONS, dtype=np.float64), inv_freq.double().numpy())
            cases.append({
                "name": name, "config": config_json, "seq_len": seq_len,
                "rotary_dim": _dim(config),
                "inv_freq": f32_list(inv_freq), "attention_factor": float(attention),
                "positions": ROPE_POSITIONS, "cos": f32_list(cos), "sin": f32_list(sin),
                "cos_double_angle": [float(v) for v in (np.cos(angle64) * np.float32(attention)).flatten()],
            })
    return {"source": "transformers v4.57 src/transformers/modeling_rope_utils.py _compute_*_parameters; "
                      "models/llama/modeling_llama.py LlamaRotaryEmbedding.forward",
            "cases": cases}


# p-RoPE (Barbero et al. 2024, "Round and Round We Go! What makes Rotary Positional Encodings
# useful?"): keep the highest fraction p of the frequencies, set the rest to 0. Written after
# the paper's definition (as in Gemma's `rope_proportion`: rope_angles = int(p * d // 2)).
def make_p_rope():
    cases = []
    for head_dim, p in ((64, 0.75), (64, 0.25), (128, 0.5), (16, 0.0), (16, 1.0)):
        inv_freq, _ = hf_default(SimpleNamespace(rope_theta=10000.0, head_dim=head_dim))
        kept = int(p * head_dim // 2)
        inv_freq[kept:] = 0.0
        cases.append({"head_dim": head_dim, "fraction": p, "kept": kept, "inv_freq": f32_list(inv_freq)})
    return {"source": "Barbero et al. 2024, p-RoPE", "cases": cases}


# ---------------------------------------------------------------------------------------------
# Applying RoPE: transformers v4.57 models/llama/modeling_llama.py (rotate_half,
# apply_rotary_pos_emb), models/gpt_neox/modeling_gpt_neox.py (partial rotary: rotate the first
# rotary_ndims channels, pass the rest), models/gptj/modeling_gptj.py (rotate_every_two,
# apply_rotary_pos_emb with repeat_interleave'd sin/cos).
# ---------------------------------------------------------------------------------------------

def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rotate_every_two(x):
    x1 = x[:, :, :, ::2]
    x2 = x[:, :, :, 1::2]
    x = torch.stack((-x2, x1), dim=-1)
    return x.flatten(-2)


def apply_halves(q, cos_half, sin_half, rotary_dim):
    # q is [batch, seq, heads, head_dim]; cos/sin [batch, seq, rotary_dim/2]
    cos = torch.cat((cos_half, cos_half), dim=-1).unsqueeze(2)
    sin = torch.cat((sin_half, sin_half), dim=-1).unsqueeze(2)
    q_rot, q_pass = q[..., :rotary_dim], q[..., rotary_dim:]
    q_embed = (q_rot * cos) + (rotate_half(q_rot) * sin)
    return torch.cat([q_embed, q_pass], dim=-1)


def apply_interleaved(q, cos_half, sin_half, rotary_dim):
    sin = torch.repeat_interleave(sin_half[:, :, None, :], 2, 3)
    cos = torch.repeat_interleave(cos_half[:, :, None, :], 2, 3)
    q_rot, q_pass = q[..., :rotary_dim], q[..., rotary_dim:]
    q_embed = (q_rot * cos) + (rotate_every_two(q_rot) * sin)
    return torch.cat([q_embed, q_pass], dim=-1)


def make_rope_apply():
    cases = []
    for name, pairing, head_dim, rotary_dim, rope_type, scaling in (
        ("llama_halves", "halves", 16, 16, "default", None),
        ("neox_partial_halves", "halves", 16, 8, "default", None),
        ("gptj_interleaved_partial", "interleaved", 16, 8, "default", None),
        ("interleaved_full", "interleaved", 8, 8, "default", None),
        ("yarn_halves", "halves", 16, 16, "yarn", {"rope_type": "yarn", "factor": 4.0,
                                                    "original_max_position_embeddings": 64}),
    ):
        config = SimpleNamespace(rope_theta=10000.0, head_dim=head_dim, partial_rotary_factor=rotary_dim / head_dim,
                                 max_position_embeddings=256, rope_scaling=scaling)
        inv_freq, attention = ROPE_INIT_FUNCTIONS[rope_type](config)
        batch, seq, heads = 2, 3, 2
        positions = torch.tensor([[5, 6, 7], [100000, 100001, 3]], dtype=torch.int64)
        q = torch.randn(batch, seq, heads, head_dim, dtype=torch.float32, requires_grad=True)
        freqs = positions.float()[..., None] * inv_freq[None, None, :]
        cos_half, sin_half = freqs.cos() * attention, freqs.sin() * attention
        fn = apply_halves if pairing == "halves" else apply_interleaved
        out = fn(q, cos_half, sin_half, rotary_dim)
        weight = torch.randn_like(out)
        (out * weight).sum().backward()
        cases.append({
            "name": name, "pairing": pairing, "head_dim": head_dim, "rotary_dim": rotary_dim,
            "rope_scaling": scaling, "max_position_embeddings": 256, "shape": [batch, seq, heads, head_dim],
            "positions": positions.flatten().tolist(), "q": f32_list(q.detach()), "out": f32_list(out.detach()),
            "grad_weight": f32_list(weight), "grad_q": f32_list(q.grad),
        })
    return {"source": "transformers v4.57 modeling_llama.py rotate_half/apply_rotary_pos_emb, "
                      "modeling_gpt_neox.py partial rotary, modeling_gptj.py rotate_every_two",
            "cases": cases}


# 2-D axial RoPE after the Hugging Face blog "You could have designed state of the art
# positional encoding" (Fleetwood, 2024): the first half of each head rotated by the row, the
# second half by the column, each half a standard (rotate_half) RoPE of dimension head_dim / 2.
def make_axial_rope():
    head_dim, heads, rows, cols, theta = 16, 2, 3, 4, 100.0
    half_config = SimpleNamespace(rope_theta=theta, head_dim=head_dim // 2)
    inv_freq, _ = hf_default(half_config)
    rr, cc = torch.meshgrid(torch.arange(rows), torch.arange(cols), indexing="ij")
    rr, cc = rr.flatten()[None, :], cc.flatten()[None, :]
    x = torch.randn(1, rows * cols, heads, head_dim, requires_grad=True)
    fr = rr.float()[..., None] * inv_freq
    fc = cc.float()[..., None] * inv_freq
    first = apply_halves(x[..., : head_dim // 2], fr.cos(), fr.sin(), head_dim // 2)
    second = apply_halves(x[..., head_dim // 2 :], fc.cos(), fc.sin(), head_dim // 2)
    out = torch.cat([first, second], dim=-1)
    weight = torch.randn_like(out)
    (out * weight).sum().backward()
    return {"source": "HF blog 'You could have designed state of the art positional encoding' (axial 2-D RoPE)",
            "head_dim": head_dim, "heads": heads, "rows": rows, "cols": cols, "theta": theta,
            "x": f32_list(x.detach()), "out": f32_list(out.detach()), "grad_weight": f32_list(weight),
            "grad_x": f32_list(x.grad)}


# ---------------------------------------------------------------------------------------------
# ALiBi
# ---------------------------------------------------------------------------------------------

# ofirpress/attention_with_linear_biases, fairseq/models/transformer.py get_slopes (commit of
# the ICLR 2022 release), in Python doubles.
def get_slopes(n):
    def get_slopes_power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        ratio = start
        return [start * ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return get_slopes_power_of_2(closest_power_of_2) + get_slopes(2 * closest_power_of_2)[0::2][: n - closest_power_of_2]


# transformers v4.57 models/bloom/modeling_bloom.py build_alibi_tensor (float32 slopes times
# the key position; returned as [batch * num_heads, 1, seq_length]).
def build_alibi_tensor(attention_mask, num_heads, dtype):
    batch_size, seq_length = attention_mask.shape
    closest_power_of_2 = 2 ** math.floor(math.log2(num_heads))
    base = torch.tensor(2 ** (-(2 ** -(math.log2(closest_power_of_2) - 3))), dtype=torch.float32)
    powers = torch.arange(1, 1 + closest_power_of_2, dtype=torch.int32)
    slopes = torch.pow(base, powers)
    if closest_power_of_2 != num_heads:
        extra_base = torch.tensor(2 ** (-(2 ** -(math.log2(2 * closest_power_of_2) - 3))), dtype=torch.float32)
        num_remaining_heads = min(closest_power_of_2, num_heads - closest_power_of_2)
        extra_powers = torch.arange(1, 1 + 2 * num_remaining_heads, 2, dtype=torch.int32)
        slopes = torch.cat([slopes, torch.pow(extra_base, extra_powers)], dim=0)
    arange_tensor = ((attention_mask.cumsum(dim=-1) - 1) * attention_mask)[:, None, :]
    alibi = slopes[..., None] * arange_tensor
    return alibi.reshape(batch_size * num_heads, 1, seq_length).to(dtype), slopes


def make_alibi():
    slope_cases = []
    for n in (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 40, 48, 64, 71, 80, 96, 112, 128):
        _, bloom = build_alibi_tensor(torch.ones(1, 4, dtype=torch.int64), n, torch.float32)
        slope_cases.append({"heads": n, "reference_double": get_slopes(n), "bloom_float32": f32_list(bloom)})
    # Bias matrices in the paper's relative form m (j - i), for a block of queries at an offset,
    # and BLOOM's m * j for the same keys (equal after softmax).
    heads, q_len, k_len, q_start = 12, 3, 8, 5
    slopes = torch.tensor(get_slopes(heads), dtype=torch.float32)
    q_pos = torch.arange(q_start, q_start + q_len)
    k_pos = torch.arange(k_len)
    relative = slopes[:, None, None] * (k_pos[None, None, :] - q_pos[None, :, None]).float()
    bloom, _ = build_alibi_tensor(torch.ones(1, k_len, dtype=torch.int64), heads, torch.float32)
    scores = torch.randn(heads, q_len, k_len)
    return {"source": "ofirpress/attention_with_linear_biases get_slopes; transformers v4.57 "
                      "modeling_bloom.py build_alibi_tensor",
            "slopes": slope_cases,
            "bias": {"heads": heads, "q_len": q_len, "k_len": k_len, "q_start": q_start,
                     "relative": f32_list(relative), "bloom_key_position": f32_list(bloom[:, 0, :]),
                     "scores": f32_list(scores),
                     "softmax_with_bloom": f32_list(torch.softmax(scores + bloom.reshape(heads, 1, k_len), -1))}}


# ---------------------------------------------------------------------------------------------
# T5: transformers v4.57 models/t5/modeling_t5.py T5Attention._relative_position_bucket and
# compute_bias
# ---------------------------------------------------------------------------------------------

def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    relative_position_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    relative_position_if_large = torch.min(
        relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
    )
    relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
    return relative_buckets


def compute_bias(table, q_positions, k_positions, bidirectional, num_buckets, max_distance):
    context_position = q_positions[:, None]
    memory_position = k_positions[None, :]
    relative_position = memory_position - context_position
    buckets = relative_position_bucket(relative_position, bidirectional, num_buckets, max_distance)
    values = torch.nn.functional.embedding(buckets, table)  # [q, k, heads]
    return values.permute([2, 0, 1])  # [heads, q, k]


def make_t5():
    distances = list(range(-1200, 1201))
    bucket_cases = []
    for num_buckets, max_distance, bidirectional in (
        (32, 128, True), (32, 128, False), (64, 256, True), (16, 64, False), (8, 20, True), (128, 1024, True),
    ):
        b = relative_position_bucket(torch.tensor(distances), bidirectional, num_buckets, max_distance)
        bucket_cases.append({"num_buckets": num_buckets, "max_distance": max_distance,
                             "bidirectional": bidirectional, "distances": distances, "buckets": b.tolist()})
    bias_cases = []
    for bidirectional, q_start, q_len, k_len in ((True, 0, 6, 6), (False, 10, 3, 13), (True, 40, 2, 50)):
        heads, num_buckets, max_distance = 3, 32, 128
        table = torch.randn(num_buckets, heads, requires_grad=True)
        q_pos = torch.arange(q_start, q_start + q_len)
        k_pos = torch.arange(k_len)
        bias = compute_bias(table, q_pos, k_pos, bidirectional, num_buckets, max_distance)
        weight = torch.randn_like(bias)
        (bias * weight).sum().backward()
        bias_cases.append({"heads": heads, "num_buckets": num_buckets, "max_distance": max_distance,
                           "bidirectional": bidirectional, "q_start": q_start, "q_len": q_len, "k_len": k_len,
                           "table": f32_list(table.detach()), "bias": f32_list(bias.detach()),
                           "grad_weight": f32_list(weight), "grad_table": f32_list(table.grad)})
    return {"source": "transformers v4.57 models/t5/modeling_t5.py _relative_position_bucket, compute_bias",
            "buckets": bucket_cases, "bias": bias_cases}


# ---------------------------------------------------------------------------------------------
# Shaw et al. 2018: tensor2tensor v1.15.7 tensor2tensor/layers/common_attention.py
# _generate_relative_positions_matrix, _relative_attention_inner, dot_product_attention_relative
# (transcribed from TensorFlow to torch)
# ---------------------------------------------------------------------------------------------

def generate_relative_positions_matrix(length_q, length_k, max_relative_position, cache=False):
    if not cache:
        if length_q == length_k:
            range_vec_q = range_vec_k = torch.arange(length_q)
        else:
            range_vec_k = torch.arange(length_k)
            range_vec_q = range_vec_k[-length_q:]
        distance_mat = range_vec_k[None, :] - range_vec_q[:, None]
    else:
        distance_mat = torch.arange(-length_k + 1, 1, 1)[None, :]
    distance_mat_clipped = torch.clamp(distance_mat, -max_relative_position, max_relative_position)
    return distance_mat_clipped + max_relative_position


def make_shaw():
    matrices = []
    for length_q, length_k, k in ((8, 8, 4), (7, 7, 2), (3, 9, 3), (6, 6, 10)):
        m = generate_relative_positions_matrix(length_q, length_k, k)
        matrices.append({"q_len": length_q, "k_len": length_k, "max_relative_position": k,
                         "q_start": length_k - length_q, "matrix": m.flatten().tolist()})
    cached = generate_relative_positions_matrix(1, 6, 3, cache=True)
    # dot_product_attention_relative for one batch element: logits = q k^T + q . K_rel,
    # out = p v + p . V_rel; gradients of a weighted sum by autograd.
    heads, q_len, k_len, depth, k = 2, 4, 6, 5, 2
    q_start = k_len - q_len
    q = torch.randn(heads, q_len, depth, requires_grad=True)
    key_table = torch.randn(2 * k + 1, depth, requires_grad=True)
    value_table = torch.randn(2 * k + 1, depth, requires_grad=True)
    probs = torch.softmax(torch.randn(heads, q_len, k_len), -1).requires_grad_(True)
    index = generate_relative_positions_matrix(q_len, k_len, k)
    rel_k = key_table[index]  # [q, k, depth]
    rel_v = value_table[index]
    logits_rel = torch.einsum("hid,ijd->hij", q, rel_k)  # _relative_attention_inner(transpose=True)
    out_rel = torch.einsum("hij,ijd->hid", probs, rel_v)  # _relative_attention_inner(transpose=False)
    w_logits = torch.randn_like(logits_rel)
    w_out = torch.randn_like(out_rel)
    ((logits_rel * w_logits).sum() + (out_rel * w_out).sum()).backward()
    return {"source": "tensor2tensor v1.15.7 common_attention.py _generate_relative_positions_matrix, "
                      "_relative_attention_inner",
            "matrices": matrices,
            "cached": {"k_len": 6, "max_relative_position": 3, "matrix": cached.flatten().tolist()},
            "attention": {
                "heads": heads, "q_len": q_len, "k_len": k_len, "head_dim": depth, "max_relative_position": k,
                "q_start": q_start,
                "q_heads_first": f32_list(q.detach()), "key_table": f32_list(key_table.detach()),
                "value_table": f32_list(value_table.detach()), "probs": f32_list(probs.detach()),
                "logits": f32_list(logits_rel.detach()), "out_heads_first": f32_list(out_rel.detach()),
                "grad_weight_logits": f32_list(w_logits), "grad_weight_out_heads_first": f32_list(w_out),
                "grad_q_heads_first": f32_list(q.grad), "grad_key_table": f32_list(key_table.grad),
                "grad_value_table": f32_list(value_table.grad), "grad_probs": f32_list(probs.grad)}}


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/positional")
    out_dir.mkdir(parents=True, exist_ok=True)
    header = {"generator": "tools/goldens/positional/make_goldens.py", "torch": torch.__version__,
              "numpy": np.__version__}
    for name, fn in (("sinusoidal", make_sinusoidal), ("rope_frequencies", make_rope_frequencies),
                     ("p_rope", make_p_rope), ("rope_apply", make_rope_apply), ("axial_rope", make_axial_rope),
                     ("alibi", make_alibi), ("t5", make_t5), ("shaw", make_shaw)):
        data = {"about": header, **fn()}
        (out_dir / f"{name}.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")
        print(f"wrote {out_dir / (name + '.json')}")


if __name__ == "__main__":
    main()
