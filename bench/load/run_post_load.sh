#!/usr/bin/env bash
# Load benchmark: single-report POST /v1/reports against the real binary on loopback, durable
# writes (fsync) and the classifier on, texts replayed from PHEME (English) mixed with ru/ky.
#
#   bench/load/run_post_load.sh [DURATION_S=30] [CONNECTIONS=128] [RATE=0]
#
# RATE=0: closed loop (maximum throughput). RATE>0: open loop at RATE requests/s, latency from
# each request's scheduled time (bench/load/post_load.cc). Prints requests/s and latency
# percentiles (every 10 s and in total), the server's RSS every 10 s, CPU per request per thread
# and the machine's load average. In the closed loop a connection answered 503 waits for its
# Retry-After; SAKCHY_POST_LOAD_FLAGS=--ignore-retry-after retries at once instead. Examples:
#   run_post_load.sh 30 128          # throughput
#   run_post_load.sh 30 64 15000     # latency at 15,000 req/s
#   run_post_load.sh 600 64 15000    # 10 minutes: memory must stay flat
source "$(dirname "$0")/common.sh"
duration=${1:-30} connections=${2:-128} rate=${3:-0}

python3 bench/load/make_ndjson.py --texts "$work/texts.json" >/dev/null
start_sakchy 100000
echo "sakchy at $base; post_load --connections $connections --rate $rate --duration $duration"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
sample_rss 10
cpu_snapshot > "$work/cpu0"
./build-release/bench/post_load --url "$base" --token "$token" --texts "$work/texts.json" \
  --connections "$connections" --rate "$rate" --duration "$duration" --report-every "${SAKCHY_REPORT_EVERY:-10}" \
  ${SAKCHY_POST_LOAD_FLAGS:-} |
  tee "$work/load.txt"
cpu_snapshot > "$work/cpu1"
requests=$(awk '/^total:/ {print $2}' "$work/load.txt")
cpu_per_item "$work/cpu0" "$work/cpu1" "$requests" request
echo "accepted $(metric sakchy_reports_accepted_total), scored $(metric sakchy_events_scored_total), refused $(metric 'sakchy_reports_refused_total{reason="queue_full"}')"
echo "open alert groups $(metric sakchy_alert_groups)"
echo "rss end $(ps -o rss= -p "$pid" | tr -d ' ') KiB; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
