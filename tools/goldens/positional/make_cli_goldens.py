#!/usr/bin/env python3
"""Goldens for `posemb positions rope --config C.json --apply q.npy`: a query tensor, Hugging
Face config.json files, and the tensor each config's RoPE makes of it, computed in PyTorch.

    /usr/bin/python3 tools/goldens/positional/make_cli_goldens.py tests/goldens/positional/cli_rope_apply

The frequencies come from this folder's make_goldens.py (transcriptions of transformers v4.57
`_compute_*_parameters`); the rotation is v4.57 `modeling_llama.apply_rotary_pos_emb`
(`q * cos + rotate_half(q) * sin`) or `modeling_gptj` (`rotate_every_two`) for GPT-J configs,
with cos/sin from `LlamaRotaryEmbedding.forward` (float32 angles times the attention factor).
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_goldens as ref  # noqa: E402  (the reference transcriptions)

torch.manual_seed(2024)

# Small models with head_dim 16: 3 heads of 16 channels.
BASE = {"model_type": "llama", "hidden_size": 48, "num_attention_heads": 3, "max_position_embeddings": 256,
        "rope_theta": 10000.0}
CONFIGS = {
    "default": dict(BASE),
    "linear": {**BASE, "rope_scaling": {"rope_type": "linear", "factor": 4.0}},
    "yarn": {**BASE, "rope_scaling": {"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 64}},
    "llama3": {**BASE, "rope_theta": 500000.0,
               "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 32}},
    "gptj": {"model_type": "gptj", "n_embd": 48, "n_head": 3, "n_positions": 256, "rotary_dim": 8},
}
# Positions: every row starts at OFFSET (the CLI's --offset), as after OFFSET cached tokens.
OFFSET = 100
BATCH, SEQ, HEADS, HEAD_DIM = 2, 5, 3, 16


def rotate(config_json, q, positions):
    config = ref.config_namespace(config_json)
    rope_type = (config.rope_scaling or {}).get("rope_type", "default")
    inv_freq, attention = ref.ROPE_INIT_FUNCTIONS[rope_type](config)
    rotary_dim = ref._dim(config)
    freqs = positions.float()[..., None] * inv_freq[None, None, :]
    cos_half, sin_half = freqs.cos() * attention, freqs.sin() * attention
    apply = ref.apply_interleaved if config_json.get("model_type") == "gptj" else ref.apply_halves
    return apply(q, cos_half, sin_half, rotary_dim)


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/goldens/positional/cli_rope_apply")
    out.mkdir(parents=True, exist_ok=True)
    q = torch.randn(BATCH, SEQ, HEADS, HEAD_DIM, dtype=torch.float32)
    np.save(out / "q.npy", q.numpy())
    positions = (OFFSET + torch.arange(SEQ)).expand(BATCH, SEQ)
    for name, config_json in CONFIGS.items():
        (out / f"{name}.config.json").write_text(json.dumps(config_json, indent=2) + "\n")
        np.save(out / f"{name}.expected.npy", rotate(config_json, q, positions).numpy())
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
