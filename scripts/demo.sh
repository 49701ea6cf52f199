#!/usr/bin/env bash
# A one-minute story: installs what is missing and builds, then follows a
# travel assistant's memory of Dana over four conversations (March to July
# 2024): questions of different kinds answered with evidence, a fact that
# changes, and forgetting. Every step is an `engram` command you can rerun.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh" >/dev/null
engram="$root/build/engram"
work="$(mktemp -d /tmp/engram-demo-XXXXXX)"
trap 'rm -rf "$work"' EXIT
store="$work/store"
conversation="$root/examples/data/trip_planning.jsonl"
# The first three conversations now, the fourth later (a knowledge update).
grep -v '"session": "s4"' "$conversation" >"$work/march-to-may.jsonl"
grep '"session": "s4"' "$conversation" >"$work/july.jsonl"

bold=$'\033[1m' dim=$'\033[2m' off=$'\033[0m'
[ -t 1 ] || { bold="" dim="" off=""; }
tell() { printf '\n%s%s%s\n' "$bold" "$*" "$off"; }
# Shows the command as you would type it (STORE for the store folder).
run() {
  local shown=() a
  for a in "$@"; do
    a="${a//$store/STORE}"
    a="${a//$work\//}"
    [[ "$a" == *" "* ]] && a="\"$a\""
    shown+=("$a")
  done
  printf '%s$ engram %s%s\n' "$dim" "${shown[*]}" "$off"
  "$engram" "$@"
}

tell "1. Dana talked with a travel assistant three times (March, April, May 2024); another user, Omar, twice. The agent observed every turn:"
run ingest --store "$store" "$work/march-to-may.jsonl"
run stats --store "$store"

tell "2. A single fact, weeks later. Every hit names the turn it comes from ([s3:3] = session s3, turn 3):"
run recall --store "$store" --tenant dana --k 2 --tier episodic --tier persona "What is the name of Dana's cat?"

tell "3. A question about time. The router picks the temporal route; 'two days ago' was stored as a date:"
run recall --store "$store" --tenant dana --k 2 --explain "When did Dana hike to the Pena Palace?"

tell "4. What an agent pastes into its prompt: a context within a token budget, facts and evidence with provenance:"
run recall --store "$store" --tenant dana --budget 250 "Which restaurant would suit Dana's diet?"

tell "5. Where does Dana live? In May she only planned to move, so still Lisbon:"
run recall --store "$store" --tenant dana --k 2 --tier persona --tier graph "Where does Dana live?"

tell "6. July: Dana has moved. The new fact closes the old one instead of deleting it:"
run ingest --store "$store" "$work/july.jsonl"
run recall --store "$store" --tenant dana --k 2 --tier persona --tier graph "Where does Dana live?"
run profile --store "$store" --tenant dana --history
run profile --store "$store" --tenant dana --as-of 2024-04-01   # what was true on 1 April

tell "7. Forgetting. Dana asks the agent to forget her cat's name: that one turn goes, with what only it supported:"
run forget --store "$store" --tenant dana --source-id s3:3
run recall --store "$store" --tenant dana --k 2 --tier episodic --tier persona "What is the name of Dana's cat?"
tell "   Omar asks to be forgotten altogether: every record of his is removed, and its bytes erased from disk:"
run forget --store "$store" --tenant omar
run stats --store "$store"

tell "Where to go next:"
cat <<EOF
  docs/concepts.md       tenants, sessions, speakers and the four memory tiers
  docs/integration.md    the agent loop: recall before observe, budgets, observing replies
  examples/              small programs to copy; a chat agent to try:
                           build/example_chat_agent /tmp/my-memory Dana
  docs/lifecycle.md      correcting, forgetting and writing single memories; core memory
  docs/mcp.md            engram as an MCP server (Claude Desktop, Claude Code, ...)
  docs/http-api.md       engram serve: a JSON HTTP API with tokens
  docs/cli.md            every engram command
EOF
