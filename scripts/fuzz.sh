#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset, clang, ASan + UBSan) and runs each one over
# its seed corpus, fuzz/corpus/<target>/, for a bounded time. Fails if any target crashes,
# trips a sanitizer, leaks, hangs (10 s on one input), breaks one of its checks, or makes one
# allocation above 1 GiB: the library must check sizes in headers against the data before it
# allocates. docs/fuzzing.md lists the targets and how to reproduce a finding.
#   scripts/fuzz.sh          8 seconds per target (about a minute and a half in all)
#   scripts/fuzz.sh 300      5 minutes per target
# The seeds are copied to a temporary folder first, so the committed corpus is not changed;
# inputs that fail are saved as build/fuzz/findings/<target>/crash-* (or leak-, oom-, timeout-)
# and each target's log as build/fuzz/findings/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-8}"
targets=(tokenizer safetensors npy hf_config checkpoint rank_file token_lines training_text)

echo "== fuzz: configure, build" >&2
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
findings=build/fuzz/findings
failed=()
for target in "${targets[@]}"; do
  mkdir -p "$work/$target" "$findings/$target"
  cp fuzz/corpus/"$target"/* "$work/$target/"
  log="$findings/$target.log"
  status=0
  build/fuzz/fuzz/"${target}_fuzz" "$work/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/$target/" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  if [[ $status -eq 0 ]]; then
    echo "== fuzz: $target: ${runs:-?} runs in ${seconds} s, no findings" >&2
  else
    echo "== fuzz: $target: FAILED (exit $status); the end of $log:" >&2
    tail -n 30 "$log" >&2
    failed+=("$target")
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "== fuzz: findings in ${failed[*]} (inputs under $findings/)" >&2
  exit 1
fi
