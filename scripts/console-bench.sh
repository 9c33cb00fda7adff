#!/usr/bin/env bash
# Does an open console cost the webhooks anything? (issue 14; BENCHMARKS.md, "Console")
#
# One switchboard (1,000 kit flows, SQLite records, signatures verified, an admin token so
# the console is on) answers the incoming webhook at full speed, alternately with nobody on
# the console and with a console open and polling its live rows (`/console/calls/rows`,
# what the calls page fetches) every BENCH_POLL_MS (200 ms: fifteen times the page's own
# 3 s), for BENCH_ROUNDS rounds. The server is pinned to one core and the load generator
# and the poller to the other; server CPU per request comes from /proc, as in
# scripts/bench.sh. Prints the medians; the runs are in $BENCH_OUT/results.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
# The shared knobs, the signing TOKEN, executable and wait_ready.
source scripts/kit.sh

POLL_MS=${BENCH_POLL_MS:-200}
OUT=${BENCH_OUT:-target/bench-console}
PORT=18190
ADMIN=console-bench-admin-token

rm -rf "$OUT"
mkdir -p "$OUT/db"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

BENCH_JSON=$(cargo bench --locked --no-run --message-format=json)
SWITCHBOARD=$(executable 'release/switchboard' <<<"$BENCH_JSON")
LOADGEN=$(executable 'deps/loadgen-' <<<"$BENCH_JSON")
"$LOADGEN" gen-flows "$OUT/flows" --flows "$FLOWS"
find "$OUT/flows" -exec touch -d '1 minute ago' {} +

TWILIO_AUTH_TOKEN=$TOKEN SWITCHBOARD_ADMIN_TOKEN=$ADMIN taskset -c "$SERVER_CPU" \
  "$SWITCHBOARD" serve --flows "$OUT/flows" --listen "127.0.0.1:$PORT" \
  --public-url "http://127.0.0.1:$PORT" --database "sqlite:$OUT/db/calls.db" 2>/dev/null &
SB_PID=$!
PIDS+=("$SB_PID")
wait_ready "$PORT"

# Sign in once, as a browser would; the cookie is the session.
curl -s -o /dev/null -c "$OUT/cookies" -d "token=$ADMIN" "http://127.0.0.1:$PORT/console/login"
rows=$(curl -s -b "$OUT/cookies" -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/console/calls/rows")
[[ "$rows" == 200 ]] || { echo "error: the console's rows answered $rows" >&2; exit 1; }

load() { # name
  taskset -c "$CLIENT_CPU" "$LOADGEN" run --target "http://127.0.0.1:$PORT" --kind incoming \
    --connections "$CONNECTIONS" --duration "$DURATION" --warmup "$WARMUP" --flows "$FLOWS" \
    --server-pid "$SB_PID" --name "$1" --out "$RESULTS" >/dev/null
}
polls=0
for round in $(seq "$ROUNDS"); do
  echo "== round $round of $ROUNDS" >&2
  load no-console
  # The poller: the live-rows request every POLL_MS, counted.
  (
    n=0
    while :; do
      curl -s -o /dev/null -b "$OUT/cookies" "http://127.0.0.1:$PORT/console/calls/rows"
      n=$((n + 1))
      echo "$n" >"$OUT/polls"
      sleep "$(awk "BEGIN {print $POLL_MS / 1000}")"
    done
  ) &
  POLLER=$!
  PIDS+=("$POLLER")
  load console-polling
  kill "$POLLER" 2>/dev/null || true
  wait "$POLLER" 2>/dev/null || true
  polls=$((polls + $(cat "$OUT/polls")))
done

python3 - "$RESULTS" "$polls" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print(f"console polls answered during the loaded runs: {sys.argv[2]}")
print("| run | rounds | requests/s (median) | server CPU µs/request (median) | p99 µs (median) | errors |")
print("|---|---|---|---|---|---|")
for name in ("no-console", "console-polling"):
    rs = [r for r in runs if r.get("name") == name]
    def med(key):
        vals = [r[key] for r in rs if r.get(key) is not None]
        return statistics.median(vals) if vals else float("nan")
    print(f"| {name} | {len(rs)} | {med('rps'):.0f} | {med('server_cpu_us_per_req'):.1f} | {med('p99_us'):.0f} | {sum(r.get('errors', 0) for r in rs)} |")
PY
