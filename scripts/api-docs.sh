#!/usr/bin/env bash
# Generates the API reference of the public headers into OUT_DIR/html
# (default build/docs/html) with Doxygen; exits 1 when Doxygen warns (a
# malformed comment), 77 when Doxygen is not installed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$(realpath -m "${1:-$root/build/docs}")"
if ! command -v doxygen >/dev/null 2>&1; then
  echo "doxygen is not installed (Debian: apt-get install doxygen); no API reference generated" >&2
  exit 77
fi
mkdir -p "$out"
cd "$root"
{ cat docs/api/Doxyfile; echo "OUTPUT_DIRECTORY = $out"; echo "WARN_LOGFILE = $out/warnings.log"; } | doxygen - >/dev/null
if [ -s "$out/warnings.log" ]; then
  echo "doxygen warnings:" >&2
  cat "$out/warnings.log" >&2
  exit 1
fi
echo "API reference: $out/html/index.html"
