#!/usr/bin/python3
"""Golden forward and backward of torch.nn.Embedding, for tests/embedding/embedding_test.cpp.

Writes tests/goldens/embedding/embedding.json. Each case builds its tables with
torch.manual_seed(seed) followed by nn.Embedding(rows, dim) (so the test also checks our
initialisation), looks up the given indices, forms loss = sum(out * R) for a fixed random R,
and records the table, R, out and table.grad as float32 bit patterns.

Run with Debian's torch (python3-torch 1.13):
    /usr/bin/python3 tools/goldens/embedding/embedding.py [output.json]
"""
import json
import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
    pathlib.Path(__file__).resolve().parents[3] / "tests/goldens/embedding/embedding.json")


def bits(t):
    return t.detach().contiguous().reshape(-1).numpy().view(np.uint32).tolist()


def tensor_record(t):
    return {"shape": list(t.shape), "bits": bits(t)}


cases = []


def lookup_case(name, seed, rows, dim, indices, *, kind):
    """kind: "token" (any shape of ids) or "position" (a vector of positions)."""
    torch.manual_seed(seed)
    table = torch.nn.Embedding(rows, dim)
    ids = torch.tensor(indices, dtype=torch.int64)
    out = table(ids)
    r = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 1000))
    (out * r).sum().backward()
    cases.append({
        "name": name, "kind": kind, "seed": seed, "rows": rows, "dim": dim,
        "indices": {"shape": list(ids.shape), "values": ids.reshape(-1).tolist()},
        "weight": tensor_record(table.weight), "r": tensor_record(r),
        "out": tensor_record(out), "grad_weight": tensor_record(table.weight.grad),
    })


lookup_case("token_2x4_repeated_ids", 0, 10, 3, [[1, 4, 4, 9], [0, 1, 1, 1]], kind="token")
lookup_case("token_vector", 1, 7, 5, [6, 0, 3, 3, 2], kind="token")
lookup_case("token_3d", 2, 12, 2, [[[0, 11, 5], [5, 5, 1]], [[2, 3, 4], [11, 0, 0]]], kind="token")
lookup_case("token_wide_rows", 3, 64, 48,
            torch.randint(0, 64, (3, 17), generator=torch.Generator().manual_seed(3)).tolist(), kind="token")
lookup_case("token_all_same_id", 4, 5, 4, [[2] * 9], kind="token")
lookup_case("position_arange_5", 5, 8, 4, list(range(5)), kind="position")
lookup_case("position_offset_3_count_4", 6, 8, 4, list(range(3, 7)), kind="position")
lookup_case("position_repeated", 7, 6, 3, [0, 0, 2, 5, 2], kind="position")

# The notebook's sum: token embeddings [batch, seq, dim] + position embeddings [seq, dim],
# loss = sum(sum * R); the position table's gradient sums over the batch.
torch.manual_seed(123)
tok = torch.nn.Embedding(20, 3)
pos = torch.nn.Embedding(6, 3)
ids = torch.tensor([[3, 19, 3, 0, 7], [1, 1, 2, 3, 19]])
token_embeddings = tok(ids)
position_embeddings = pos(torch.arange(5))
total = token_embeddings + position_embeddings
r = torch.randn(total.shape, generator=torch.Generator().manual_seed(99))
(total * r).sum().backward()
combined = {
    "seed": 123, "vocab_size": 20, "max_len": 6, "dim": 3,
    "ids": {"shape": list(ids.shape), "values": ids.reshape(-1).tolist()},
    "token_weight": tensor_record(tok.weight), "position_weight": tensor_record(pos.weight),
    "r": tensor_record(r), "sum": tensor_record(total),
    "token_grad": tensor_record(tok.weight.grad), "position_grad": tensor_record(pos.weight.grad),
}

document = {"generator": "tools/goldens/embedding/embedding.py", "torch_version": torch.__version__,
            "lookups": cases, "token_plus_position": combined}
OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n")
print(f"wrote {len(cases)} lookup cases and the token + position case to {OUT}")
