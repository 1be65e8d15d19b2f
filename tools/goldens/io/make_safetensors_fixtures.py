#!/usr/bin/python3
"""Writes the safetensors fixtures of tests/goldens/io/safetensors/ with a writer of its
own that follows the published format (https://github.com/huggingface/safetensors,
README "Format"): an 8-byte little-endian header length N, N bytes of JSON header, then
the data buffer. It uses only struct and json, not posemb's C++ writer, so that the
reader is tested against an independent producer. torch (Debian's python3-torch) makes
the F16 / BF16 / F64 tensors and gives the float32 values they convert to
(`tensor.float()`); expected.json records, per file, the metadata and each tensor's
dtype, shape, data_offsets and expected elements (float32 bit patterns, or integers).

The files differ from the reference writer's output on purpose, where the format allows
it: the header lists tensors in an order other than their data order and "__metadata__"
last, and one file's header length is odd so that its tensors are unaligned.

    /usr/bin/python3 tools/goldens/io/make_safetensors_fixtures.py
"""
import json
import pathlib
import struct

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "goldens" / "io" / "safetensors"

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL",
}


def raw_bytes(t):
    """The elements, row-major, little-endian (this machine's order)."""
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def expected_elements(t):
    if t.dtype.is_floating_point:
        return {"float32_bits": [int(b) for b in t.float().contiguous().numpy().reshape(-1).view(np.uint32)]}
    return {"ids": [int(v) for v in t.reshape(-1).tolist()]}


def write_safetensors(path, tensors, metadata=None, header_order=None, pad_to=8, extra_raw=None):
    """tensors: [(name, torch tensor or (dtype name, shape, raw bytes))] in data order."""
    entries, chunks, offset = {}, [], 0
    for name, t in tensors:
        dtype, shape, data = (DTYPE_NAMES[t.dtype], list(t.shape), raw_bytes(t)) if torch.is_tensor(t) else t
        entries[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header = {name: entries[name] for name in (header_order or entries)}
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad_to == "odd":  # spaces are valid JSON padding; an odd length misaligns all data
        text += b" " * (1 - len(text) % 2)
    elif pad_to:
        text += b" " * (-len(text) % pad_to)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))
    return entries


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    specials = torch.tensor([65504.0, -6e-8, float("inf"), float("-inf"), float("nan"), -0.0])
    files = {}

    def record(name, tensors, metadata=None, **kwargs):
        entries = write_safetensors(OUT / name, tensors, metadata, **kwargs)
        out = {"metadata": metadata or {}, "tensors": []}
        for tensor_name, t in tensors:
            entry = {"name": tensor_name, **entries[tensor_name]}
            if torch.is_tensor(t):
                entry.update(expected_elements(t))
            out["tensors"].append(entry)
        files[name] = out

    # GPT-2's table names, F32, header in reverse name order.
    record("gpt2_tables.safetensors",
           [("wpe.weight", torch.randn(5, 4)), ("wte.weight", torch.randn(6, 4))],
           metadata={"format": "pt"}, header_order=["wte.weight", "wpe.weight"])

    # Every convertible dtype; odd header length, so no tensor is aligned.
    half = torch.cat([torch.randn(6), specials]).half().reshape(3, 4)
    bfloat = torch.cat([torch.randn(6), specials, torch.tensor([1e-39, 3e38])]).bfloat16().reshape(2, 7)
    double = torch.tensor([1.0 / 3.0, 1e-300, -1e39, 2.0**-149, 123456789.123456789], dtype=torch.float64)
    record("all_dtypes.safetensors",
           [("mask", torch.tensor([[True, False], [False, True]])),
            ("half", half),
            ("ids", torch.tensor([0, 50256, -1, 2**62], dtype=torch.int64)),
            ("bfloat", bfloat),
            ("float", torch.randn(2, 3)),
            ("double", double),
            ("ids32", torch.tensor([-(2**31), 2**31 - 1, 7], dtype=torch.int32)),
            ("bytes", torch.tensor([0, 255, 128], dtype=torch.uint8))],
           metadata={"format": "pt", "note": "header length is odd: tensors are unaligned"},
           header_order=["bytes", "double", "float", "half", "ids", "ids32", "bfloat", "mask"], pad_to="odd")
    assert (OUT / "all_dtypes.safetensors").read_bytes()[0] % 2 == 1, "the header length should be odd"

    # Rank 0 and empty tensors (the format allows both; empty ones take no bytes).
    record("edge_shapes.safetensors",
           [("scalar", torch.tensor(2.5)), ("empty", torch.zeros(0, 4)), ("empty_half", torch.zeros(3, 0).half()),
            ("after_empty", torch.tensor([1.0, -1.0]))])

    # A dtype the format defines but posemb does not convert (8-bit float), beside one it does.
    record("unconvertible.safetensors",
           [("fp8", ("F8_E4M3", [4], bytes([0x38, 0x40, 0xb8, 0x7f]))), ("ok", torch.tensor([1.0, 2.0]))])

    manifest = {"torch_version": torch.__version__, "numpy_version": np.__version__}
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in manifest.items()]
    lines.append(' "files": {\n' + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in files.items()) + "\n }")
    (OUT / "expected.json").write_text("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
