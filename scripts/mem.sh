#!/usr/bin/env bash
# Memory of the real server with many flows, and across reloads (BENCHMARKS.md, "Memory").
#
#   scripts/mem.sh [N]        N copies of flows/acme.yaml (default 1000), each with its own
#                             number, plus flows/_shared.yaml
#   MEM_FLOWS=kit scripts/mem.sh [N]
#                             N of the benchmark kit's flows (benches/support/mod.rs) instead
#
# It serves the set with the release binary (`switchboard serve --no-watch`), reads VmRSS
# from /proc/PID/status after the load and after each of MEM_RELOADS (20) SIGHUP reloads,
# and reports the load time (`/readyz` load_ms: read, parse, compile, check). Before each
# reload every file's goodbye text is rewritten (the reload number in it), so each reload
# really builds and swaps a new set. Output: one Markdown table row on stdout, the
# per-reload figures on stderr.
#
# Knobs (environment): MEM_RELOADS (20), MEM_PORT (18190), MEM_DIR (a temp dir, removed
# after), SWITCHBOARD (a built binary; default: build target/release/switchboard),
# MEM_SETTLE (seconds to wait after the load and after each reload before reading VmRSS;
# default 0: an allocator that returns freed memory on a timer shows it only after one).
#
# The server runs as deployed by default, everything on: call records in SQLite (a fresh
# database in a temporary directory; it also stores every reload's flow set version),
# metrics, and the records API and console (an admin token is set). It prints which are on.
# MEM_DATABASE=none serves without the store, MEM_CONSOLE=0 without the API and console.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-1000}
KIND=${MEM_FLOWS:-acme}
RELOADS=${MEM_RELOADS:-20}
SETTLE=${MEM_SETTLE:-0}
PORT=${MEM_PORT:-18190}
# The signing TOKEN (and the kit's other shared pieces).
source scripts/kit.sh

if [[ -z "${SWITCHBOARD:-}" ]]; then
  cargo build --release --locked --bin switchboard >&2
  SWITCHBOARD=target/release/switchboard
fi
if [[ -n "${MEM_DIR:-}" ]]; then
  DIR=$MEM_DIR
  mkdir -p "$DIR"
else
  DIR=$(mktemp -d)
fi
PID=
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true
  [[ -z "${MEM_DIR:-}" ]] && rm -rf "$DIR"
}
trap cleanup EXIT

# Writes the N flows with reload number $1 in their goodbye text. One awk process for all
# files: a fork per file would take longer than the reload it measures.
write_flows() {
  case $KIND in
  acme)
    cp flows/_shared.yaml "$DIR/_shared.yaml"
    awk -v n="$N" -v dir="$DIR" -v round="$1" '
      { lines[NR] = $0 }
      END {
        for (i = 0; i < n; i++) {
          f = sprintf("%s/acme%05d.yaml", dir, i)
          for (l = 1; l <= NR; l++) {
            line = lines[l]
            sub(/\+14155550100/, sprintf("+1415%07d", 6000000 + i), line)
            sub(/Goodbye\./, "Goodbye (" round ").", line)
            print line > f
          }
          close(f)
        }
      }' flows/acme.yaml
    ;;
  kit)
    if [[ -z "${LOADGEN:-}" ]]; then
      LOADGEN=$(cargo bench --locked --no-run --bench loadgen --message-format=json \
        | executable 'deps/loadgen-')
    fi
    "$LOADGEN" gen-flows "$DIR" --flows "$N" 2>/dev/null
    # The kit's flows say goodbye too; make each reload's text differ the same way.
    find "$DIR" -name 'line*.yaml' -exec sed -i "s/Goodbye\( ([0-9]*)\)\?\./Goodbye ($1)./" {} +
    ;;
  *)
    echo "error: MEM_FLOWS is acme or kit, not $KIND" >&2
    exit 2
    ;;
  esac
}

readyz() {
  exec 3<>"/dev/tcp/127.0.0.1/$PORT" || return 1
  printf 'GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  sed '1,/^\r$/d' <&3
  exec 3<&-
}
field() { # name json: a number field
  grep -o "\"$1\":[0-9.]*" <<<"$2" | head -1 | cut -d: -f2
}
rss_mb() {
  awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status"
}

write_flows 0
# Dated back: the server re-checks files written just before it started (racy clean).
find "$DIR" -exec touch -d '1 minute ago' {} +

DB_DIR=$(mktemp -d)
trap 'cleanup; rm -rf "$DB_DIR"' EXIT
DATABASE=${MEM_DATABASE:-sqlite:$DB_DIR/calls.db}
ADMIN_TOKEN=mem-sh-admin-token-0123456789abcdef
[[ "${MEM_CONSOLE:-1}" == 0 ]] && ADMIN_TOKEN=
SWITCHBOARD_ADMIN_TOKEN=$ADMIN_TOKEN TWILIO_AUTH_TOKEN=$TOKEN \
  "$SWITCHBOARD" serve --flows "$DIR" --no-watch --database "$DATABASE" \
  --listen "127.0.0.1:$PORT" --log warn 2>/dev/null &
PID=$!
body=
for _ in $(seq 1200); do # up to 120 s
  if body=$(readyz 2>/dev/null) && [[ -n "$body" ]]; then break; fi
  kill -0 "$PID" 2>/dev/null || { echo "error: the server exited (flow errors?)" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$body" ]] || { echo "error: the server did not become ready" >&2; exit 1; }
load_ms=$(printf "%.0f" "$(field load_ms "$body")")
# What is on: the store (`/readyz` has a `records` section with one), the console (not 404).
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /console/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
console=$(head -1 <&3 | cut -d' ' -f2)
exec 3<&-
echo "store: $(grep -q '"records":{' <<<"$body" && echo on || echo off); console: HTTP $console on /console/; metrics: on" >&2
sleep "$SETTLE"
first=$(rss_mb)
echo "loaded $N $KIND flows in $load_ms ms; RSS $first MB" >&2

rss=()
for r in $(seq "$RELOADS"); do
  write_flows "$r"
  kill -HUP "$PID"
  for _ in $(seq 1200); do
    body=$(readyz 2>/dev/null || true)
    [[ "$(field succeeded "$body")" == "$r" ]] && break
    sleep 0.1
  done
  [[ "$(field succeeded "$body")" == "$r" ]] || { echo "error: reload $r did not finish" >&2; exit 1; }
  [[ "$(field unchanged "$body")" == 0 ]] || { echo "error: reload $r changed nothing" >&2; exit 1; }
  sleep "$SETTLE"
  rss+=("$(rss_mb)")
  echo "reload $r: $(field load_ms "$body") ms load; RSS ${rss[-1]} MB" >&2
done
hwm=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$PID/status")
last=${rss[-1]:-$first}
max=$(printf '%s\n' "$first" "${rss[@]}" | sort -n | tail -1)
growth=$(awk "BEGIN {printf \"%+.0f\", ($last / $first - 1) * 100}")

echo "| flows | load | RSS after load | after reload 1 | after reload $RELOADS | growth | highest | peak (VmHWM) |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $N $KIND | $load_ms ms | $first MB | ${rss[0]:-–} MB | $last MB | $growth % | $max MB | $hwm MB |"
