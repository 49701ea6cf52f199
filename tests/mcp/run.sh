#!/usr/bin/env bash
# Runs client.mjs (the official MCP TypeScript SDK against `engram mcp`):
#   tests/mcp/run.sh stdio|http|serve|shared|handover|compare ENGRAM WORK_DIR
# Installs the pinned SDK and reference server with `npm ci` first when
# node_modules is missing or older than package-lock.json (idempotent).
# Exit 77 (skipped) when node or npm is missing or the npm registry is
# unreachable.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mode="$1" engram="$2" work="$3"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed for the MCP client test (apt-get install nodejs npm)"
  exit 77
fi
stamp="$here/node_modules/.engram-installed"
if [[ ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" ]]; then
  # One install at a time when ctest runs the client tests in parallel.
  exec 9>"$here/.npm-install.lock"
  flock 9
  if [[ ! -f "$stamp" || "$here/package-lock.json" -nt "$stamp" ]]; then
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error); then
      echo "SKIP: npm ci failed (is the npm registry reachable?)"
      exit 77
    fi
    touch "$stamp"
  fi
  flock -u 9
fi
rm -rf "$work"
mkdir -p "$work"
# stdio and http serve a store in WORK_DIR/store; compare keeps both servers' files in WORK_DIR.
target="$work"
[[ "$mode" == compare ]] || target="$work/store"
exec node "$here/client.mjs" "$mode" "$engram" "$target"
