#!/usr/bin/env bash
# Speed of the positional kernels as a multiple of memcpy of the same bytes, measured in the
# same run (bench/positional_kernels_bench.cpp): RoPE (both pairings, default and YaRN cos/sin
# caches, out of place and in place), sinusoidal rows added to the input, ALiBi/T5 bias added
# to the scores; T = 512 and 4096, 1 and 2 threads; and, as yardsticks, the add and the bias
# written as plain loops, and out = -x over RoPE's tensor. Prints a Markdown table of the
# median over REPS runs (default 3) of the kernel's effective GB/s (tensor read and written,
# plus the tables it reads) as a multiple of memcpy's, then, for the rows where the tables'
# bytes make a difference, the plain time ratio (copy time / kernel time).
#   scripts/bench-positional.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target positional_kernels_bench >&2
out=build/release/bench-positional.json
build/release/bench/positional_kernels_bench --benchmark_repetitions="${REPS:-3}" \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$out"
python3 - "$out" <<'PY'
import json, sys, re
rows, times, cols = {}, {}, []
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    args = dict(re.findall(r"(\w+):(\d+)", b["run_name"]))
    kernel = b["run_name"].split("/")[0][3:]
    if kernel == "Rope":
        name = "RoPE {}{}, {}".format("interleaved" if args["interleaved"] == "1" else "halves",
                                       " YaRN" if args["yarn"] == "1" else "",
                                       "in place" if args["in_place"] == "1" else "out of place")
    elif kernel == "SinusoidalAdd":
        name = "{}, {}".format("plain loop x + row, batch 1" if args["plain"] == "1"
                               else "sinusoidal add, batch " + args["batch"],
                               "in place" if args["in_place"] == "1" else "out of place")
    elif kernel == "PlainNegate":
        name = "plain loop out = -x (RoPE's x), {}".format("in place" if args["in_place"] == "1" else "out of place")
    else:
        name = "plain loop scores += window" if args["plain"] == "1" else "bias add (in place)"
    col = "T={} {}t".format(args["T"], args["threads"])
    if col not in cols:
        cols.append(col)
    rows.setdefault(name, {})[col] = b["x_memcpy"]
    times.setdefault(name, {})[col] = b["time_x_memcpy"]

def table(title, rows):
    print("| {} | {} |".format(title, " | ".join(cols)))
    print("|---|" + "---:|" * len(cols))
    for name, values in rows.items():
        print("| {} | {} |".format(name, " | ".join("{:.2f}".format(values[c]) if c in values else "–" for c in cols)))

table("kernel (effective GB/s × memcpy's, median of runs)", rows)
differ = {name: values for name, values in times.items()
          if any(abs(values[c] / rows[name][c] - 1) > 0.02 for c in values)}
if differ:
    print()
    table("kernel (copy time / kernel time, median of runs)", differ)
PY
