#!/usr/bin/env bash
# Tokenizer speed against its peers, on the same texts, in one run (gpt2, single thread):
#   tiktoken (npm, official WASM build), tiktoken-rs-node (native tiktoken-rs), gpt-tokenizer
#   (pure JS), and posemb (bench/tokenizer_bench, Google Benchmark).
# Prints MB/s per text and posemb's speed as a multiple of each peer's, then posemb's long-run
# and batch (1 vs 2 threads) numbers. Everything it fetches goes under build/bench-tokenizer/.
#   scripts/bench-tokenizer.sh           full run (includes 100 KB of `a`: ~40 s for the peers)
#   scripts/bench-tokenizer.sh --quick   without the 100 KB run of the peers
# Needs Node.js + npm (scripts/setup.sh --reference) and apt-get (for the man pages).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then scripts/setup.sh --reference; fi
work=build/bench-tokenizer
tools/bench/tokenizer/make_texts.sh

[[ -f "$work/peers/package.json" ]] || { mkdir -p "$work/peers"; echo '{"private": true}' >"$work/peers/package.json"; }
npm install --prefix "$work/peers" --no-audit --no-fund --silent \
  tiktoken@1.0.22 tiktoken-rs-node-linux-x64-gnu@1.0.6 gpt-tokenizer@4.0.0

cmake --preset release >/dev/null
cmake --build --preset release --target tokenizer_bench >&2

echo "== peers (node $(node --version))" >&2
node tools/bench/tokenizer/bench_peers.mjs "$work/peers/node_modules" "$work/texts" "$work/texts" "$@" \
  | tee "$work/peers.jsonl" >&2
echo "== posemb" >&2
POSEMB_TOKENIZER_TEXTS="$work/texts" build/release/bench/tokenizer_bench \
  --benchmark_filter='encode_ordinary|long_run|batch' \
  --benchmark_out="$work/posemb.json" --benchmark_out_format=json >&2
echo
node tools/bench/tokenizer/report.mjs "$work/peers.jsonl" "$work/posemb.json"
