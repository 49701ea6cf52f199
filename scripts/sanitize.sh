#!/usr/bin/env bash
# Sanitizer runs (docs/testing.md), each in its own build folder, with clang-14:
#
#   asan  build-asan/: everything under AddressSanitizer + UndefinedBehavior-
#         Sanitizer (any UB aborts), then the whole test suite; leak
#         suppressions in tests/sanitizers/lsan.supp
#   tsan  build-tsan/: the library and the tests that run threads under
#         ThreadSanitizer, suppressions in tests/sanitizers/tsan.supp
#
#   scripts/sanitize.sh [asan|tsan]...   (default: both)
#
# Extra arguments after "--" go to both ctest runs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/fetch-model.sh"

phases=()
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    asan|tsan) phases+=("$1") ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "usage: scripts/sanitize.sh [asan|tsan]... [-- ctest arguments]" >&2; exit 2 ;;
  esac
  shift
done
[ ${#phases[@]} -gt 0 ] || phases=(asan tsan)
jobs="$(nproc 2>/dev/null || echo 2)"

# The tests that start threads, for TSan (the rest of the suite is
# single-threaded and gains nothing from it).
tsan_tests=(concurrency_test enrichment_test store_test tiers_store_test tenant_cache_test rw_mutex_test use_lite_test
            rule_based_extractor_test lexical_index_test vector_index_test http_json_client_test
            served_store_test)

# Writes queued on a tenant's memory beside readers.
tsan_tests+=(apply_queue_test)

# The thread that frees closed stores' memory.
tsan_tests+=(background_release_test)

configure() {  # configure <build dir> <sanitizers> [cmake options...]
  local dir="$1" sanitize="$2"
  shift 2
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
    "${launcher[@]}" -DENGRAM_SANITIZE="$sanitize" -DENGRAM_BUILD_BENCHMARKS=OFF -DENGRAM_BUILD_EXAMPLES=OFF \
    -DENGRAM_BUILD_PYTHON=OFF "$@" \
    >/dev/null
}

export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14 || true)}"
export TSAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH}"

for phase in "${phases[@]}"; do
  start=$SECONDS
  case "$phase" in
    asan)
      echo "engram: ASan + UBSan build and the whole test suite (build-asan)" >&2
      # The fuzzers share this build (scripts/fuzz.sh).
      configure "$root/build-asan" address,undefined -DENGRAM_BUILD_FUZZERS=ON
      cmake --build "$root/build-asan" -j "$jobs"
      ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1" \
      LSAN_OPTIONS="suppressions=$root/tests/sanitizers/lsan.supp:print_suppressions=0" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --test-dir "$root/build-asan" --output-on-failure -j "$jobs" --timeout 900 "${ctest_args[@]}"
      ;;
    tsan)
      echo "engram: TSan build and the tests that run threads (build-tsan)" >&2
      configure "$root/build-tsan" thread -DENGRAM_BUILD_TOOLS=OFF
      cmake --build "$root/build-tsan" -j "$jobs" --target "${tsan_tests[@]}"
      # ctest lists the tests of the binaries not built here as *_NOT_BUILT.
      # OMP_TOOL=disabled keeps libomp from loading its TSan annotation tool
      # (libarcher), which misreads FAISS's uninstrumented OpenMP locks as
      # double locks.
      OMP_TOOL=disabled \
      TSAN_OPTIONS="suppressions=$root/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
        ctest --test-dir "$root/build-tsan" --output-on-failure -j "$jobs" --timeout 900 -E '_NOT_BUILT$' \
          "${ctest_args[@]}"
      ;;
  esac
  echo "engram: $phase took $((SECONDS - start)) s" >&2
done
