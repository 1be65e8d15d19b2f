#!/usr/bin/env bash
# Renders the pictures that README.md and docs/plot.md show, with the built `posemb plot`.
#   scripts/make-doc-images.sh        (after a release build; writes docs/images/*.png)
set -euo pipefail
cd "$(dirname "$0")/.."
posemb=build/release/cli/posemb
out=docs/images
"$posemb" plot table --length 64 --dim 64 -o "$out/sinusoidal-table.png" --width 800 --height 500
"$posemb" plot similarity --length 64 --dim 64 -o "$out/sinusoidal-similarity.png" --width 800 --height 500
"$posemb" plot rope-decay --theta 10000 --theta 500000 --config "$out/configs/yarn.json" --max-distance 1024 \
  -o "$out/rope-decay.png" --width 800 --height 500
"$posemb" plot rope-frequencies --config "$out/configs/llama3.json" --config "$out/configs/yarn.json" \
  -o "$out/rope-frequencies.png" --width 800 --height 500
"$posemb" plot bias --scheme alibi --heads 8 --length 24 -o "$out/alibi.png" --width 800 --height 500
"$posemb" plot study --input docs/study-default/study.json -o "$out/study.png" --width 800 --height 500
echo "wrote $out/*.png" >&2
