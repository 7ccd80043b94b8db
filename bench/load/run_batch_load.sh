#!/usr/bin/env bash
# Bulk intake benchmark: POST /v1/reports:batch (NDJSON, 10,000 lines each: PHEME tweets mixed
# with ru/ky texts) against the real binary on loopback, durable writes and the classifier on.
# Reports the rate at which reports are accepted (durable) and the end-to-end rate (every report
# scored), the server's RSS every 10 s, CPU per report per thread and the load average.
#
#   bench/load/run_batch_load.sh [BATCHES=20] [PARALLEL=2] [DURATION_S=0]
#
# Environment: SAKCHY_BIN (another build, for A/B runs), SAKCHY_SKIP_BUILD=1,
# SAKCHY_SCORING_THREADS, SAKCHY_SCORING_NICE, SAKCHY_PROBE_AFTER_S (see below).
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
# SAKCHY_PROBE_AFTER_S: one single report posted that many seconds into the bulk load; prints
# the time from its 202 to its scored commit (which writes its alert ticket).
probe_pid=
if [[ -n "${SAKCHY_PROBE_AFTER_S:-}" ]]; then
  python3 bench/load/probe_report.py "$base" "$token" "$analyst" "$SAKCHY_PROBE_AFTER_S" &
  probe_pid=$!
fi
python3 bench/load/post_batches.py "$base" "$token" "$work/in/batch-0.ndjson" "${args[@]}" |
  tee "$work/load.txt"
accepted=$(awk '/^total:/ {print $2}' "$work/load.txt")
# (>=: the probe's report, when there is one, is scored too)
while ! awk -v s="$(metric sakchy_events_scored_total)" -v a="$accepted" 'BEGIN { exit !(s + 0 >= a + 0) }'; do
  sleep 0.05
done
scored_at=$(date +%s.%N)
cpu_snapshot > "$work/cpu1"
python3 -c "import sys; s, d, n = map(float, sys.argv[1:]); print(f'end to end: {int(n)} reports scored in {d - s:.2f} s = {n / (d - s):,.0f}/s')" \
  "$start" "$scored_at" "$accepted"
cpu_per_item "$work/cpu0" "$work/cpu1" "$accepted" report
# Busy share of each thread over the run (CPU seconds / wall seconds; > 100 % for a pool).
join "$work/cpu0" "$work/cpu1" | awk -v wall="$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$start" "$scored_at")" \
  -v tick="$(getconf CLK_TCK)" '{ b = ($3 - $2) / tick / wall * 100; if (b >= 1) printf "  busy %-16s %5.1f %%\n", $1, b }'
commits=$(metric sakchy_scoring_commit_reports_count)
[[ -n "$commits" ]] && echo "  scored commits: $commits, $(python3 -c "import sys; print(f'{int(sys.argv[1]) / max(1, float(sys.argv[2])):.0f}')" "$accepted" "$commits") reports each"
[[ -n "$probe_pid" ]] && wait "$probe_pid"
echo "rss end $(ps -o rss= -p "$pid" | tr -d ' ') KiB; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
