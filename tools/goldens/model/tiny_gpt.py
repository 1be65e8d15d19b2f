"""The tiny GPT of posemb, in PyTorch: the reference the C++ model is tested against.

Same structure, same parameter names, same formulas as include/posemb/model/gpt.hpp:
token embedding -> N pre-LayerNorm blocks (causal multi-head attention, GELU-tanh MLP)
-> final LayerNorm -> logits through the tied token embedding. Every positional scheme is
transcribed here from its reference:

  learned     nn.Embedding(L, C) added to the token embeddings (GPT-2).
  sinusoidal  interleaved sin/cos rows, div_term = exp(arange(0, d, 2) * -(ln(base) / d)) in
              float32 (the PyTorch "Transformer tutorial" PositionalEncoding; Vaswani et al.).
  rope        Hugging Face transformers 4.46 models/llama/modeling_llama.py: inv_freq =
              1 / base ** (arange(0, dim, 2).float() / dim), emb = cat(freqs, freqs),
              q * cos + rotate_half(q) * sin (LlamaRotaryEmbedding, apply_rotary_pos_emb).
  alibi       ofirpress/attention_with_linear_biases get_slopes (also BLOOM's
              build_alibi_tensor); bias[h, i, j] = -slope_h * (i - j) for keys j <= i.
  t5          transformers 4.46 models/t5/modeling_t5.py T5Attention._relative_position_bucket
              with bidirectional=False (decoder), one nn.Embedding(num_buckets, n_heads)
              shared by all layers (T5 computes it in the first layer and reuses it).
  shaw        tensor2tensor layers/common_attention.py _generate_relative_positions_matrix
              (clip(j - i, -k, k) + k) and dot_product_attention_relative: logits +=
              q . K_rel[idx], out += sum_j p_ij V_rel[idx]; tables per layer, shared by heads.

Scores are (q . k [+ q . K_rel]) / sqrt(head_dim) [+ bias] in every scheme.
Run with Debian's python3-torch (torch 1.13): /usr/bin/python3.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SCHEMES = ["none", "learned", "sinusoidal", "rope", "alibi", "t5", "shaw"]


def alibi_slopes(n_heads):
    # get_slopes from ofirpress/attention_with_linear_biases (fairseq/models/transformer.py)
    def power_of_2(n):
        start = 2 ** (-2 ** -(math.log2(n) - 3))
        return [start * start ** i for i in range(n)]

    if math.log2(n_heads).is_integer():
        return power_of_2(n_heads)
    closest = 2 ** math.floor(math.log2(n_heads))
    return power_of_2(closest) + alibi_slopes(2 * closest)[0::2][: n_heads - closest]


def t5_causal_bucket(relative_position, num_buckets, max_distance):
    # T5Attention._relative_position_bucket, bidirectional=False
    relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact
    if_large = max_exact + (
        torch.log(relative_position.float() / max_exact) / math.log(max_distance / max_exact) * (num_buckets - max_exact)
    ).to(torch.long)
    if_large = torch.min(if_large, torch.full_like(if_large, num_buckets - 1))
    return torch.where(is_small, relative_position, if_large)


def sinusoidal_table(length, dim, base):
    position = torch.arange(length).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2) * (-math.log(base) / dim))
    pe = torch.zeros(length, dim)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(length, dim, base):
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    freqs = torch.outer(torch.arange(length).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos(), emb.sin()


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, H = cfg["channels"], cfg["heads"]
        self.cfg = cfg
        self.ln1 = nn.LayerNorm(C)
        self.attn = nn.Module()
        self.attn.qkv = nn.Linear(C, 3 * C)
        self.attn.proj = nn.Linear(C, C)
        if cfg["scheme"] == "shaw":
            rows = 2 * cfg["shaw_max_relative_position"] + 1
            self.attn.rel_keys = nn.Parameter(torch.zeros(rows, C // H))
            self.attn.rel_values = nn.Parameter(torch.zeros(rows, C // H))
        self.ln2 = nn.LayerNorm(C)
        self.mlp = nn.Module()
        self.mlp.fc = nn.Linear(C, 4 * C)
        self.mlp.proj = nn.Linear(4 * C, C)

    def attention(self, x, score_bias):
        cfg = self.cfg
        B, T, C = x.shape
        H = cfg["heads"]
        D = C // H
        q, k, v = self.attn.qkv(x).split(C, dim=2)
        q = q.view(B, T, H, D).transpose(1, 2)  # [B, H, T, D]
        k = k.view(B, T, H, D).transpose(1, 2)
        v = v.view(B, T, H, D).transpose(1, 2)
        if cfg["scheme"] == "rope":
            cos, sin = rope_cos_sin(T, D, cfg["rope_theta"])
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        scale = 1.0 / math.sqrt(D)
        logits = q @ k.transpose(-2, -1)
        if cfg["scheme"] == "shaw":
            kk = cfg["shaw_max_relative_position"]
            pos = torch.arange(T)
            idx = (pos[None, :] - pos[:, None]).clamp(-kk, kk) + kk  # [T(i), T(j)]
            rel_k = self.attn.rel_keys[idx]  # [T, T, D]
            logits = logits + torch.einsum("bhid,ijd->bhij", q, rel_k)
        scores = logits * scale
        if score_bias is not None:
            scores = scores + score_bias  # [H, T, T]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        probs = scores.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        out = probs @ v
        if cfg["scheme"] == "shaw":
            rel_v = self.attn.rel_values[idx]
            out = out + torch.einsum("bhij,ijd->bhid", probs, rel_v)
        out = out.transpose(1, 2).reshape(B, T, C)
        return self.attn.proj(out)

    def forward(self, x, score_bias):
        x = x + self.attention(self.ln1(x), score_bias)
        return x + self.mlp.proj(F.gelu(self.mlp.fc(self.ln2(x)), approximate="tanh"))


class TinyGPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        V, C = cfg["vocab_size"], cfg["channels"]
        self.wte = nn.Embedding(V, C)
        if cfg["scheme"] == "learned":
            self.wpe = nn.Embedding(cfg["context_length"], C)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg["layers"])])
        if cfg["scheme"] == "t5":
            self.t5_bias = nn.Embedding(cfg["t5_num_buckets"], cfg["heads"])
        self.ln_f = nn.LayerNorm(C)

    def init_gpt2(self, seed):
        """GPT-2's initialisation (as posemb's Gpt::initialize, though not the same numbers)."""
        g = torch.Generator().manual_seed(seed)
        residual_std = 0.02 / math.sqrt(2 * self.cfg["layers"])
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name.endswith("ln1.weight") or name.endswith("ln2.weight") or name == "ln_f.weight":
                    p.fill_(1.0)
                elif p.dim() == 1:
                    p.zero_()
                else:
                    std = residual_std if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight") else 0.02
                    p.normal_(0.0, std, generator=g)

    def perturb(self, seed, std=0.05):
        """Adds noise to every parameter (biases and norms too), so that a golden exercises
        every term of every gradient instead of GPT-2's zero biases and unit norms."""
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                p.add_(torch.randn(p.shape, generator=g) * std)

    def score_bias(self, T):
        cfg = self.cfg
        i = torch.arange(T)[:, None]
        j = torch.arange(T)[None, :]
        if cfg["scheme"] == "alibi":
            slopes = torch.tensor(alibi_slopes(cfg["heads"]), dtype=torch.float32)
            distance = (i - j).clamp(min=0).float()
            return -slopes[:, None, None] * distance[None, :, :]
        if cfg["scheme"] == "t5":
            buckets = t5_causal_bucket(j - i, cfg["t5_num_buckets"], cfg["t5_max_distance"])
            return self.t5_bias(buckets).permute(2, 0, 1)  # [H, T, T]
        return None

    def forward(self, tokens):
        cfg = self.cfg
        B, T = tokens.shape
        x = self.wte(tokens)
        if cfg["scheme"] == "learned":
            x = x + self.wpe(torch.arange(T))
        elif cfg["scheme"] == "sinusoidal":
            x = x + sinusoidal_table(T, cfg["channels"], cfg["sinusoidal_base"])
        bias = self.score_bias(T)
        for block in self.blocks:
            x = block(x, bias)
        return self.ln_f(x) @ self.wte.weight.t()

    def loss(self, tokens, targets):
        logits = self(tokens)
        return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def default_config(scheme, **overrides):
    cfg = dict(
        vocab_size=256,
        context_length=128,
        layers=4,
        heads=4,
        channels=256,
        scheme=scheme,
        rope_theta=10000.0,
        sinusoidal_base=10000.0,
        t5_num_buckets=32,
        t5_max_distance=128,
        shaw_max_relative_position=16,
    )
    cfg.update(overrides)
    return cfg
