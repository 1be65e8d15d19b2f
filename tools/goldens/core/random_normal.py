#!/usr/bin/python3
"""Golden random numbers from torch's CPU generator, for tests/core/random_test.cpp.

Writes tests/goldens/core/random_normal.json. Each case seeds torch (torch.manual_seed) and
makes one or more draws in sequence, exactly as listed:
  - "normal":    torch.empty(n).normal_(mean, std)  (float32, the kernel nn.Embedding uses)
  - "embedding": torch.nn.Embedding(rows, cols).weight  (its init.normal_)
  - "rand":      torch.rand(n)                      (float32 uniforms)
  - "rand64":    torch.rand(n, dtype=torch.float64) (double uniforms)
Results are stored as IEEE bit patterns: all of them for draws of up to 4096 values, else the
first and last 64 plus an FNV-1a-64 hash of all the little-endian bytes.

Run with Debian's torch (python3-torch 1.13) on an x86-64 CPU with AVX2 and without AVX-512
(check: torch.__config__.show() says "CPU capability usage: AVX2"); torch's other kernels
give different last bits. Command:
    /usr/bin/python3 tools/goldens/core/random_normal.py [output.json]
"""
import json
import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
    pathlib.Path(__file__).resolve().parents[3] / "tests/goldens/core/random_normal.json")
FULL_LIMIT = 4096
EDGE = 64

capability = torch.__config__.show().split("CPU capability usage: ")[1].split()[0]
if capability != "AVX2":
    sys.exit(f"torch uses its {capability} kernels here; the goldens must come from the AVX2 kernels")


def fnv1a64(data: bytes) -> str:
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def record(draw, values):
    array = values.detach().reshape(-1).numpy()
    bits = array.view(np.uint64 if array.dtype == np.float64 else np.uint32)
    out = dict(draw, numel=int(array.size))
    if array.size <= FULL_LIMIT:
        out["bits"] = [int(b) for b in bits]
    else:
        out["head"] = [int(b) for b in bits[:EDGE]]
        out["tail"] = [int(b) for b in bits[-EDGE:]]
        out["fnv1a64"] = fnv1a64(array.astype(array.dtype.newbyteorder("<")).tobytes())
    if array.dtype == np.float64:
        out["bits"] = [f"{int(b):016x}" for b in bits]  # JSON numbers lose 64-bit integers
    return out


def run(seed, draws):
    torch.manual_seed(seed)
    results = []
    for draw in draws:
        kind = draw["kind"]
        if kind == "normal":
            t = torch.empty(draw["numel"]).normal_(draw.get("mean", 0.0), draw.get("std", 1.0))
        elif kind == "embedding":
            t = torch.nn.Embedding(draw["rows"], draw["cols"]).weight
        elif kind == "rand":
            t = torch.rand(draw["numel"])
        elif kind == "rand64":
            t = torch.rand(draw["numel"], dtype=torch.float64)
        else:
            raise ValueError(kind)
        results.append(record(draw, t))
    return {"seed": seed, "draws": results}


def normal(n, mean=0.0, std=1.0):
    d = {"kind": "normal", "numel": n}
    if (mean, std) != (0.0, 1.0):
        d.update(mean=mean, std=std)
    return d


cases = []
sizes = [0, 1, 2, 3, 7, 10, 15, 16, 17, 31, 32, 33, 100, 1000, 4099, 50257 * 2]
for seed in [0, 123]:
    for n in sizes:
        cases.append(run(seed, [normal(n)]))
for seed in [1, 42, 2**31 - 1, 2**32 + 123, 2**64 - 1]:
    cases.append(run(seed, [normal(10), normal(100)]))
# the notebook: token table, then position table, from one seed
for seed in [0, 123]:
    cases.append(run(seed, [{"kind": "embedding", "rows": 50257, "cols": 2},
                            {"kind": "embedding", "rows": 5, "cols": 2}]))
cases.append(run(123, [{"kind": "embedding", "rows": 6, "cols": 4},
                       {"kind": "embedding", "rows": 1024, "cols": 8}]))
# small draws share a cached second Box–Muller value across calls
cases.append(run(7, [normal(3), normal(5), normal(1), normal(16), normal(7), normal(1)]))
cases.append(run(8, [normal(17), normal(3), normal(2), normal(15)]))
# other means and deviations, on both paths
cases.append(run(9, [normal(10, 0.5, 2.0), normal(100, 0.5, 2.0), normal(7, -3.0, 0.25),
                     normal(33, -3.0, 0.25), normal(5, 1.0, 0.0)]))
# uniforms
cases.append(run(5, [{"kind": "rand", "numel": 100}, {"kind": "rand64", "numel": 20}, normal(3)]))

document = {
    "generator": "tools/goldens/core/random_normal.py",
    "torch_version": torch.__version__,
    "cpu_capability": capability,
    "cases": cases,
}
OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")
