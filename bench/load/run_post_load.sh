#!/usr/bin/env bash
# Load benchmark: single-report POST /v1/reports against the real binary on loopback, durable
# writes (fsync) and the classifier on. Prints throughput and latency percentiles (wrk).
#   bench/load/run_post_load.sh [DURATION_S=20] [CONNECTIONS=32] [THREADS=1]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-20} connections=${2:-32} threads=${3:-1}

./scripts/bootstrap.sh --with-test-tools
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_BUILD_TESTS=OFF -DSAKCHY_BUILD_BENCH=OFF >/dev/null
cmake --build build-release --target sakchy -j"$(nproc)" >/dev/null

work=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
token=bench-monitor-token-0123
cat > "$work/sakchy.yaml" <<YAML
server: {listen: 127.0.0.1:0, io_threads: ${SAKCHY_IO_THREADS:-1}}
storage: {data_dir: $work/data, sync_writes: true}
pipeline: {queue_capacity: 100000, scoring_threads: 1}
classifier: {rules: $PWD/config/defaults/rules, areas: $PWD/config/defaults/areas.yaml}
alerts: {min_severity: critical}
logging: {level: warn}
YAML
SAKCHY_TOKENS="monitor:$token,analyst:bench-analyst-token-0123" \
  ./build-release/service/sakchy serve --config "$work/sakchy.yaml" > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*' "$work/out" | head -1)
echo "sakchy at $base; wrk -t$threads -c$connections -d${duration}s"
SAKCHY_BENCH_TOKEN=$token wrk -t"$threads" -c"$connections" -d"${duration}s" --latency \
  -s bench/load/post_reports.lua "$base" | grep -E 'requests:|latency ms|errors:|Non-2xx|Socket'
curl -s -H "Authorization: Bearer bench-analyst-token-0123" "$base/metrics" |
  grep -E '^sakchy_(reports_accepted_total|events_scored_total|reports_refused_total|intake_batch_reports_(sum|count)|intake_write_seconds_(sum|count)|scoring_seconds_(sum|count)) '
