#!/usr/bin/env bash
# bench/report.sh: how fast does `hookbench report --format all` read a large
# trace, end to end (decoding, matching, histograms, series, every format)?
#
# Builds hookbench and bench/report-trace, writes a synthetic trace of SIZE
# attempts (an open-loop load test at 20k events/s, 5 % of attempts answered
# 503 and retried), then runs `hookbench report --format all --out DIR TRACE`
# ROUNDS times under /usr/bin/time -v and prints, per round and as the median:
# records per second of wall time, records per CPU-second (user + sys: steadier
# than wall time on a shared machine) and the maximum resident set size.
#
# Knobs (environment): SIZE (2000000 attempts, about 3.9 M records; 10000000
# for the 19.5 M-record trace of docs/performance.md), ROUNDS (3), TRACE and
# RECORDS (a trace file to reuse instead of writing one, and its record count
# as report-trace printed it), KEEP (1: keep the temporary directory),
# HOOKBENCH (a hookbench binary to measure instead of building one).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${SIZE:-2000000}
ROUNDS=${ROUNDS:-3}
KEEP=${KEEP:-0}
TIME=/usr/bin/time
if [ ! -x "$TIME" ]; then
	echo "report.sh: $TIME is missing (apt-get install time)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hb-report.XXXXXX")
if [ "$KEEP" != 1 ]; then trap 'rm -rf "$tmp"' EXIT; else echo "keeping $tmp"; fi

HB=${HOOKBENCH:-}
if [ -z "$HB" ]; then
	HB=$tmp/hookbench
	go build -o "$HB" ./cmd/hookbench
fi

if [ -n "${TRACE:-}" ]; then
	: "${RECORDS:?set RECORDS to the record count of TRACE}"
	trace=$TRACE
	records=$RECORDS
else
	go build -o "$tmp/report-trace" ./bench/report-trace
	trace=$tmp/trace.hbt
	records=$("$tmp/report-trace" -out "$trace" -attempts "$SIZE")
fi
echo "trace: $trace, $(du -h "$trace" | cut -f1), $records records; load: $(cut -d' ' -f1-3 /proc/loadavg)"

walls=() cpus=() rsss=()
for i in $(seq 1 "$ROUNDS"); do
	out=$tmp/out$i
	rm -rf "$out"
	"$TIME" -v -o "$tmp/time$i" "$HB" report --format all --out "$out" "$trace" >/dev/null
	read -r wall cpu rss < <(awk -v n="$records" '
		/Elapsed \(wall clock\)/ { t = $NF; k = split(t, p, ":"); s = 0; for (j = 1; j <= k; j++) s = s * 60 + p[j] }
		/User time/ { u = $NF } /System time/ { y = $NF } /Maximum resident/ { r = $NF }
		END { printf "%.2f %.2f %.1f\n", n / s / 1e6, n / (u + y) / 1e6, r / 1024 }' "$tmp/time$i")
	printf 'round %d: %6s M records/s wall  %6s M records/CPU-s  max RSS %6s MiB  (load %s)\n' \
		"$i" "$wall" "$cpu" "$rss" "$(cut -d' ' -f1 /proc/loadavg)"
	walls+=("$wall") cpus+=("$cpu") rsss+=("$rss")
done

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
w=$(median "${walls[@]}") c=$(median "${cpus[@]}") r=$(median "${rsss[@]}")
echo "median of $ROUNDS: $w M records/s wall, $c M records/CPU-s, max RSS $r MiB"
