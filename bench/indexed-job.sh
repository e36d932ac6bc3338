#!/usr/bin/env bash
# bench/indexed-job.sh: plays a Kubernetes Indexed Job of N=3 pods on this
# machine and checks that sharding changes nothing in the load but who sends
# it.
#
# A `hookbench sink` (answering 200) is the target. Three `hookbench gen`
# processes run the command line a pod of the Job runs,
#   JOB_COMPLETION_INDEX=i hookbench gen ... --shard auto/3 --start-at T --trace DIR/shard-i.hbt
# with one T a couple of seconds ahead, so the three start the schedule
# together. Then one process runs the same schedule unsharded. The check:
#   - exactly: the merged shards sent the same number of events, the same
#     hits of the schedule (sequence numbers), and the same number per
#     second of the schedule, as the single run; each shard sent its part;
#     the sink received both runs' events;
#   - within a tolerance (latencies of two runs differ): the corrected
#     trigger latency p50 and p90 of the merged report are within
#     max(5 ms, 3x) of the single run's, p99 within max(50 ms, 5x).
# Exits 1 on a mismatch, 2 when something could not run. 127.0.0.1 only;
# about 15 s; needs go, bash, awk, GNU date and timeout.
#
# Usage: bench/indexed-job.sh   (env: HB=path/to/hookbench to skip the build,
#        LISTEN=127.0.0.1:0, STEPS=100:1s,300:1s,600:1s,200:1s, KEEP=1 keeps the files)
set -euo pipefail
cd "$(dirname "$0")/.."

N=3
LISTEN=${LISTEN:-127.0.0.1:0}
STEPS=${STEPS:-100:1s,300:1s,600:1s,200:1s}
WORK=$(mktemp -d)
mkdir -p "$WORK/traces"

sinkpid=
cleanup() {
  if [ -n "$sinkpid" ]; then kill "$sinkpid" 2>/dev/null || true; wait "$sinkpid" 2>/dev/null || true; fi
  if [ "${KEEP:-}" = 1 ]; then echo "files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
die() { echo "indexed-job: $*" >&2; exit 2; }
now_ms() { date +%s%3N; }

if [ -z "${HB:-}" ]; then
  HB=$WORK/hookbench
  go build -o "$HB" ./cmd/hookbench || die "build failed"
fi

timeout 60 "$HB" sink --listen "$LISTEN" --duration 50s --quiet >"$WORK/sink.log" 2>&1 &
sinkpid=$!
url=
for _ in $(seq 50); do
  url=$(sed -n 's/^hookbench sink listening on \(http:[^ ]*\).*/\1/p' "$WORK/sink.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || die "the sink did not start: $(cat "$WORK/sink.log")"

# The pods' command line, less --shard, --start-at and --trace.
gen=(gen --url "$url/webhook" --steps "$STEPS" --seed 7 --id-prefix hb-ij- -c 8 --progress never)

# One start time for every pod, two seconds ahead: the Job's pods may start
# at different moments, the schedule does not.
T=$(($(now_ms) + 2000))
pids=()
for i in $(seq 0 $((N - 1))); do
  JOB_COMPLETION_INDEX=$i timeout 30 "$HB" "${gen[@]}" --shard "auto/$N" --start-at "$T" \
    --trace "$WORK/traces/shard-$i.hbt" >"$WORK/shard-$i.log" 2>&1 &
  pids+=($!)
done
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || die "shard $i (JOB_COMPLETION_INDEX=$i) failed: $(cat "$WORK/shard-$i.log")"
done

T1=$(($(now_ms) + 500))
timeout 30 "$HB" "${gen[@]}" --start-at "$T1" --trace "$WORK/single.hbt" >"$WORK/single.log" 2>&1 ||
  die "single run failed: $(cat "$WORK/single.log")"

"$HB" report --merge "$WORK"/traces/shard-*.hbt >"$WORK/merged.txt" || die "report --merge failed"
"$HB" report "$WORK/single.hbt" >"$WORK/single.txt" || die "report failed"

kill "$sinkpid" && wait "$sinkpid" || true
sinkpid=

fail=0
check() { # name got want
  if [ "$2" = "$3" ]; then echo "ok    $1: $2"; else echo "FAIL  $1: $2, want $3"; fail=1; fi
}

# sent: "Events    sent N (failed ...".
sent() { sed -n 's/^Events *sent \([0-9]*\).*/\1/p' "$1"; }
msent=$(sent "$WORK/merged.txt")
ssent=$(sent "$WORK/single.txt")
check "events sent, merged shards vs single run" "$msent" "$ssent"
[ "$ssent" -gt 0 ] || { echo "FAIL  the single run sent nothing"; fail=1; }
for i in $(seq 0 $((N - 1))); do
  # Shard i+1 sends the hits i, i+N, i+2N, ... of the schedule.
  want=$(((ssent - i + N - 1) / N))
  got=$(sed -n 's/^Requests *sent \([0-9]*\).*/\1/p' "$WORK/shard-$i.log")
  check "shard $((i + 1))/$N (JOB_COMPLETION_INDEX=$i) sent" "$got" "$want"
done
check "events the sink received" "$(sed -n 's/^ *\/webhook *received \([0-9]*\).*/\1/p' "$WORK/sink.log")" "$((2 * ssent))"

# seqs TRACE...: the schedule's hit numbers the traces sent (the number
# ending the event id), sorted.
seqs() { for f in "$@"; do "$HB" trace dump "$f"; done |
  sed -n 's/.*"kind":"sent","event_id":"[^"]*-\([0-9]*\)".*/\1/p' | sort -n; }
seqs "$WORK"/traces/shard-*.hbt >"$WORK/merged.seq"
seqs "$WORK/single.hbt" >"$WORK/single.seq"
if cmp -s "$WORK/merged.seq" "$WORK/single.seq"; then
  echo "ok    the shards sent the same $(wc -l <"$WORK/single.seq") hits of the schedule as the single run"
else
  echo "FAIL  the shards' hits differ from the single run's:"; diff "$WORK/merged.seq" "$WORK/single.seq" | head -5; fail=1
fi

# persec START_MS TRACE...: events per second of the schedule (intended
# send time since START_MS; +1 ms keeps hits due on a second boundary in
# one bucket whatever the rounding), as "second count" lines.
persec() {
  local t0=$1; shift
  for f in "$@"; do
    local base
    base=$(date -d "$("$HB" trace dump "$f" | head -1 | sed 's/.*"start":"\([^"]*\)".*/\1/')" +%s%N)
    "$HB" trace dump "$f" | awk -v base="$base" -v t0="$t0" -F'"intended_ms":' \
      '/"kind":"sent"/ { split($2, a, ","); print int((base / 1e6 + a[1] - t0 + 1) / 1000) }'
  done | sort -n | uniq -c | awk '{ print $2, $1 }'
}
persec "$T" "$WORK"/traces/shard-*.hbt >"$WORK/merged.sec"
persec "$T1" "$WORK/single.hbt" >"$WORK/single.sec"
check "events per second of the schedule, merged shards vs single run" "$(tr '\n' ' ' <"$WORK/merged.sec")" "$(tr '\n' ' ' <"$WORK/single.sec")"

# lat FILE: corrected trigger latency p50 p90 p99 in ms.
lat() { awk '/^trigger \(corrected\)/ { print $4, $5, $6 }' "$1"; }
read -r mp50 mp90 mp99 <<<"$(lat "$WORK/merged.txt")"
read -r sp50 sp90 sp99 <<<"$(lat "$WORK/single.txt")"
[ -n "$sp99" ] && [ -n "$mp99" ] || die "no trigger latency in the reports"
within() { # name merged single floor_ms factor
  if awk -v m="$2" -v s="$3" -v f="$4" -v k="$5" 'BEGIN {
      d = m - s; if (d < 0) d = -d; lim = s * k; if (lim < f) lim = f; exit !(d <= lim) }'; then
    echo "ok    $1: merged $2 ms, single $3 ms (tolerance max($4 ms, ${5}x))"
  else
    echo "FAIL  $1: merged $2 ms, single $3 ms (tolerance max($4 ms, ${5}x))"; fail=1
  fi
}
within "trigger latency p50" "$mp50" "$sp50" 5 3
within "trigger latency p90" "$mp90" "$sp90" 5 3
within "trigger latency p99" "$mp99" "$sp99" 50 5

if [ "$fail" -ne 0 ]; then
  KEEP=1
  echo "indexed-job: mismatch (files kept)"
  exit 1
fi
echo "indexed-job: $N shards = 1 run ($ssent events)"
