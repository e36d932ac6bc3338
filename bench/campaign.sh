#!/usr/bin/env bash
# bench/campaign.sh: the reliability campaign. It starts `hookbench sink` and
# `hookbench provider` on 127.0.0.1 and abuses them: file-descriptor
# exhaustion (ulimit -n), connections past --max-conns, oversized and
# malformed requests, slow clients and many connections at once. After each
# abuse it checks that the server still answers a good request and that the
# abuse was counted, and prints HELD or FAILED per check. Exit status 1 when
# any check failed.
#
# Loopback only, every loop and wait bounded (a run takes about a minute).
# It builds hookbench and the campaign client (bench/campaign) and installs
# curl with apt if it is missing.
#
# Usage: bench/campaign.sh     (env: PORT=9750 CONNS=2000 FD_LIMIT=256 CAP=50)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-9750}        # the servers use PORT..PORT+9
CONNS=${CONNS:-2000}      # the many-connections check
FD_LIMIT=${FD_LIMIT:-256} # ulimit -n of the servers in the exhaustion checks
CAP=${CAP:-50}            # --max-conns in the over-capacity checks
OUT=bench/out/campaign
ADDR=127.0.0.1

. bench/lib.sh
need curl curl

mkdir -p "$OUT"
echo "== build"
go build -o "$OUT/hookbench" ./cmd/hookbench
go build -o "$OUT/campaign" ./bench/campaign
HB=$OUT/hookbench
CL=$OUT/campaign
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt $((CONNS + 512)) ]; then
  echo "campaign: the hard fd limit $(ulimit -Hn) is below CONNS+512; lower CONNS" >&2
  exit 2
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

failed=0
results=()
check() { # check NAME WHAT-WAS-SEEN CONDITION (a shell expression)
  local verdict=HELD
  if ! eval "$3"; then verdict=FAILED; failed=$((failed + 1)); fi
  results+=("$(printf '%-7s %-34s %s' "$verdict" "$1" "$2")")
  echo "   -> $verdict: $2"
}

# serve LOG FDLIMIT CMD...: starts CMD with ulimit -n FDLIMIT, waits for its
# "listening on" line (at most 10 s).
serve() {
  local log=$1 fds=$2; shift 2
  rm -f "$log"
  # -n sets the hard limit too: Go raises its soft limit to the hard one
  (ulimit -n "$fds"; exec "$@") >"$log" 2>&1 &
  SPID=$!
  pids+=("$SPID")
  for _ in $(seq 100); do
    grep -q 'listening on' "$log" 2>/dev/null && return
    sleep 0.1
  done
  echo "campaign: $* did not start:" >&2; cat "$log" >&2; exit 1
}
stop() { kill "$SPID" 2>/dev/null || true; wait "$SPID" 2>/dev/null || true; }
# num JSON-URL KEY: a number from a JSON answer (0 when absent).
num() { curl -s --max-time 5 "$1" | tr -d ' \n' | grep -oE "\"$2\":[0-9]+" | head -1 | cut -d: -f2 || echo 0; }
field() { echo "$1" | grep -oE "(^| )$2=[0-9]+" | cut -d= -f2 || echo 0; }
alive() { kill -0 "$SPID" 2>/dev/null; }

echo "== 1. sink, file descriptors exhausted (ulimit -n $FD_LIMIT, $((FD_LIMIT * 2)) connections held)"
P=$((PORT)); serve "$OUT/sink-fd.log" "$FD_LIMIT" "$HB" sink --listen $ADDR:$P --quiet
r=$("$CL" -addr $ADDR:$P -n $((FD_LIMIT * 2)) -wait 3s -hold 1s); echo "   $r"
after=$("$CL" -addr $ADDR:$P -probe one -wait 10s); echo "   then one request: $after"
ae=$(num "http://$ADDR:$P/_hookbench/stats" accept_errors)
check "sink fd exhaustion" "served again after ($after), accept_errors=$ae, process up" \
  '[ "$after" = 200=1 ] && [ "$ae" -gt 0 ] && alive'
stop

echo "== 2. provider, file descriptors exhausted (ulimit -n $FD_LIMIT)"
P=$((PORT + 1)); serve "$OUT/provider-fd.log" "$FD_LIMIT" "$HB" provider --listen $ADDR:$P
r=$("$CL" -addr $ADDR:$P -method GET -path /healthz -n $((FD_LIMIT * 2)) -wait 3s -hold 1s); echo "   $r"
after=$("$CL" -addr $ADDR:$P -method GET -path /healthz -probe one -wait 10s); echo "   then one request: $after"
ae=$(num "http://$ADDR:$P/healthz" accept_errors)
check "provider fd exhaustion" "served again after ($after), accept_errors=$ae" \
  '[ "$after" = 200=1 ] && [ "$ae" -gt 0 ] && alive'
stop

echo "== 3. sink, $((CAP * 2)) connections held past --max-conns $CAP"
P=$((PORT + 2)); serve "$OUT/sink-cap.log" $((CONNS + 512)) "$HB" sink --listen $ADDR:$P --max-conns "$CAP" --quiet --trace "$OUT/cap.trace" --force
r=$("$CL" -addr $ADDR:$P -n $((CAP * 2)) -wait 3s -hold 500ms); echo "   $r"
sleep 0.5
after=$("$CL" -addr $ADDR:$P -probe one -wait 5s); echo "   then one request: $after"
oc=$(num "http://$ADDR:$P/_hookbench/stats" over_capacity)
n503=$(field "$r" 503)
check "sink over capacity" "503 answered $n503, over_capacity=$oc, then $after" \
  '[ "${n503:-0}" -gt 0 ] && [ "$oc" = "$n503" ] && [ "$after" = 200=1 ]'
stop
marks=$("$HB" trace dump "$OUT/cap.trace" 2>/dev/null | grep -c over-capacity || true)
check "sink over capacity in the trace" "$marks over-capacity marks for $n503 refusals" '[ "$marks" = "$n503" ]'

echo "== 4. provider, $((CAP * 2)) connections held past --max-conns $CAP"
P=$((PORT + 3)); serve "$OUT/provider-cap.log" $((CONNS + 512)) "$HB" provider --listen $ADDR:$P --max-conns "$CAP"
r=$("$CL" -addr $ADDR:$P -method GET -path /healthz -n $((CAP * 2)) -wait 3s -hold 500ms); echo "   $r"
sleep 0.5
oc=$(num "http://$ADDR:$P/healthz" over_capacity)
n503=$(field "$r" 503)
check "provider over capacity" "503 answered $n503, over_capacity=$oc" '[ "${n503:-0}" -gt 0 ] && [ "$oc" = "$n503" ]'
stop

echo "== 5. sink, oversized requests (50 MB Content-Length, 5 MB chunked, 64 KiB header)"
P=$((PORT + 4)); serve "$OUT/sink-big.log" $((CONNS + 512)) "$HB" sink --listen $ADDR:$P --quiet
r=$("$CL" -addr $ADDR:$P -probe oversize -wait 10s); echo "   $r"
tl=$(curl -s --max-time 5 "http://$ADDR:$P/metrics" | grep -F 'hookbench_sink_flags_total{endpoint="/webhook",flag="too_large"}' | awk '{print $2}')
after=$("$CL" -addr $ADDR:$P -probe one -wait 5s)
check "sink oversized" "413=$(field "$r" 413) 431=$(field "$r" 431), /webhook too_large=$tl, then $after" \
  '[ "$(field "$r" 413)" = 2 ] && [ "$(field "$r" 431)" = 1 ] && [ "$tl" = 2 ] && [ "$after" = 200=1 ]'
stop

echo "== 6. sink, 500 malformed connections"
P=$((PORT + 5)); serve "$OUT/sink-bad.log" $((CONNS + 512)) "$HB" sink --listen $ADDR:$P --quiet
r=$("$CL" -addr $ADDR:$P -probe malformed -n 500 -wait 5s); echo "   $r"
after=$("$CL" -addr $ADDR:$P -probe one -wait 5s)
lines=$(grep -c 'fasthttp' "$OUT/sink-bad.log" || true)
check "sink malformed" "400=$(field "$r" 400) of 500, $lines log lines, then $after" \
  '[ "$(field "$r" 400)" = 500 ] && [ "$lines" -le 10 ] && [ "$after" = 200=1 ]'
stop

echo "== 7. sink, 500 slow clients (a header byte every 100 ms, --read-timeout 2s)"
P=$((PORT + 6)); serve "$OUT/sink-slow.log" $((CONNS + 512)) "$HB" sink --listen $ADDR:$P --read-timeout 2s --quiet
r=$("$CL" -addr $ADDR:$P -probe slowloris -n 500 -wait 5s); echo "   $r"
lat=$(echo "$r" | grep -oE 'good_latency_ms=[0-9]+' | cut -d= -f2)
check "sink slowloris" "good request $(echo "$r" | grep -oE 'good_request=[^ ]+') in ${lat} ms beside 500 slow" \
  'echo "$r" | grep -q good_request=200 && [ "$lat" -lt 1000 ]'
stop

echo "== 8. sink, $CONNS connections at once, held"
P=$((PORT + 7)); serve "$OUT/sink-many.log" $((CONNS + 512)) "$HB" sink --listen $ADDR:$P --quiet
r=$("$CL" -addr $ADDR:$P -n "$CONNS" -wait 20s -hold 500ms); echo "   $r"
check "sink $CONNS connections" "$r" '[ "$r" = "200=$CONNS" ]'
stop

echo "== 9. provider refuses a public listen without --public and --api-key, and metadata targets"
set +e
"$HB" provider --listen 0.0.0.0:$((PORT + 8)) >/dev/null 2>"$OUT/public.err"; c1=$?
"$HB" provider --listen 0.0.0.0:$((PORT + 8)) --public --api-key "" >/dev/null 2>>"$OUT/public.err"; c2=$?
set -e
check "provider public listen" "exit $c1 without --public, $c2 without a key" '[ $c1 = 2 ] && [ $c2 = 2 ]'
P=$((PORT + 9)); serve "$OUT/provider-ssrf.log" $((CONNS + 512)) "$HB" provider --listen $ADDR:$P
codes=""
for u in http://169.254.169.254/latest/meta-data/ 'http://[fe80::1]/' http://100.100.100.200/ 'http://[fd00:ec2::254]/' http://metadata.google.internal/; do
  codes+="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -XPOST "http://$ADDR:$P/endpoints" -d "{\"url\":\"$u\"}") "
done
check "provider metadata targets" "POST /endpoints answered: $codes" '[ "$codes" = "400 400 400 400 400 " ]'
stop

echo
echo "== campaign: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(nproc) CPU, $(uname -sr)"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
