#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test;
# then the sanitizer runs (scripts/sanitize.sh: ASan + UBSan, TSan) and a
# short fuzz run (scripts/fuzz.sh), see docs/testing.md. Arguments go to the
# first ctest run. ENGRAM_TEST_SANITIZERS=0 skips the sanitizer and fuzz
# runs; ENGRAM_FUZZ_SECONDS sets the fuzz time per fuzzer (default 20).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 900 "$@")
if [ "${ENGRAM_TEST_SANITIZERS:-1}" != 0 ]; then
  bash "$root/scripts/sanitize.sh"
  bash "$root/scripts/fuzz.sh" "${ENGRAM_FUZZ_SECONDS:-20}"
fi
