#!/usr/bin/env bash
# Bulk intake benchmark: POST /v1/reports:batch (NDJSON, 10,000 lines each: PHEME tweets mixed
# with ru/ky texts) against the real binary on loopback, durable writes and the classifier on.
# Reports the rate at which reports are accepted (durable) and the end-to-end rate (every report
# scored), the server's RSS every 10 s, CPU per report per thread and the load average.
#
#   bench/load/run_batch_load.sh [BATCHES=20] [PARALLEL=2] [DURATION_S=0]
#
# DURATION_S > 0 posts batches for that long instead of a fixed number, e.g. the 10-minute
# memory run: run_batch_load.sh 0 2 600
source "$(dirname "$0")/common.sh"
batches=${1:-20} parallel=${2:-2} duration=${3:-0}

python3 bench/load/make_ndjson.py "$work/in" 1 >/dev/null
start_sakchy 200000
echo "sakchy at $base; $([[ $duration != 0 ]] && echo "batches for ${duration} s" || echo "$batches batches"), $parallel in parallel"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
sample_rss 10
cpu_snapshot > "$work/cpu0"
start=$(date +%s.%N)
args=(--parallel "$parallel")
if [[ $duration != 0 ]]; then args+=(--duration "$duration"); else args+=(--batches "$batches"); fi
python3 bench/load/post_batches.py "$base" "$token" "$work/in/batch-0.ndjson" "${args[@]}" |
  tee "$work/load.txt"
accepted=$(awk '/^total:/ {print $2}' "$work/load.txt")
while [[ "$(metric sakchy_events_scored_total)" != "$accepted" ]]; do sleep 0.05; done
scored_at=$(date +%s.%N)
cpu_snapshot > "$work/cpu1"
python3 -c "import sys; s, d, n = map(float, sys.argv[1:]); print(f'end to end: {int(n)} reports scored in {d - s:.2f} s = {n / (d - s):,.0f}/s')" \
  "$start" "$scored_at" "$accepted"
cpu_per_item "$work/cpu0" "$work/cpu1" "$accepted" report
echo "rss end $(ps -o rss= -p "$pid" | tr -d ' ') KiB; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
