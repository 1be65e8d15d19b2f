#!/usr/bin/env bash
# Quick start, part 1: install dependencies, build, and run the main job.
#   scripts/run.sh                 runs `posemb embed` on its built-in example
#   scripts/run.sh tokenize "hi"   runs any other subcommand
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target posemb-cli >&2
if (($# == 0)); then set -- embed; fi
exec build/release/cli/posemb "$@"
