#!/usr/bin/env bash
# Quick start, part 2: install dependencies, build, and run the whole test suite:
# once optimised, once under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh            both
#   scripts/test.sh release    the optimised build only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
presets=("${@:-release asan}")
for preset in ${presets[@]}; do
  echo "== $preset: configure, build, test" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
done
