#!/usr/bin/env bash
# Builds the libFuzzer fuzzers (fuzz/, in the ASan + UBSan build folder
# build-asan) and runs each for a while, starting from its seed corpus in
# fuzz/corpus/<name>/ (docs/testing.md).
#
#   scripts/fuzz.sh [seconds-per-fuzzer] [fuzzer-name...]   (default 60 s, all)
#
# New inputs that reach new code are kept in build-asan/fuzz-corpus/<name>/
# (not in the repository), so later runs continue from them. A crash or a
# failed property stops the run, saves the input as
# build-asan/fuzz-artifacts/<name>/crash-*, and makes this script fail; rerun
# one input with: build-asan/fuzz/<name>_fuzzer <file>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
[ $# -gt 0 ] && shift
all=(turn_line locomo iso_time time_expressions turn_codec record_codec lexical_image)
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=("${all[@]}")

build="$root/build-asan"
if [ ! -f "$build/CMakeCache.txt" ] || ! grep -q '^ENGRAM_BUILD_FUZZERS:BOOL=ON' "$build/CMakeCache.txt"; then
  bash "$root/scripts/install-deps.sh"
  launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 \
    -DCMAKE_CXX_COMPILER=clang++-14 "${launcher[@]}" -DENGRAM_SANITIZE=address,undefined \
    -DENGRAM_BUILD_FUZZERS=ON -DENGRAM_BUILD_BENCHMARKS=OFF -DENGRAM_BUILD_EXAMPLES=OFF -DENGRAM_BUILD_PYTHON=OFF >/dev/null
fi
targets=()
for name in "${fuzzers[@]}"; do targets+=("${name}_fuzzer"); done
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target "${targets[@]}" >/dev/null

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14 || true)}"
failed=()
for name in "${fuzzers[@]}"; do
  corpus="$build/fuzz-corpus/$name" artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$corpus" "$artifacts"
  log="$build/fuzz-artifacts/$name.log"
  # -max_len keeps inputs around the size of real lines and records; -rss_limit_mb
  # and -timeout turn runaway memory or time into findings too.
  if "$build/fuzz/${name}_fuzzer" "$corpus" "$root/fuzz/corpus/$name" -max_total_time="$seconds" \
       -max_len=4096 -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 \
       >"$log" 2>&1; then
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
    echo "engram: ${name}_fuzzer ok (${seconds} s, ${runs} inputs)" >&2
  else
    echo "engram: ${name}_fuzzer FAILED; last lines of $log:" >&2
    tail -n 40 "$log" >&2
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "engram: fuzzers that failed: ${failed[*]} (inputs in $build/fuzz-artifacts/)" >&2
  exit 1
fi
