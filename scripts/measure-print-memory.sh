#!/bin/sh
# Peak resident memory of `posemb positions` printing tables of a few million values, per
# value, for the factors in cli/print_memory.hpp. An empty run's peak is subtracted.
#   scripts/measure-print-memory.sh [build/release/cli/posemb]
set -eu
posemb=${1:-build/release/cli/posemb}
peak_kb() { /usr/bin/time -f %M -o /tmp/posemb-peak.$$ "$posemb" "$@" >/dev/null && cat /tmp/posemb-peak.$$; }
base=$(peak_kb positions sinusoidal --length 1 --dim 2)
measure() {  # values, then the command's arguments
  values=$1
  shift
  for format in json torch; do
    kb=$(peak_kb "$@" --format "$format")
    echo "$* --format $format: $(( (kb - base) * 1024 / values )) bytes a value"
  done
}
measure 16000000 positions sinusoidal --length 16000 --dim 1000
measure 16000000 positions rope --head-dim 32000000
measure 16000000 positions alibi --heads 16 --length 1000
measure 16000000 positions t5 --length 4000
measure 16000000 positions shaw --clip 16 --length 4000
rm -f /tmp/posemb-peak.$$
