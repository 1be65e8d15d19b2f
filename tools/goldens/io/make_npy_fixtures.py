#!/usr/bin/python3
"""Writes the .npy fixtures of tests/goldens/io/npy/ with numpy itself (np.save and
np.lib.format.write_array), one file per supported kind, plus expected.json: for each
file what numpy says it holds (dtype string, shape, fortran_order, format version, and
the elements in C order: float32 bit patterns for float arrays, integers for the rest).

Run with Debian's interpreter, which has python3-numpy:
    /usr/bin/python3 tools/goldens/io/make_npy_fixtures.py
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parents[3] / "tests" / "goldens" / "io" / "npy"


def float32_bits(array):
    """What posemb should read: numpy's own conversion to float32, as exact bit patterns
    (so NaN and -0.0 compare exactly)."""
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf, as in torch
        as_float32 = np.ascontiguousarray(array, dtype=np.float32)
    return [int(b) for b in as_float32.reshape(-1).view(np.uint32)]


def expected_entry(path, array):
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
    entry = {
        "descr": np.lib.format.dtype_to_descr(array.dtype),
        "shape": list(array.shape),
        "fortran_order": bool(array.flags.f_contiguous and not array.flags.c_contiguous),
        "version": list(version),
    }
    if array.dtype.kind == "f":
        entry["float32_bits"] = float32_bits(array)
    elif array.dtype.kind in "iub":
        entry["ids"] = [int(v) for v in np.ascontiguousarray(array).reshape(-1)]
    return entry


def write_manifest(path, header, files):
    """One file per line, so that a change to a fixture shows as a one-line diff."""
    lines = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in header.items()]
    lines.append(' "files": {\n' + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in files.items()) + "\n }")
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240601)
    normal = rng.standard_normal(24)
    arrays = {
        # The common case: what torch.Tensor.numpy() then np.save gives for a weight table.
        "f4.npy": normal[:6].astype("<f4").reshape(2, 3),
        "f4_big_endian.npy": normal[:5].astype(">f4"),
        # float64 values that need rounding to float32.
        "f8.npy": (normal[:4] * 1e3 + 1e-9).astype("<f8").reshape(2, 2),
        "f8_big_endian.npy": np.array([1.0 / 3.0, -2.5e-40, 1e39, np.nan], dtype=">f8"),
        # Half precision, with a subnormal, the largest finite value, infinities and NaN.
        "f2.npy": np.array([0.5, -1.0009765625, 6e-8, 65504.0, np.inf, -np.inf, np.nan, -0.0], dtype="<f2"),
        "f2_big_endian.npy": normal[:3].astype(">f2"),
        "i8.npy": np.array([0, -1, 50256, 2**63 - 1, -(2**63)], dtype="<i8"),
        "i8_big_endian.npy": np.array([[1, -2], [3, 2**40]], dtype=">i8"),
        "i4.npy": np.array([[7, -7, 2**31 - 1], [-(2**31), 0, 1]], dtype="<i4"),
        "i2.npy": np.array([-32768, 32767, 5], dtype="<i2"),
        "i1.npy": np.array([-128, 127, 0], dtype="|i1"),
        "u1.npy": np.array([0, 255, 17], dtype="|u1"),
        "u2_big_endian.npy": np.array([65535, 1], dtype=">u2"),
        "u4.npy": np.array([4294967295, 3], dtype="<u4"),
        "u8.npy": np.array([2**63 - 1, 9], dtype="<u8"),
        "b1.npy": np.array([[True, False], [False, True]], dtype="|b1"),
        # Column-major storage: fortran_order True in the header.
        "f4_fortran.npy": np.asfortranarray(np.arange(24, dtype="<f4").reshape(2, 3, 4) * 0.5),
        "i8_fortran.npy": np.asfortranarray(np.arange(6, dtype="<i8").reshape(3, 2)),
        "f4_scalar.npy": np.array(3.25, dtype="<f4"),
        "f4_empty.npy": np.zeros((0, 3), dtype="<f4"),
    }
    expected = {}
    for name, array in arrays.items():
        np.save(OUT / name, array)
        expected[name] = expected_entry(OUT / name, array)

    # Format versions 2.0 and 3.0 (4-byte header length; 3.0 allows a UTF-8 header).
    for name, version in (("f4_v2.npy", (2, 0)), ("f4_v3.npy", (3, 0))):
        array = normal[6:12].astype("<f4").reshape(3, 2)
        with open(OUT / name, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
        expected[name] = expected_entry(OUT / name, array)

    # Kinds posemb refuses, each with a clear error.
    np.save(OUT / "unsupported_c8.npy", np.array([1 + 2j], dtype="<c8"))
    np.save(OUT / "unsupported_structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
    np.save(OUT / "u8_above_int64.npy", np.array([1, 2**63], dtype="<u8"))

    write_manifest(OUT / "expected.json", {"numpy_version": np.__version__}, expected)


if __name__ == "__main__":
    main()
