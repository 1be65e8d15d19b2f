"""Writes tests/goldens/model/<scheme>.safetensors: the tiny GPT of tiny_gpt.py, one file per
positional scheme, with everything the C++ tests compare against.

  __metadata__   config (the model config as JSON), training (the optimizer settings),
                 torch (version)
  param.<name>   the weights (GPT-2 init from a fixed seed, then perturbed so that biases and
                 norms are not trivially 0 / 1)
  tokens, targets  [B, T] int64 (random ids)
  logits         [B, T, V]   loss [1]   grad.<name>   (of the mean cross-entropy)
  long_tokens, long_logits   a sequence 2.5x longer than context_length (every scheme but
                 learned, which cannot go past its table)
  train_losses   [steps]: the loss before each of `steps` AdamW steps on fixed batches, with
                 gradient clipping and the warmup + cosine schedule below
  trained.<name> the weights after those steps

Run:  /usr/bin/python3 tools/goldens/model/make_goldens.py  (Debian python3-torch 1.13)
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from tiny_gpt import SCHEMES, TinyGPT, default_config  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "goldens", "model")

CONFIG = dict(vocab_size=29, context_length=12, layers=2, heads=3, channels=24, t5_num_buckets=8,
              t5_max_distance=10, shaw_max_relative_position=3)
BATCH, LONG = 3, 30
TRAINING = dict(steps=4, max_lr=3e-3, min_lr=3e-4, warmup_steps=2, beta1=0.9, beta2=0.95, eps=1e-8,
                weight_decay=0.1, clip_norm=0.5)


def lr_at(step, t):
    """Linear warmup over warmup_steps, then cosine decay to min_lr at `steps` (step from 0).
    The same function as posemb::model::cosine_learning_rate."""
    if step < t["warmup_steps"]:
        return t["max_lr"] * (step + 1) / t["warmup_steps"]
    if step >= t["steps"]:
        return t["min_lr"]
    progress = (step - t["warmup_steps"]) / (t["steps"] - t["warmup_steps"])
    return t["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * progress)) * (t["max_lr"] - t["min_lr"])


def write_safetensors(path, tensors, metadata):
    """The published format (github.com/huggingface/safetensors, README "Format"), by hand:
    8-byte little-endian header length, JSON header, packed little-endian data."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().astype("<f4" if dtype == "F32" else "<i8").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def golden(scheme, seed):
    cfg = default_config(scheme, **CONFIG)
    torch.manual_seed(seed)
    model = TinyGPT(cfg)
    model.init_gpt2(seed)
    model.perturb(seed + 1)
    out = {"param." + n: p.detach().clone() for n, p in model.named_parameters()}

    g = torch.Generator().manual_seed(seed + 2)
    T, V = cfg["context_length"], cfg["vocab_size"]
    tokens = torch.randint(0, V, (BATCH, T), generator=g)
    targets = torch.randint(0, V, (BATCH, T), generator=g)
    logits = model(tokens)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    out.update(tokens=tokens, targets=targets, logits=logits.detach(), loss=loss.detach().reshape(1))
    out.update({"grad." + n: p.grad.detach().clone() for n, p in model.named_parameters()})

    if scheme != "learned":
        long_tokens = torch.randint(0, V, (2, LONG), generator=g)
        with torch.no_grad():
            out.update(long_tokens=long_tokens, long_logits=model(long_tokens))

    # Training: AdamW with decay on matrices only (rank >= 2), clipping, warmup + cosine.
    t = TRAINING
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": t["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=t["max_lr"], betas=(t["beta1"], t["beta2"]), eps=t["eps"])
    losses = []
    for step in range(t["steps"]):
        batch = torch.randint(0, V, (BATCH, T + 1), generator=g)
        out[f"train_batch.{step}"] = batch
        for group in opt.param_groups:
            group["lr"] = lr_at(step, t)
        opt.zero_grad(set_to_none=True)
        step_loss = model.loss(batch[:, :-1], batch[:, 1:])
        step_loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), t["clip_norm"])
        opt.step()
        losses.append(step_loss.item())
    out["train_losses"] = torch.tensor(losses, dtype=torch.float32)
    out.update({"trained." + n: p.detach().clone() for n, p in model.named_parameters()})

    metadata = {"config": json.dumps(cfg), "training": json.dumps(t), "torch": torch.__version__,
                "batch": str(BATCH)}
    write_safetensors(os.path.join(OUT, f"{scheme}.safetensors"), out, metadata)
    print(f"{scheme}: loss {loss.item():.6f}, train losses {[round(x, 4) for x in losses]}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    for i, scheme in enumerate(SCHEMES):
        golden(scheme, 1000 + i)
