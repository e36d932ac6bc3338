#!/usr/bin/env bash
# bench/generator.sh: how fast is `hookbench gen`, next to wrk and vegeta, and
# does it keep its schedule?
#
# Starts nginx (installed with apt when missing) on 127.0.0.1 answering every
# request with 202, from its own config in a temporary directory, as a
# foreground process that is killed at the end. Then, at $CONNS connections
# and with the same small JSON POST for every tool:
#   1. ROUNDS rounds, each measuring back to back the maximum rate of
#      wrk (apt, -t1 -c$CONNS), vegeta (go install ...@v12.13.0, -rate=0) and
#      hookbench gen (--rate 0). Each round gives the ratios gen/wrk and
#      gen/vegeta; the script prints every round and the median ratio, so
#      other work on the machine, which slows all three alike within a round,
#      cancels out. It also prints the CPU time per request of each tool
#      (user + system, from /usr/bin/time), which does not depend on how much
#      of the machine the tool got.
#   2. hookbench gen at 50 % and 80 % of its median maximum (and at $RATES):
#      achieved rate, rate error, whether the schedule was held, and the send
#      lateness histogram (p50, p90, p99, p99.9, max).
# The goals it checks: median max >= 2.8x vegeta and >= 0.85x wrk; p99
# lateness <= 1 ms at 50 % and <= 5 ms at 80 % of the max, rate error <= 1 %.
#
# Knobs (environment): ROUNDS (5), DUR (10s), CONNS (64), RATES ("": extra
# fixed rates), PORT (18202), PROCS (0: --procs for hookbench gen),
# NGINX_WORKERS (1: nginx gets about one core, the client the other), NICE
# (-10: nginx and every measured tool run at this niceness, the same for all;
# 0 to disable, ignored when not permitted), HOOKBENCH (a hookbench binary to
# measure instead of building one). Quick check: ROUNDS=1 DUR=3s.
#
# The machine is shared with whatever else runs; the script prints the load
# average before each measurement so noisy figures can be recognised.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
DUR=${DUR:-10s}
CONNS=${CONNS:-64}
RATES=${RATES:-""}
PORT=${PORT:-18202}
NGINX_WORKERS=${NGINX_WORKERS:-1}
PROCS=${PROCS:-0}
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

HB=${HOOKBENCH:-}
if [ -z "$HB" ]; then
  log "building hookbench"
  go build -o "$TMP/hookbench" ./cmd/hookbench
  HB=$TMP/hookbench
fi

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

# timed OUT CMD...: runs CMD with its stdout in OUT and appends its CPU
# seconds (user + system) to $TMP/cpu.
timed() {
  local out=$1
  shift
  /usr/bin/time -f '%U %S' -o "$TMP/time" "$@" >"$out"
  awk '{ print $1 + $2 }' "$TMP/time" >"$TMP/cpu"
}
cpu() { cat "$TMP/cpu"; }

wrk_max() { # → "rate cpu_seconds requests"
  log "wrk -t1: ${CONNS} connections, ${DUR} (load $(load))"
  timed "$TMP/wrk.txt" nice -n "$NICE" wrk -t1 -c"$CONNS" -d"$DUR" -s "$TMP/post.lua" "$URL"
  awk -v c="$(cpu)" '/^Requests\/sec:/ { r = $2 } / requests in / { n = $1 } END { print r, c, n }' "$TMP/wrk.txt"
}

vegeta_max() {
  log "vegeta: rate=0, ${CONNS} workers and connections, ${DUR} (load $(load))"
  echo "POST $URL" >"$TMP/target"
  timed "$TMP/vegeta.bin" nice -n "$NICE" "$VEGETA" attack -rate=0 -workers="$CONNS" -max-workers="$CONNS" \
    -connections="$CONNS" -max-connections="$CONNS" -duration="$DUR" -targets "$TMP/target" \
    -body "$TMP/body.json" -header "Content-Type: application/json"
  "$VEGETA" report -type=json <"$TMP/vegeta.bin" | jq -r --arg c "$(cpu)" '"\(.throughput) \($c) \(.requests)"'
}

hb() { # hb PROCS RATE → JSON summary in $TMP/hb.json
  timed "$TMP/hb.json" nice -n "$NICE" "$HB" gen --url "$URL" --procs "$1" --rate "$2" --connections "$CONNS" --duration "$DUR" \
    --body "$BODY" --id-field "" --idempotency-header "" --progress never --output json || true
}

hb_max() { # hb_max PROCS
  log "hookbench gen: --procs $1 --rate 0, ${CONNS} connections, ${DUR} (load $(load))"
  hb "$1" 0
  jq -r --arg c "$(cpu)" '"\(.achieved_rate) \($c) \(.counts.sent)"' "$TMP/hb.json"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Rounds: every tool once per round, back to back; ratios within a round.
declare -a ROUNDROWS
for p in $PROCS; do : >"$TMP/r_veg_$p" >"$TMP/r_wrk_$p" >"$TMP/hbmax_$p" >"$TMP/us_hb_$p"; done
: >"$TMP/wrkmax"; : >"$TMP/vegmax"; : >"$TMP/us_wrk"; : >"$TMP/us_veg"
for round in $(seq "$ROUNDS"); do
  read -r W WC WN <<<"$(wrk_max)"
  read -r V VC VN <<<"$(vegeta_max)"
  echo "$W" >>"$TMP/wrkmax"; echo "$V" >>"$TMP/vegmax"
  awk -v c="$WC" -v n="$WN" 'BEGIN { printf "%.2f\n", c * 1e6 / n }' >>"$TMP/us_wrk"
  awk -v c="$VC" -v n="$VN" 'BEGIN { printf "%.2f\n", c * 1e6 / n }' >>"$TMP/us_veg"
  for p in $PROCS; do
    read -r H HC HN <<<"$(hb_max "$p")"
    echo "$H" >>"$TMP/hbmax_$p"
    awk -v c="$HC" -v n="$HN" 'BEGIN { printf "%.2f\n", c * 1e6 / n }' >>"$TMP/us_hb_$p"
    rv=$(awk -v h="$H" -v v="$V" 'BEGIN { printf "%.2f", h / v }')
    rw=$(awk -v h="$H" -v w="$W" 'BEGIN { printf "%.2f", h / w }')
    echo "$rv" >>"$TMP/r_veg_$p"; echo "$rw" >>"$TMP/r_wrk_$p"
    ROUNDROWS+=("$(printf '  %-5s %-5s %10.0f %10.0f %10.0f %8s %8s' "$round" "$p" "$W" "$V" "$H" "$rw" "$rv")")
  done
done

# P is a jq function: percentile $q (ns) of distribution $n of the gen JSON summary.
P='def pct($n; $q): [.metrics[] | select(.name == $n) | .percentiles[] | select(.p == $q) | .value_ns][0] // 0; '

row() { # row PROCS LABEL JSON-FILE
  jq -r --arg p "$1" --arg l "$2" "$P"'[$p, $l, (.intended_rate|floor), (.achieved_rate|floor), (.rate_error_pct*100|round/100),
    (if .schedule_held then "yes" else "NO" end),
    (pct("lateness"; 50)/1000|floor), (pct("lateness"; 90)/1000|floor), (pct("lateness"; 99)/1000|floor),
    (pct("lateness"; 99.9)/1000|floor), (pct("lateness"; 100)/1000|floor), .counts.missed, (pct("trigger"; 99)/1000|floor),
    (.error_rate_pct*100|round/100)] | @tsv' "$3"
}

: >"$TMP/held"
declare -a ROWS NOTES
declare -A HBMAX J50 J80
for p in $PROCS; do
  HBMAX[$p]=$(median <"$TMP/hbmax_$p")
  for pair in "50 J50" "80 J80"; do
    read -r pc var <<<"$pair"
    r=$(awk -v m="${HBMAX[$p]}" -v f="$pc" 'BEGIN { printf "%d", m * f / 100 }')
    log "hookbench gen: --procs $p --rate $r = $pc % of its median max (load $(load))"
    hb "$p" "$r"
    cp "$TMP/hb.json" "$TMP/j${pc}_$p.json"
    ROWS+=("$(row "$p" "$pc%=$r/s" "$TMP/j${pc}_$p.json")")
    nh=$(jq -r '.schedule_not_held // empty' "$TMP/j${pc}_$p.json")
    [ -z "$nh" ] || NOTES+=("  --procs $p at $r/s: schedule not held: $nh")
    echo "$p $r $([ -z "$nh" ] && echo held || echo not)" >>"$TMP/held"
  done
  for r in $RATES; do
    log "hookbench gen: --procs $p --rate $r (load $(load))"
    hb "$p" "$r"
    ROWS+=("$(row "$p" "$r/s" "$TMP/hb.json")")
    nh=$(jq -r '.schedule_not_held // empty' "$TMP/hb.json")
    [ -z "$nh" ] || NOTES+=("  --procs $p at $r/s: schedule not held: $nh")
    echo "$p $r $([ -z "$nh" ] && echo held || echo not)" >>"$TMP/held"
  done
done

# --- report ----------------------------------------------------------------------
echo
echo "Maximum rate, ${CONNS} connections, ${DUR} each, ${ROUNDS} rounds, POST of ${#BODY} bytes to nginx 'return 202' (${NGINX_WORKERS} worker), $(nproc) cores, nice ${NICE}"
printf '  %-5s %-5s %10s %10s %10s %8s %8s\n' round procs "wrk -t1" vegeta "gen" "gen/wrk" "gen/veg"
for r in "${ROUNDROWS[@]}"; do echo "$r"; done
printf '  %-11s %10.0f %10.0f' median "$(median <"$TMP/wrkmax")" "$(median <"$TMP/vegmax")"
for p in $PROCS; do printf ' %10.0f %8s %8s  (--procs %s)' "${HBMAX[$p]}" "$(median <"$TMP/r_wrk_$p")" "$(median <"$TMP/r_veg_$p")" "$p"; done
echo
printf '  CPU per request (user+sys, median): wrk %s µs, vegeta %s µs' "$(median <"$TMP/us_wrk")" "$(median <"$TMP/us_veg")"
for p in $PROCS; do printf ', gen --procs %s %s µs' "$p" "$(median <"$TMP/us_hb_$p")"; done
echo
echo
echo "hookbench gen at fixed rates: lateness (sent - intended) histogram in µs"
printf '  %-5s %-14s %9s %9s %7s %5s %7s %7s %7s %7s %8s %7s %8s %6s\n' procs rate intended achieved "err %" held p50 p90 p99 p99.9 max missed "lat p99" "fail %"
for r in "${ROWS[@]}"; do
  IFS=$'\t' read -r p l i a e h l50 l90 l99 l999 lmax miss p99 f <<<"$r"
  printf '  %-5s %-14s %9s %9s %7s %5s %7s %7s %7s %7s %8s %7s %8s %6s\n' "$p" "$l" "$i" "$a" "$e" "$h" "$l50" "$l90" "$l99" "$l999" "$lmax" "$miss" "$p99" "$f"
done
for n in "${NOTES[@]}"; do echo "$n"; done
for p in $PROCS; do # the saturation point, as far as the rates tried show it
  awk -v p="$p" '$1 == p && $3 == "held" && $2 > h { h = $2 } $1 == p && $3 == "not" && (n == "" || $2 < n) { n = $2 }
    END { if (h) printf "  --procs %s: schedule held up to %s/s (highest rate tried that held)", p, h;
          else printf "  --procs %s: schedule held at none of the rates tried", p;
          if (n != "") printf "; not held from %s/s", n; print "" }' "$TMP/held"
done
echo
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "NOT met"; fi; }
for p in $PROCS; do
  vs_veg=$(median <"$TMP/r_veg_$p")
  vs_wrk=$(median <"$TMP/r_wrk_$p")
  echo "Goals, hookbench gen --procs $p (median of ${ROUNDS} rounds)"
  echo "  max >= 2.8 x vegeta:                  ${vs_veg} x  ($(verdict "$vs_veg >= 2.8"))"
  echo "  max >= 0.85 x wrk -t1:                ${vs_wrk} x  ($(verdict "$vs_wrk >= 0.85"))"
  for pair in "50 1" "80 5"; do
    read -r pc lim <<<"$pair"
    f="$TMP/j${pc}_$p.json"
    err=$(jq '.rate_error_pct | fabs' "$f")
    l99=$(jq "$P"'pct("lateness"; 99)' "$f")
    echo "  at ${pc} % of max, rate error <= 1 %:   $(printf '%.2f' "$err") %  ($(verdict "$err <= 1"))"
    echo "  at ${pc} % of max, p99 lateness <= ${lim} ms: $(awk -v l="$l99" 'BEGIN { printf "%.3f", l / 1e6 }') ms  ($(verdict "$l99 <= $lim * 1000000"))"
  done
done
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes on the machine skew every figure)"
