#!/usr/bin/env bash
# Exhaustive check that our scalar Cephes log/sincos (src/core/portable_math.cpp) give the
# same bits as torch's AVX2 Box–Muller code for every input it can see (2^24 each).
# Needs python3-torch (for the header; scripts/setup.sh --reference) and an AVX2 CPU.
#   tools/goldens/core/check_torch_avx2_math.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
header_dir=$(/usr/bin/python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "include"))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Ours: as the library builds it (no contraction).
g++ -std=c++20 -O2 -ffp-contract=off -Iinclude -c src/core/portable_math.cpp -o "$work/portable_math.o"
# Torch's: as torch builds its AVX2 kernels (GCC contracts multiply-adds by default).
g++ -std=gnu++20 -O2 -mavx2 -mfma -ffp-contract=fast -w -Iinclude -I"$header_dir" \
    tools/goldens/core/check_torch_avx2_math.cpp "$work/portable_math.o" -o "$work/check"
"$work/check"
