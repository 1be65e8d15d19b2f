#!/usr/bin/python3
"""Golden output of PyTorch's tensor printing, for tests/core/tensor_print_test.cpp.

Writes tests/goldens/core/tensor_print.json: for each case the tensor (dtype, shape, values;
float32 values as their IEEE bit patterns so that nan, inf and -0. survive), how it is viewed,
the print options and suffixes, and `repr(tensor)` exactly as torch printed it.

Run with Debian's torch (python3-torch, 1.13):
    /usr/bin/python3 tools/goldens/core/tensor_print.py [output.json]
The random cases come from a fixed numpy seed, so reruns give the same file.
"""
import json
import pathlib
import sys

import numpy as np
import torch

OUT = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else (
    pathlib.Path(__file__).resolve().parents[3] / "tests/goldens/core/tensor_print.json")

DEFAULT_OPTIONS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)

cases = []


def add(name, tensor, *, transpose=False, suffix=None, options=None):
    """Records repr() of `tensor` (or of its last-two-dims transpose, a strided view).

    suffix: None, "requires_grad" (a leaf that requires grad) or "grad_fn" (the output of
    an embedding lookup, as the notebook prints it); the suffix torch printed is recorded.
    """
    base = tensor.detach().clone().contiguous()
    shown = base.transpose(-1, -2) if transpose else base
    suffixes = []
    if suffix == "requires_grad":
        shown = shown.clone().requires_grad_()
        suffixes = ["requires_grad=True"]
    elif suffix == "grad_fn":
        # The same values as the output of an embedding lookup (rows of a table picked by
        # ids shaped like the leading dimensions), so that torch prints
        # grad_fn=<EmbeddingBackward0> as in the notebook.
        table = shown.reshape(-1, shown.shape[-1]).clone().requires_grad_()
        ids = torch.arange(table.shape[0]).reshape(shown.shape[:-1])
        shown = torch.nn.functional.embedding(ids, table)
        suffixes = ["grad_fn=<{}>".format(type(shown.grad_fn).__name__)]
    opts = dict(DEFAULT_OPTIONS, **(options or {}))
    torch.set_printoptions(**opts)
    try:
        text = repr(shown)
    finally:
        torch.set_printoptions(profile="default")
        torch.set_printoptions(sci_mode=None)
    case = {
        "name": name,
        "dtype": {torch.float32: "float32", torch.int64: "int64"}[base.dtype],
        "shape": list(base.shape),
        "transpose_last_two": transpose,
        "suffixes": suffixes,
        "options": opts,
        "repr": text,
    }
    if base.dtype == torch.float32:
        case["bits"] = base.reshape(-1).numpy().view(np.uint32).tolist()
    else:
        case["values"] = base.reshape(-1).tolist()
    cases.append(case)


f32 = torch.float32
nan, inf = float("nan"), float("inf")

# 0-d tensors
for i, v in enumerate([3.5, 2.0, -0.0, 0.0, nan, -nan, inf, -inf, 1e-5, 123456789.0, 1e8, 1.5e8,
                       -2.75, 0.1, 1e30, 3.4e38, 1e-45]):
    add(f"scalar_float_{i}", torch.tensor(v, dtype=f32))
for i, v in enumerate([7, -3, 0, 2**62, -(2**63)]):
    add(f"scalar_int_{i}", torch.tensor(v, dtype=torch.int64))

# empty tensors
for shape in [(0,), (0, 3), (2, 0, 4), (3, 0)]:
    add(f"empty_float_{'x'.join(map(str, shape))}", torch.zeros(shape, dtype=f32))
    add(f"empty_int_{'x'.join(map(str, shape))}", torch.zeros(shape, dtype=torch.int64))

# crafted 1-d vectors: each Formatter mode and its boundaries
crafted = {
    "fixed": [0.4087, -0.4383, 1.0, -1.7568],
    "integers_as_float": [1.0, -2.0, 30.0, 0.0],
    "integers_wide_ratio": [1.0, 2000.0],
    "integers_huge": [1.0, 2.0e8],
    "integers_just_below_1e8": [3.0, 99999992.0],
    "zeros": [0.0, 0.0, 0.0],
    "negative_zero": [-0.0, 0.0],
    "negative_zero_fixed": [-0.0, 1.5],
    "tiny_min": [1e-5, 1.0],
    "min_at_1e-4": [1e-4, 0.5],
    "ratio_just_over_1000": [1.0, 1000.5],
    "ratio_exactly_1000": [0.001, 1.0],
    "big_fractional": [1.5e8, 1.0],
    "nan_only": [nan, nan],
    "nan_and_int": [1.0, nan],
    "nan_and_fixed": [-nan, 1.5],
    "inf_and_sci": [1e-5, inf, -inf],
    "inf_and_int": [inf, -inf, 3.0],
    "inf_and_fixed": [inf, 2.5],
    "all_nonfinite": [nan, inf, -inf, 0.0],
    "rounding_to_zero_digits": [0.00015, 0.99995, 9.99995],
    "halfway_cases": [0.12345, 0.00125, 2.5, 3.5],
    "mixed_sign_sci": [-1.5e-7, 2.5e9, 3.0],
    "denormal": [1e-45, 1.0],
    "float_max": [3.4028234663852886e38, -1.0],
    "long_fixed": [123456.789, 1.5],
    "negative_integers": [-1.0, -1000.0, -12.0],
}
for name, values in crafted.items():
    add(f"vector_{name}", torch.tensor(values, dtype=f32))

# integer (int64) tensors
add("int_ids", torch.tensor([[15496, 616, 1438, 318, 22028]]))
add("int_negative", torch.tensor([-1, 20, -300, 4000]))
add("int_wrapping", torch.arange(-20, 60, 3))
add("int_summarized", torch.arange(2000))
add("int_matrix_summarized", torch.arange(35 * 35).reshape(35, 35) * 1234567)
add("int_3d", torch.arange(24).reshape(2, 3, 4) - 10)
add("int_extremes", torch.tensor([2**63 - 1, -(2**63), 0]))

# line wrapping at linewidth 80, with and without indentation
g = torch.Generator().manual_seed(1)
add("wrap_1d_30", torch.randn(30, generator=g))
add("wrap_1d_exact_fit", torch.tensor([1.25] * 8, dtype=f32))
add("wrap_1d_ints", torch.arange(100, dtype=f32))
add("wrap_2d", torch.randn(3, 25, generator=g))
add("wrap_3d_sci", torch.randn(2, 2, 15, generator=g) * 1e-6)
add("no_summary_at_1000", torch.randn(1000, generator=g))
add("summary_at_1001", torch.randn(1001, generator=g))
add("summary_2d_rows", torch.randn(600, 2, generator=g))
add("summary_2d_cols", torch.randn(2, 600, generator=g))
add("summary_2d_both", torch.randn(40, 40, generator=g))
add("summary_3d", torch.randn(8, 10, 20, generator=g))
add("summary_4d", torch.randn(7, 7, 7, 7, generator=g))
add("summary_4d_small_outer", torch.randn(2, 3, 20, 20, generator=g))
add("summary_sci_mixed", torch.randn(40, 40, generator=g) * torch.logspace(-6, 6, 40))
add("summary_hidden_extreme", torch.cat([torch.tensor([1e-9]), torch.ones(1500), torch.tensor([5.0])]))
add("summary_int_like", torch.arange(1200, dtype=f32).reshape(12, 100))

# the notebook's tensors: shapes [1, 5, 2] and [5, 2]
add("notebook_token_embeddings", torch.randn(1, 5, 2, generator=g), suffix="grad_fn")
add("notebook_position_embeddings", torch.randn(5, 2, generator=g), suffix="grad_fn")

# suffixes, including ones that do not fit on the last line
add("suffix_requires_grad", torch.randn(4, generator=g), suffix="requires_grad")
add("suffix_grad_fn_wraps", torch.randn(2, 9, generator=g), suffix="grad_fn")
add("suffix_grad_fn_1d_long", torch.randn(8, generator=g), suffix="grad_fn")
add("suffix_scalar", torch.tensor(1.5), suffix="requires_grad")

# strided views (transposed), like printing t.T
add("transposed_2d", torch.randn(3, 4, generator=g), transpose=True)
add("transposed_3d", torch.randn(2, 3, 5, generator=g), transpose=True)
add("transposed_summarized", torch.randn(4, 260, generator=g), transpose=True)

# non-default print options (torch.set_printoptions)
add("precision_2", torch.randn(3, 3, generator=g), options={"precision": 2})
add("precision_8", torch.randn(5, generator=g), options={"precision": 8})
add("precision_0", torch.randn(5, generator=g) * 10, options={"precision": 0})
add("linewidth_120", torch.randn(40, generator=g), options={"linewidth": 120})
add("linewidth_10", torch.randn(2, 6, generator=g), options={"linewidth": 10})
add("threshold_5", torch.arange(10, dtype=f32), options={"threshold": 5})
add("threshold_5_int", torch.arange(20).reshape(4, 5), options={"threshold": 5})
add("edgeitems_1", torch.randn(30, 30, generator=g), options={"edgeitems": 1})
add("sci_mode_on", torch.randn(2, 3, generator=g), options={"sci_mode": True})
add("sci_mode_off", torch.randn(4, generator=g) * 1e-6, options={"sci_mode": False})
add("sci_mode_on_ints", torch.tensor([1.0, 2.0, nan]), options={"sci_mode": True})

# random cases: shapes 0-d..4-d, magnitudes from 1e-12 to 1e12, some integer-valued,
# some with nan/inf/-0. sprinkled in
rng = np.random.default_rng(20240601)
for i in range(300):
    rank = int(rng.integers(0, 5))
    shape = tuple(int(rng.integers(1, 6 if rank >= 3 else 12)) for _ in range(rank))
    n = int(np.prod(shape)) if shape else 1
    kind = rng.integers(0, 6)
    if kind == 0:
        values = rng.standard_normal(n)
    elif kind == 1:
        values = rng.standard_normal(n) * 10.0 ** rng.integers(-12, 13)
    elif kind == 2:
        values = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
    elif kind == 3:
        values = np.round(rng.standard_normal(n) * 10.0 ** rng.integers(0, 10))
    elif kind == 4:
        values = rng.integers(-5, 6, n).astype(np.float64)
    else:
        values = rng.uniform(-1, 1, n)
    values = values.astype(np.float32)
    special = rng.random(n) < 0.05
    values[special] = rng.choice(np.array([nan, inf, -inf, -0.0, 0.0], dtype=np.float32), special.sum())
    add(f"random_{i}", torch.from_numpy(values.reshape(shape)))
for i in range(40):
    shape = tuple(int(rng.integers(1, 9)) for _ in range(int(rng.integers(1, 4))))
    values = rng.integers(-10 ** int(rng.integers(1, 15)), 10 ** int(rng.integers(1, 15)), size=shape)
    add(f"random_int_{i}", torch.from_numpy(np.asarray(values, dtype=np.int64)))

document = {
    "generator": "tools/goldens/core/tensor_print.py",
    "torch_version": torch.__version__,
    "numpy_version": np.__version__,
    "cases": cases,
}
OUT.write_text(json.dumps(document, indent=None, separators=(",", ":")) + "\n")
print(f"wrote {len(cases)} cases to {OUT}")
