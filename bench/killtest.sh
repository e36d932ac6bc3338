#!/usr/bin/env bash
# bench/killtest.sh: what `kill -9` of a recording `hookbench sink` loses.
# Each round starts a sink with a trace on 127.0.0.1, drives it with
# `hookbench gen` at RATE events/s, kills the sink with SIGKILL after
# KILL_AFTER seconds, lets gen finish, and compares the deliveries the sink
# answered 2xx (gen's OK count) with the attempt records a reader recovers
# from the trace (`hookbench trace stats`). The difference, at RATE, is the
# loss window: at most the trace writer's flush interval.
#
# Usage: bench/killtest.sh   (env: RATE=2000 KILL_AFTER=3 ROUNDS=5 HOOKBENCH=path/to/hookbench)
# Needs go (unless HOOKBENCH is set); installs nothing; every process is
# bounded by gen's --duration and killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-2000}
KILL_AFTER=${KILL_AFTER:-3}
ROUNDS=${ROUNDS:-5}
OUT=$(mktemp -d "${TMPDIR:-/tmp}/hookbench-killtest.XXXXXX")

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT

HB=${HOOKBENCH:-}
if [ -z "$HB" ]; then
  go build -o "$OUT/hookbench" ./cmd/hookbench
  HB=$OUT/hookbench
fi

# json FIELD FILE: the first integer value of "FIELD" in a JSON file.
json() { grep -oE "\"$1\": *[0-9]+" "$2" | head -1 | grep -oE '[0-9]+$'; }

echo "rate ${RATE}/s, kill -9 of the sink after ${KILL_AFTER}s, ${ROUNDS} rounds ($("$HB" version))"
printf '%-6s %10s %10s %10s %10s %12s\n' round answered2xx recovered lost window_ms torn_bytes
for r in $(seq "$ROUNDS"); do
  log=$OUT/sink$r.log
  tr=$OUT/sink$r.hbt
  "$HB" sink --listen 127.0.0.1:0 --trace "$tr" --quiet >"$log" 2>&1 &
  sink=$!
  pids+=("$sink")
  url=
  for _ in $(seq 100); do
    url=$(grep -oE 'listening on http://[^ ]+' "$log" | awk '{print $3}') || true
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "sink did not start"; cat "$log"; exit 1; }

  "$HB" gen --url "$url/webhook" --rate "$RATE" --duration "$((KILL_AFTER + 1))s" --timeout 1s \
    --drain 1s --progress never --output json >"$OUT/gen$r.json" 2>/dev/null &
  gen=$!
  pids+=("$gen")
  sleep "$KILL_AFTER"
  kill -9 "$sink"
  wait "$sink" 2>/dev/null || true
  wait "$gen" || true # gen exits 0 or 1; its summary is what counts

  ok=$(json OK "$OUT/gen$r.json")
  "$HB" trace stats --json "$tr" >"$OUT/stats$r.json"
  got=$(json attempts "$OUT/stats$r.json")
  torn=$(json dropped_bytes "$OUT/stats$r.json")
  lost=$((ok - got))
  printf '%-6s %10s %10s %10s %10s %12s\n' "$r" "$ok" "$got" "$lost" "$((lost * 1000 / RATE))" "$torn"
done
