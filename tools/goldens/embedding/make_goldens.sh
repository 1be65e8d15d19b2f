#!/usr/bin/env bash
# Regenerates tests/goldens/embedding/ from the references:
#   embedding.json          torch.nn.Embedding forward/backward   (python3-torch)
#   notebook_*.txt, notebook_cases.json
#                           the notebook, run in torch, with tiktoken's gpt2 ids (npm tiktoken)
# npm packages go to build/npm-cache/ at pinned versions, never into the repository.
# Needs scripts/setup.sh --reference (python3-torch, Node.js, npm).
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=tools/goldens/embedding
cache=build/npm-cache/goldens-embedding
mkdir -p "$cache"
if [[ ! -f "$cache/package.json" ]]; then echo '{"private": true}' >"$cache/package.json"; fi
npm install --prefix "$cache" --no-audit --no-fund --silent tiktoken@1.0.22
/usr/bin/python3 "$here/embedding.py"
/usr/bin/python3 "$here/notebook.py" "$cache/node_modules"
