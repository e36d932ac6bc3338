#!/usr/bin/env bash
# bench/generator.sh: how fast is `hookbench gen`, next to wrk and vegeta?
#
# Starts nginx (installed with apt when missing) on 127.0.0.1 answering every
# request with 202, from its own config in a temporary directory, as a
# foreground process that is killed at the end. Then, at $CONNS connections
# and with the same small JSON POST for every tool, it measures:
#   1. wrk (apt) at its maximum rate,
#   2. vegeta (go install ...@v12.13.0) at its maximum rate (-rate=0),
#   3. hookbench gen at its maximum rate (--rate 0),
#   4. hookbench gen at fixed rates ($RATES) and at 80 % of its own maximum:
#      achieved rate, rate error, late sends and p99 lateness,
# each hookbench measurement twice: with every core (--procs 0, Go's default)
# and with --procs 1 (one core, leaving the other to nginx on this machine).
# It prints a table and the goals (max >= 2.8x vegeta and >= 0.75x wrk; at
# 80 % of its max, rate error <= 1 % and p99 lateness < 1 ms).
#
# Knobs (environment): DUR (10s), CONNS (64), RATES ("10000 20000 40000"),
# PORT (18202), NGINX_WORKERS (1: nginx gets about one core, the client the
# other), REPEAT (1: best of N runs for each max-rate measurement), PROCS
# ("0 1": the --procs settings to measure), NICE (-10: nginx and every measured
# tool run at this niceness, the same for all, so other work on the machine
# disturbs the figures less; 0 to disable, ignored when not permitted).
#
# The machine is shared with whatever else runs; the script prints the load
# average before each measurement so noisy figures can be recognised.
set -euo pipefail
cd "$(dirname "$0")/.."

DUR=${DUR:-10s}
CONNS=${CONNS:-64}
RATES=${RATES:-"10000 20000 40000"}
PORT=${PORT:-18202}
NGINX_WORKERS=${NGINX_WORKERS:-1}
REPEAT=${REPEAT:-1}
PROCS=${PROCS:-"0 1"}
NICE=${NICE:--10}
if ! nice -n "$NICE" true 2>/dev/null; then NICE=0; fi
URL="http://127.0.0.1:${PORT}/events"
BODY='{"type":"order.created","data":{"order":1234,"amount":"19.99","currency":"EUR"}}'

log() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------
apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx
command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
GOBIN=$(go env GOPATH)/bin
VEGETA=$(command -v vegeta || echo "$GOBIN/vegeta")
if [ ! -x "$VEGETA" ]; then
  log "installing vegeta"
  (cd /tmp && GOFLAGS= go install github.com/tsenart/vegeta/v12@v12.13.0)
  VEGETA=$GOBIN/vegeta
fi

TMP=$(mktemp -d)
NGINX_PID=""
cleanup() {
  if [ -n "$NGINX_PID" ]; then
    kill "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

log "building hookbench"
go build -o "$TMP/hookbench" ./cmd/hookbench
HB=$TMP/hookbench

# --- nginx ---------------------------------------------------------------------
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes ${NGINX_WORKERS};
pid ${TMP}/nginx/nginx.pid;
error_log ${TMP}/nginx/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${TMP}/nginx/tmp;
  proxy_temp_path ${TMP}/nginx/tmp;
  fastcgi_temp_path ${TMP}/nginx/tmp;
  uwsgi_temp_path ${TMP}/nginx/tmp;
  scgi_temp_path ${TMP}/nginx/tmp;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${PORT} backlog=4096;
    location / { return 202; }
  }
}
EOF
if [ "$NGINX_WORKERS" != 1 ]; then
  sed -i 's/^master_process off;/master_process on;/' "$TMP/nginx/nginx.conf"
fi
nice -n "$NICE" "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 50); do
  if curl -s -o /dev/null -X POST "$URL" 2>/dev/null; then break; fi
  sleep 0.1
done
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "$BODY" "$URL")
[ "$status" = 202 ] || { log "nginx is not answering 202 on $URL (got $status)"; exit 1; }

# --- measurements ------------------------------------------------------------
load() { cut -d' ' -f1 /proc/loadavg; }

printf '%s' "$BODY" >"$TMP/body.json"
cat >"$TMP/post.lua" <<EOF
wrk.method = "POST"
wrk.body   = '${BODY}'
wrk.headers["Content-Type"] = "application/json"
EOF

best() { # best of REPEAT runs of "$@" (each prints a number)
  local b=0 v
  for _ in $(seq "$REPEAT"); do
    v=$("$@")
    b=$(awk -v a="$b" -v c="$v" 'BEGIN { print (c > a ? c : a) }')
  done
  echo "$b"
}

wrk_max() {
  log "wrk: ${CONNS} connections, ${DUR} (load $(load))"
  nice -n "$NICE" wrk -t2 -c"$CONNS" -d"$DUR" -s "$TMP/post.lua" "$URL" | awk '/^Requests\/sec:/ { print $2 }'
}

vegeta_max() {
  log "vegeta: rate=0, ${CONNS} workers and connections, ${DUR} (load $(load))"
  echo "POST $URL" | nice -n "$NICE" "$VEGETA" attack -rate=0 -workers="$CONNS" -max-workers="$CONNS" \
    -connections="$CONNS" -max-connections="$CONNS" -duration="$DUR" \
    -body "$TMP/body.json" -header "Content-Type: application/json" >"$TMP/vegeta.bin"
  "$VEGETA" report -type=json <"$TMP/vegeta.bin" | jq '.throughput'
}

hb() { # hb PROCS RATE → JSON summary
  nice -n "$NICE" "$HB" gen --url "$URL" --procs "$1" --rate "$2" --connections "$CONNS" --duration "$DUR" \
    --body "$BODY" --id-field "" --idempotency-header "" --progress never --output json
}

hb_max() { # hb_max PROCS
  log "hookbench gen: --procs $1 --rate 0, ${CONNS} connections, ${DUR} (load $(load))"
  hb "$1" 0 | jq '.AchievedRate'
}

WRK=$(best wrk_max)
VEG=$(best vegeta_max)
declare -A HBMAX
for p in $PROCS; do HBMAX[$p]=$(best hb_max "$p"); done

row() { # row PROCS LABEL JSON
  jq -r --arg p "$1" --arg l "$2" '[$p, $l, (.IntendedRate|floor), (.AchievedRate|floor), (.RateError*100|round/100),
    .Late, .Missed, (.Lateness.P99/1000|floor), (.Latency.P99/1000|floor), (.Uncorrected.P99/1000|floor),
    (.ErrorRate*100|round/100)] | @tsv' <<<"$3"
}

declare -a ROWS
declare -A J80
for p in $PROCS; do
  for r in $RATES; do
    log "hookbench gen: --procs $p --rate $r (load $(load))"
    ROWS+=("$(row "$p" "$r/s" "$(hb "$p" "$r")")")
  done
  r80=$(awk -v m="${HBMAX[$p]}" 'BEGIN { printf "%d", m * 0.8 }')
  log "hookbench gen: --procs $p --rate $r80 = 80 % of its max (load $(load))"
  J80[$p]=$(hb "$p" "$r80")
  ROWS+=("$(row "$p" "80%=$r80/s" "${J80[$p]}")")
done

# --- report ----------------------------------------------------------------------
echo
echo "Maximum rate, ${CONNS} connections, ${DUR}, POST of ${#BODY} bytes to nginx 'return 202' (${NGINX_WORKERS} worker), $(nproc) cores, nice ${NICE}"
printf '  %-24s %10s\n' tool "req/s"
printf '  %-24s %10.0f\n' wrk "$WRK" vegeta "$VEG"
for p in $PROCS; do printf '  %-24s %10.0f\n' "hookbench gen --procs $p" "${HBMAX[$p]}"; done
echo
echo "hookbench gen at fixed rates (latencies in µs; lateness = sent - intended)"
printf '  %-5s %-14s %9s %9s %8s %7s %7s %10s %10s %10s %7s\n' procs rate intended achieved "err %" late missed "late p99" "lat p99" "uncor p99" "fail %"
for r in "${ROWS[@]}"; do
  IFS=$'\t' read -r p l i a e late miss lp99 p99 up99 f <<<"$r"
  printf '  %-5s %-14s %9s %9s %8s %7s %7s %10s %10s %10s %7s\n' "$p" "$l" "$i" "$a" "$e" "$late" "$miss" "$lp99" "$p99" "$up99" "$f"
done
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT met"; fi; }
for p in $PROCS; do
  vs_veg=$(awk -v h="${HBMAX[$p]}" -v v="$VEG" 'BEGIN { printf "%.2f", h / v }')
  vs_wrk=$(awk -v h="${HBMAX[$p]}" -v w="$WRK" 'BEGIN { printf "%.2f", h / w }')
  err80=$(jq '.RateError | fabs' <<<"${J80[$p]}")
  late80=$(jq '.Lateness.P99' <<<"${J80[$p]}")
  echo "Goals, hookbench gen --procs $p"
  echo "  max >= 2.8 x vegeta:                 ${vs_veg} x  ($(verdict "$vs_veg >= 2.8"))"
  echo "  max >= 0.75 x wrk:                   ${vs_wrk} x  ($(verdict "$vs_wrk >= 0.75"))"
  echo "  at 80 % of max, rate error <= 1 %:   $(printf '%.2f' "$err80") %  ($(verdict "$err80 <= 1"))"
  echo "  at 80 % of max, p99 lateness < 1 ms: $(awk -v l="$late80" 'BEGIN { printf "%.3f", l / 1e6 }') ms  ($(verdict "$late80 < 1000000"))"
done
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine skew every figure)"
