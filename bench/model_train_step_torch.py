"""The peer of bench/model_train_step.cpp: the same tiny GPT (tools/goldens/model/tiny_gpt.py,
learned positions), the same step (forward, backward, clip_grad_norm_, AdamW) in PyTorch,
tokens per second for each configuration, as JSON on stdout.

  /usr/bin/python3 bench/model_train_step_torch.py --threads 1 [--min-time 3]

Threads: torch.set_num_threads and OPENBLAS_NUM_THREADS (Debian's torch calls OpenBLAS,
which ignores torch's setting) must both be set: scripts/bench-model.sh does that.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "goldens", "model"))
from tiny_gpt import TinyGPT, default_config  # noqa: E402

CONFIGS = [(50257, 256), (256, 256), (256, 128)]  # (vocab, T); 4 layers, 256 channels, 4 heads, batch 8


def measure(vocab, seq, min_time):
    torch.manual_seed(1)
    cfg = default_config("learned", vocab_size=vocab, context_length=seq, layers=4, heads=4, channels=256)
    model = TinyGPT(cfg)
    model.init_gpt2(1)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-4, betas=(0.9, 0.95), eps=1e-8)
    batch = 8
    tokens = torch.randint(0, vocab, (batch, seq))
    targets = torch.randint(0, vocab, (batch, seq))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(tokens, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    step()  # first touch of every buffer
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time and steps >= 2:
            break
    return {"vocab": vocab, "T": seq, "batch": batch, "steps": steps, "seconds_per_step": elapsed / steps,
            "tokens_per_second": batch * seq * steps / elapsed}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-time", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = [measure(v, t, args.min_time) for v, t in CONFIGS]
    print(json.dumps({"torch": torch.__version__, "threads": args.threads,
                      "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "results": results}))


if __name__ == "__main__":
    main()
