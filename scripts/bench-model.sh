#!/usr/bin/env bash
# Training-step speed of our tiny GPT against the same model in PyTorch (Debian's
# python3-torch + OpenBLAS), measured in one run, for 1 and 2 threads, and the attention
# kernel's GFLOP/s. Prints a Markdown table with the ratios.
#   scripts/bench-model.sh            both thread counts
#   scripts/bench-model.sh 1          one thread count
# Needs scripts/setup.sh --reference (python3-torch). Timings on a busy machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --reference
cmake --preset release >/dev/null
cmake --build --preset release --target model_train_step_bench attention_forward_bench >&2
threads=("${@:-1 2}")
out=build/release/bench-model
mkdir -p "$out"
for t in ${threads[@]}; do
  echo "== $t thread(s): posemb" >&2
  POSEMB_THREADS=$t build/release/bench/model_train_step_bench --benchmark_format=json >"$out/posemb-$t.json"
  echo "== $t thread(s): PyTorch" >&2
  OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t /usr/bin/python3 bench/model_train_step_torch.py --threads "$t" >"$out/torch-$t.json"
  echo "== $t thread(s): attention forward" >&2
  POSEMB_THREADS=$t OPENBLAS_NUM_THREADS=$t build/release/bench/attention_forward_bench --benchmark_format=json \
    --benchmark_min_time=2 >"$out/attention-$t.json"
done
/usr/bin/python3 - "$out" ${threads[@]} <<'PY'
import json, sys
out, threads = sys.argv[1], sys.argv[2:]
ours, theirs, attn = {}, {}, {}
for t in threads:
    for b in json.load(open(f"{out}/posemb-{t}.json"))["benchmarks"]:
        name = b["name"]  # BM_TrainStep/vocab:256/T:128/...
        v = int(name.split("vocab:")[1].split("/")[0]); T = int(name.split("T:")[1].split("/")[0])
        ours[(t, v, T)] = b["tok/s"]
    for r in json.load(open(f"{out}/torch-{t}.json"))["results"]:
        theirs[(t, r["vocab"], r["T"])] = r["tokens_per_second"]
    for b in json.load(open(f"{out}/attention-{t}.json"))["benchmarks"]:
        attn[(t, b["name"].split("/")[0] + ("/" + b["name"].split(":")[-1].split("/")[0] if "scheme" in b["name"] else ""))] = b["GFLOP/s"]
print("| threads | vocab, T | posemb tok/s | PyTorch tok/s | ratio |")
print("|---|---|---:|---:|---:|")
for t in threads:
    for (tt, v, T) in sorted(k for k in ours if k[0] == t):
        a, b = ours[(t, v, T)], theirs.get((t, v, T))
        print(f"| {t} | {v}, {T} | {a:,.0f} | {b:,.0f} | {a / b:.2f}x |" if b else f"| {t} | {v}, {T} | {a:,.0f} | – | – |")
if len(threads) >= 2:
    t1, t2 = threads[0], threads[1]
    print(f"\n{t2} threads vs {t1}:", ", ".join(f"vocab {v} T {T}: {ours[(t2, v, T)] / ours[(t1, v, T)]:.2f}x"
                                         for (tt, v, T) in sorted(k for k in ours if k[0] == t1)))
print("\n| threads | attention forward, T=1024, 32 heads, dim 128 | GFLOP/s |")
print("|---|---|---:|")
names = {"BM_AttentionForward/0": "no scheme", "BM_AttentionForward/1": "distance bias (ALiBi/T5)",
         "BM_AttentionForward/2": "Shaw relative keys/values", "BM_SgemmSameFlops": "peer: OpenBLAS sgemm, same FLOPs"}
for (t, n), g in sorted(attn.items()):
    print(f"| {t} | {names.get(n, n)} | {g:.1f} |")
PY
