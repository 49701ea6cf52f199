#!/usr/bin/env bash
# Builds the scale benchmark in Release (build/) and runs it with the given
# arguments, e.g.
#
#   scripts/scale-bench.sh --turns 1000,10000,100000 --tenants 1000,10000 --json scale.json
#
# See bench/scale/scale_bench.cc for the phases and `--help` for options.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if command -v ccache >/dev/null 2>&1; then
  export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  export CMAKE_C_COMPILER_LAUNCHER="${CMAKE_C_COMPILER_LAUNCHER:-ccache}"
fi
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release -DENGRAM_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$root/build" --target scale_bench -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "engram $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) cores, $(uname -m)"
exec "$root/build/scale_bench" "$@"
