#!/usr/bin/env bash
# The main job: installs what is missing, builds, then ingests a small
# multi-session conversation and shows what engram remembers.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh" >/dev/null
engram="$root/build/engram"
store="$(mktemp -d /tmp/engram-demo-XXXXXX)"
trap 'rm -rf "$store"' EXIT
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say engram ingest --store STORE examples/data/trip_planning.jsonl
"$engram" ingest --store "$store" "$root/examples/data/trip_planning.jsonl"

say engram stats --store STORE
"$engram" stats --store "$store"

say engram recall --store STORE --tenant dana --k 3 --explain "Where did Dana run a half marathon?"
"$engram" recall --store "$store" --tenant dana --k 3 --explain "Where did Dana run a half marathon?"

say engram recall --store STORE --tenant dana --k 3 "When did Dana hike to the Pena Palace?"
"$engram" recall --store "$store" --tenant dana --k 3 "When did Dana hike to the Pena Palace?"

say engram profile --store STORE --tenant dana --history   # a knowledge update closes, never deletes
"$engram" profile --store "$store" --tenant dana --history

say engram profile --store STORE --tenant dana --as-of 2024-04-01
"$engram" profile --store "$store" --tenant dana --as-of 2024-04-01

say engram summaries --store STORE --tenant dana
"$engram" summaries --store "$store" --tenant dana

say engram graph --store STORE --tenant dana --entity Dana --format dot
"$engram" graph --store "$store" --tenant dana --entity Dana --format dot

say engram recall --store STORE --tenant dana --budget 200 "What should I cook for Dana?"
"$engram" recall --store "$store" --tenant dana --budget 200 "What should I cook for Dana?"

say engram forget --store STORE --tenant omar
"$engram" forget --store "$store" --tenant omar
