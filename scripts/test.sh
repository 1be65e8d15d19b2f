#!/usr/bin/env bash
# Quick start, part 2: install dependencies, build, and run the whole test suite:
# once optimised, once under AddressSanitizer + UndefinedBehaviorSanitizer, then every fuzz
# target for a few seconds over its seed corpus (scripts/fuzz.sh).
#   scripts/test.sh            all three
#   scripts/test.sh release    the optimised build only (any list of release, asan, fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
presets=("${@:-release asan fuzz}")
for preset in ${presets[@]}; do
  if [[ "$preset" == fuzz ]]; then
    scripts/fuzz.sh
    continue
  fi
  echo "== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
