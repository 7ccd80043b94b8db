#!/usr/bin/env bash
# Analytics load benchmark (issue 6) through the real binary on loopback:
#   1. 10 million stored events (bench/gen/generate_events.cc; a year, 2025, at Bishkek time),
#   2. GET /v1/trends for the whole year at hour buckets (wrk: latency percentiles),
#   3. GET /v1/export/events.csv of about 1 million events (rows per second).
#   bench/load/run_analytics_load.sh [EVENTS=10000000] [DURATION_S=20] [DATA_DIR]
# With DATA_DIR the generated database is kept there (and reused by the next run if present);
# without, it lives in a temp dir that is deleted at the end. 10M events take ~1.5 GB.
set -euo pipefail
cd "$(dirname "$0")/../.."
events=${1:-10000000} duration=${2:-20} data=${3:-}

./scripts/bootstrap.sh --with-test-tools >/dev/null
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_BUILD_TESTS=OFF \
  -DSAKCHY_BUILD_BENCH=ON >/dev/null
cmake --build build-release --target sakchy sakchy_generate_events -j2 >/dev/null

work=$(mktemp -d)
pid=
cleanup() {
  [[ -n "$pid" ]] && { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
[[ -z "$data" ]] && data="$work/data"
if [[ ! -f "$data/CURRENT" ]]; then
  echo "generating $events events into $data"
  /usr/bin/time -f "generator: %e s, max RSS %M KB" \
    ./build-release/bench/sakchy_generate_events --data-dir "$data" --events "$events" --days 365 \
    --start 2025-01-01T00:00:00+06:00 2>&1 | grep -E "generated|generator|failed"
fi
du -sh "$data"

token=bench-analyst-token-0123
cat > "$work/sakchy.yaml" <<YAML
server: {listen: 127.0.0.1:0, io_threads: 1}
storage: {data_dir: $data, sync_writes: true}
classifier: {rules: $PWD/config/defaults/rules, areas: $PWD/config/defaults/areas.yaml}
analytics: {area_polygons: $PWD/config/defaults/areas.geojson, spikes: {check_interval_ms: 0}}
logging: {level: warn}
YAML
SAKCHY_TOKENS="analyst:$token" ./build-release/service/sakchy serve --config "$work/sakchy.yaml" \
  > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 300); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*' "$work/out" | head -1)
auth="Authorization: Bearer $token"
year="from=2025-01-01T00:00:00%2B06:00&to=2026-01-01T00:00:00%2B06:00&bucket=hour"
echo "sakchy at $base; uptime: $(uptime)"

for area in KG KG-O KG-O-ARAVAN; do
  url="$base/v1/trends?area=$area&$year"
  bytes=$(curl -s -H "$auth" "$url" | wc -c)  # warm-up, and the response size
  echo "== GET /v1/trends area=$area, a year at hour buckets (8,760 buckets, $bytes bytes): wrk -t1 -c4 -d${duration}s"
  wrk -t1 -c4 -d"${duration}s" --latency -H "$auth" "$url" |
    grep -E '^\s+(50|90|99)%|Requests/sec|Non-2xx|Socket errors'
done

month="from=2025-03-01T00:00:00%2B06:00&to=2025-04-06T12:00:00%2B06:00"  # 36.5 days: ~1M events
echo "== GET /v1/export/events.csv?$month"
for run in 1 2 3; do
  start=$(date +%s.%N)
  rows=$(curl -s -H "$auth" "$base/v1/export/events.csv?$month" | wc -l)
  end=$(date +%s.%N)
  awk -v r="$((rows - 1))" -v s="$start" -v e="$end" \
    'BEGIN { printf "run: %d rows in %.2f s = %.0f rows/s\n", r, e - s, r / (e - s) }'
done
echo "uptime: $(uptime)"
