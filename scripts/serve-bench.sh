#!/usr/bin/env bash
# Load benchmark of `engram serve` on loopback (docs/results.md, "HTTP
# service"): a mix of 80% recall and 20% observe with wrk at 8 and 64
# connections, then the same mix in process (bench/service/serve_inprocess_bench)
# on a copy of the same store, for the ratio.
#
#   bash scripts/serve-bench.sh [BUILD_DIR] [SECONDS]
set -euo pipefail
build=${1:-build}
seconds=${2:-15}
here=$(cd "$(dirname "$0")" && pwd)
engram=$build/engram
inproc=$build/serve_inprocess_bench
command -v wrk >/dev/null || { echo "serve-bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x "$engram" ] && [ -x "$inproc" ] || { echo "serve-bench: build engram_tool and serve_inprocess_bench in $build first" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$scratch"' EXIT
"$engram" serve --store "$scratch/store" --listen 127.0.0.1:0 --no-access-log 2>"$scratch/err" &
pid=$!
for _ in $(seq 600); do grep -q "on http://" "$scratch/err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$scratch/err")
url=http://127.0.0.1:$port

# 400 turns of two speakers over 20 sessions, in batches of 100.
python3 - "$url" <<'PY'
import json, sys, urllib.request
url = sys.argv[1]
facts = ["I ran the Porto half marathon", "my sister Ana lives in Lisbon", "I adopted a cat named Miso",
         "I cook dal on weekends", "I moved to Lisbon last spring", "I am learning the cello",
         "we visited Kyoto in April", "I work as a nurse at the clinic", "the garden needs watering",
         "I read a novel about sailors"]
turns = []
for i in range(400):
    speaker = "Dana" if i % 2 == 0 else "Ravi"
    text = f"{facts[i % len(facts)]} (note {i}), and then {facts[(i * 7) % len(facts)].lower()}."
    turns.append({"speaker": speaker, "text": text, "id": f"seed:{i}", "session": f"s{i // 20}",
                  "time": f"2024-{1 + (i // 40) % 12:02d}-{1 + i % 28:02d}T10:00:00Z"})
for k in range(0, len(turns), 100):
    body = json.dumps({"turns": turns[k:k + 100], "sync": True}).encode()
    req = urllib.request.Request(url + "/v1/tenants/bench/turns", body, {"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
PY

for c in 8 64; do
  echo "== wrk: $c connections, 2 threads, ${seconds}s (80% recall, 20% observe)"
  wrk -t2 -c"$c" -d"${seconds}s" --latency -s "$here/serve-bench.lua" "$url" | grep -E "Requests/sec|Latency|50%|99%|requests in|Non-2xx|Socket errors"
done
echo "== wrk: GET /v1/tenants/bench/stats (the HTTP layer alone), 8 connections, 5s"
wrk -t2 -c8 -d5s --latency "$url/v1/tenants/bench/stats" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
kill -TERM $pid; wait $pid || true
echo "== in process, the same mix, same store"
for t in 8 64; do "$inproc" --store "$scratch/store" --threads "$t" --seconds "$seconds"; done
