#!/usr/bin/python3
"""Writes what torch's `tensor.float()` gives for F16 and BF16 bit patterns, to check
posemb's widening (include/posemb/io/float16.hpp) bit for bit:

  tests/goldens/io/float16/f16_to_f32.bin        all 65536 F16 patterns: record i is the
                                                 float32 bits (uint32, little-endian) of
                                                 F16 pattern i
  tests/goldens/io/float16/bf16_to_f32_sample.bin  BF16 patterns for every sign and exponent
                                                 with mantissas 0, 1, 0x3f, 0x40, 0x41, 0x7f
                                                 (zero, subnormals, normals, inf, signalling
                                                 and quiet NaN): records of (uint32 BF16
                                                 pattern, uint32 float32 bits), little-endian

    /usr/bin/python3 tools/goldens/io/make_float16_tables.py
"""
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "goldens" / "io" / "float16"


def widen(patterns, dtype):
    as_int16 = torch.from_numpy(patterns.astype(np.uint16).view(np.int16))
    return as_int16.view(dtype).float().numpy().view(np.uint32)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    f16 = np.arange(65536, dtype=np.uint32)
    widen(f16, torch.float16).astype("<u4").tofile(OUT / "f16_to_f32.bin")

    bf16 = np.array([(top << 7) | m for top in range(512) for m in (0, 1, 0x3F, 0x40, 0x41, 0x7F)], dtype=np.uint32)
    records = np.stack([bf16, widen(bf16, torch.bfloat16)], axis=1).astype("<u4")
    records.tofile(OUT / "bf16_to_f32_sample.bin")


if __name__ == "__main__":
    main()
