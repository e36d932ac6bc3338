#!/usr/bin/env bash
# bench/overhead.sh: what does the harness itself cost at a steady load?
#
# Runs `hookbench gen` at RATE events/s for DUR against one `hookbench sink`
# (a Standard Webhooks endpoint verifying every signature and recording a
# trace), both on this machine, ROUNDS times, and prints per round:
#   - the sink's receive → record time: the trace's handle time of every
#     attempt (from the moment fasthttp hands the parsed request to the sink
#     until the attempt is about to be counted and appended to the trace),
#     as p50 / p99 / p99.9 / max;
#   - the CPU time the generator and the sink used (user + system, from
#     /proc), as a share of the whole machine (all cores) over the load;
#   - the generator's achieved rate and whether its schedule held.
# Each round runs once per PROCS value: both processes get --procs P (0 =
# every core, the default; 1 = one core each, as when they share a small
# machine). The summary lines give the medians over the rounds.
#
# Knobs (environment): RATE (20000), DUR (10s), ROUNDS (3), CONNS (64),
# PROCS ("0 1"),
# HOOKBENCH (a hookbench binary to measure instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=${RATE:-20000}
DUR=${DUR:-10s}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
PROCS=${PROCS:-"0 1"}
. bench/lib.sh
TIME=/usr/bin/time
[ -x "$TIME" ] || need "$TIME" time

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hb-overhead.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

HB=${HOOKBENCH:-}
if [ -z "$HB" ]; then
  echo "== build"
  HB=$tmp/hookbench
  go build -o "$HB" ./cmd/hookbench
fi
CORES=$(nproc)
TCK=$(getconf CLK_TCK)

# The generator sends the same signed request every time (its body template
# has no id), as bench/sink.sh's wrk does.
sign_standard

echo "== gen --rate $RATE for $DUR at a sink, $ROUNDS round(s), $CORES cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for P in $PROCS; do : >"$tmp/res$P"; done
for r in $(seq "$ROUNDS"); do
for P in $PROCS; do
  log=$tmp/sink$r.log
  "$HB" sink --quiet --listen 127.0.0.1:0 --endpoint "path=/hook,scheme=standard,secret=$SECRET" \
    --trace "$tmp/sink$r.hbt" --force --grace 1s --procs "$P" >"$log" 2>&1 &
  spid=$!; pids+=("$spid")
  url=
  for _ in $(seq 100); do
    url=$(grep -oE 'listening on https?://[^ ]+' "$log" 2>/dev/null | head -1 | awk '{print $3}') || true
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "sink did not start"; cat "$log"; exit 1; }

  s0=$(cputicks "$spid")
  "$TIME" -f '%e %U %S' -o "$tmp/gtime$r" "$HB" gen --url "$url/hook" --rate "$RATE" --duration "$DUR" --procs "$P" \
    --connections "$CONNS" --id-field '' --idempotency-header '' --body "$BODY" -H "webhook-id: $MSG_ID" \
    -H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" --progress never --output json >"$tmp/gen$r.json" ||
    { echo "gen failed"; cat "$tmp/gen$r.json"; exit 1; }
  s1=$(cputicks "$spid")
  read -r gwall gu gsys <"$tmp/gtime$r"
  kill -INT "$spid"; wait "$spid" || true

  read -r achieved held < <(awk -F'[:,]' '
    /"achieved_rate"/ { for (i = 1; i <= NF; i++) if ($i ~ /"achieved_rate"/) a = $(i+1) }
    /"schedule_held"/ { for (i = 1; i <= NF; i++) if ($i ~ /"schedule_held"/) h = $(i+1) }
    END { gsub(/[ }]/, "", a); gsub(/[ }]/, "", h); print a, h }' "$tmp/gen$r.json")
  # handle_ms of every attempt → percentiles in µs
  read -r n p50 p99 p999 mx < <("$HB" trace dump "$tmp/sink$r.hbt" | grep -o '"handle_ms":[0-9.e+-]*' | cut -d: -f2 |
    sort -g | awk '{v[NR] = $1 * 1000} END {
      n = NR
      i50 = int(n * 0.50); i99 = int(n * 0.99); i999 = int(n * 0.999)
      if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1; if (i999 < 1) i999 = 1
      printf "%d %.1f %.1f %.1f %.1f\n", n, v[i50], v[i99], v[i999], v[n] }')
  # both shares over the generator's wall time (its schedule plus start and drain)
  share=$(awk -v g="$(echo "$gu $gsys" | awk '{print $1+$2}')" -v s="$((s1 - s0))" -v tck="$TCK" -v w="$gwall" -v c="$CORES" \
    'BEGIN { s /= tck; printf "%.1f %.1f %.1f", (g + s) / w / c * 100, g / w / c * 100, s / w / c * 100 }')
  read -r tot gs ss <<<"$share"
  printf 'round %d, --procs %s: %d attempts, receive→record p50 %s µs, p99 %s µs, p99.9 %s µs, max %s µs; CPU gen %s %% + sink %s %% = %s %% of %d cores; achieved %.0f/s, held %s (load %s)\n' \
    "$r" "$P" "$n" "$p50" "$p99" "$p999" "$mx" "$gs" "$ss" "$tot" "$CORES" "$achieved" "$held" "$(cut -d' ' -f1 /proc/loadavg)"
  echo "$p99 $gs $ss $tot" >>"$tmp/res$P"
done
done
for P in $PROCS; do
  col() { awk -v c="$1" '{print $c}' "$tmp/res$P"; }
  printf '== result, --procs %s (medians of %d rounds at %s/s): sink receive→record p99 %s µs; CPU gen %s %% + sink %s %% = %s %% of the machine (%d cores)\n' \
    "$P" "$ROUNDS" "$RATE" "$(median $(col 1))" "$(median $(col 2))" "$(median $(col 3))" "$(median $(col 4))" "$CORES"
done
