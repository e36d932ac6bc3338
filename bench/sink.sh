#!/usr/bin/env bash
# bench/sink.sh: requests per second of `hookbench sink` (a Standard Webhooks
# endpoint verifying every signature and recording a trace) against a bare
# fasthttp server that returns 200, both driven by wrk with the same correctly
# signed request, the same connections and the same duration. Goal: ratio
# sink/bare >= 0.9.
#
# Rounds alternate bare and sink so both see the same background load; the
# result is the median of the per-round ratios. It also prints each server's
# CPU time per request (from /proc), which background load disturbs less.
#
# Usage: bench/sink.sh            (env: DURATION=10s CONNS=64 THREADS=2 ROUNDS=3,
#                                  HOOKBENCH=BIN measures that binary instead of building one)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-3}
OUT=bench/out
. bench/lib.sh
need wrk wrk
sign_standard

mkdir -p "$OUT"
echo "== build"
if [ -n "${HOOKBENCH:-}" ]; then cp "$HOOKBENCH" "$OUT/hookbench"; else go build -o "$OUT/hookbench" ./cmd/hookbench; fi
go build -o "$OUT/bare" ./bench/bare

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# start CMD... ; waits for the "listening on URL" line and sets URL.
start() {
  local log=$1; shift
  rm -f "$log"; URL=
  "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    URL=$(grep -oE 'listening on https?://[^ ]+' "$log" 2>/dev/null | head -1 | awk '{print $3}') || true
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  echo "did not start: $*"; cat "$log"; exit 1
}

start "$OUT/bare.log" "$OUT/bare" -listen 127.0.0.1:0
BARE=$URL
BARE_PID=${pids[-1]}
start "$OUT/sink.log" "$OUT/hookbench" sink --quiet --listen 127.0.0.1:0 \
  --endpoint "path=/hook,scheme=standard,secret=$SECRET" --trace "$OUT/sink.hbt" --force --grace 1s
SINK=$URL
SINK_PID=${pids[-1]}

cat >"$OUT/signed.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["webhook-id"] = "$MSG_ID"
wrk.headers["webhook-timestamp"] = "$TS"
wrk.headers["webhook-signature"] = "v1,$SIG"
LUA

TCK=$(getconf CLK_TCK)
# measure URL PID → "requests/s server-CPU-µs-per-request"
measure() {
  local t0 t1 out
  t0=$(cputicks "$2")
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s "$OUT/signed.lua" "$1" | tee -a "$OUT/wrk.log")
  t1=$(cputicks "$2")
  echo "$out" | awk -v t0="$t0" -v t1="$t1" -v tck="$TCK" '
    /requests in/ {n=$1} /Requests\/sec/ {r=$2}
    END {printf "%s %.1f\n", r, (n > 0 ? (t1-t0)/tck/n*1e6 : 0)}'
}
: >"$OUT/wrk.log"
echo "== wrk -t$THREADS -c$CONNS -d$DURATION, $ROUNDS round(s); load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
sum_bare=0; sum_sink=0; ratios=(); cpu_ratios=()
for r in $(seq "$ROUNDS"); do
  read -r b bc <<<"$(measure "$BARE/hook" "$BARE_PID")"
  read -r s sc <<<"$(measure "$SINK/hook" "$SINK_PID")"
  printf 'round %d: bare %.0f req/s (%.1f µs CPU/req), sink %.0f req/s (%.1f µs CPU/req), ratio %.3f\n' \
    "$r" "$b" "$bc" "$s" "$sc" "$(echo "$s $b" | awk '{print $1/$2}')"
  sum_bare=$(echo "$sum_bare $b" | awk '{print $1+$2}'); sum_sink=$(echo "$sum_sink $s" | awk '{print $1+$2}')
  ratios+=("$(echo "$s $b" | awk '{print $1/$2}')"); cpu_ratios+=("$(echo "$bc $sc" | awk '{print ($2 > 0 ? $1/$2 : 0)}')")
done

kill -INT "$SINK_PID"; wait "$SINK_PID" || true
echo "== the sink's verdicts (every request must be valid)"
"$OUT/hookbench" trace stats "$OUT/sink.hbt" | sed 's/^/  /'
if ! "$OUT/hookbench" trace stats "$OUT/sink.hbt" | grep -q 'sig valid='; then
  echo "sink recorded no valid signatures: the benchmark request is not correctly signed"; exit 1
fi
if "$OUT/hookbench" trace stats "$OUT/sink.hbt" | grep -E 'sig .*(mismatch|stale|future|missing|malformed)=' >/dev/null; then
  echo "sink recorded invalid signatures"; exit 1
fi
printf '== result: bare %.0f req/s, sink %.0f req/s (means); sink/bare median %.3f (goal >= 0.9); CPU per request bare/sink median %.3f\n' \
  "$(echo "$sum_bare $ROUNDS" | awk '{print $1/$2}')" "$(echo "$sum_sink $ROUNDS" | awk '{print $1/$2}')" \
  "$(median "${ratios[@]}")" "$(median "${cpu_ratios[@]}")"
