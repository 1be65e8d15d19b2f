#!/usr/bin/env bash
# Training-step speed of our tiny GPT against the same model in PyTorch (Debian's
# python3-torch + OpenBLAS), measured in one run, for 1 and 2 threads, and the attention
# kernel's GFLOP/s. Prints a Markdown table with the ratios.
#   scripts/bench-model.sh            both thread counts
#   scripts/bench-model.sh 1          one thread count
#   ROUNDS=5 scripts/bench-model.sh   more rounds (default 3)
# Each round runs ours and PyTorch back to back; the table keeps each side's best round, so
# that a burst of load from other processes does not decide the ratio.
# Needs scripts/setup.sh --reference (python3-torch). Timings on a busy machine are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --reference
cmake --preset release >/dev/null
cmake --build --preset release --target model_train_step_bench attention_forward_bench >&2
threads=("${@:-1 2}")
out=build/release/bench-model
mkdir -p "$out"
rounds=${ROUNDS:-3}
rm -f "$out"/*.json
for r in $(seq 1 "$rounds"); do
  for t in ${threads[@]}; do
    echo "== round $r, $t thread(s): posemb, PyTorch, attention" >&2
    POSEMB_THREADS=$t build/release/bench/model_train_step_bench --benchmark_format=json \
      --benchmark_min_time=2 >"$out/posemb-$t-$r.json"
    OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t /usr/bin/python3 bench/model_train_step_torch.py --threads "$t" \
      --min-time 2 >"$out/torch-$t-$r.json"
    POSEMB_THREADS=$t OPENBLAS_NUM_THREADS=$t build/release/bench/attention_forward_bench --benchmark_format=json \
      --benchmark_min_time=2 >"$out/attention-$t-$r.json"
  done
done
/usr/bin/python3 - "$out" "$rounds" ${threads[@]} <<'PY'
import json, sys
out, rounds, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ours, theirs, attn = {}, {}, {}
best = lambda d, k, x: d.__setitem__(k, max(d.get(k, 0.0), x))
for t in threads:
  for r in range(1, rounds + 1):
    for b in json.load(open(f"{out}/posemb-{t}-{r}.json"))["benchmarks"]:
        name = b["name"]  # BM_TrainStep/vocab:256/T:128/...
        v = int(name.split("vocab:")[1].split("/")[0]); T = int(name.split("T:")[1].split("/")[0])
        best(ours, (t, v, T), b["tok/s"])
    for res in json.load(open(f"{out}/torch-{t}-{r}.json"))["results"]:
        best(theirs, (t, res["vocab"], res["T"]), res["tokens_per_second"])
    for b in json.load(open(f"{out}/attention-{t}-{r}.json"))["benchmarks"]:
        key = b["name"].split("/")[0] + ("/" + b["name"].split(":")[-1].split("/")[0] if "scheme" in b["name"] else "")
        best(attn, (t, key), b["GFLOP/s"])
print(f"Best of {rounds} rounds each.\n")
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
