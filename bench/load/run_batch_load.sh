#!/usr/bin/env bash
# Bulk intake benchmark: POST /v1/reports:batch (NDJSON, 10,000 lines each) against the real binary
# on loopback, durable writes and the classifier on. Reports throughput until every report is scored.
#   bench/load/run_batch_load.sh [BATCHES=20] [PARALLEL=2]
set -euo pipefail
cd "$(dirname "$0")/../.."
batches=${1:-20} parallel=${2:-2}

./scripts/bootstrap.sh --with-test-tools
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_BUILD_TESTS=OFF -DSAKCHY_BUILD_BENCH=OFF >/dev/null
cmake --build build-release --target sakchy -j"$(nproc)" >/dev/null

work=$(mktemp -d)
trap 'kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
python3 bench/load/make_ndjson.py "$work/in" "$batches"
token=bench-monitor-token-0123
cat > "$work/sakchy.yaml" <<YAML
server: {listen: 127.0.0.1:0, io_threads: 1}
storage: {data_dir: $work/data, sync_writes: true}
pipeline: {queue_capacity: 200000, scoring_threads: 1}
classifier: {rules: $PWD/config/defaults/rules, areas: $PWD/config/defaults/areas.yaml}
alerts: {min_severity: critical}
logging: {level: warn}
YAML
SAKCHY_TOKENS="monitor:$token,analyst:bench-analyst-token-0123" \
  ./build-release/service/sakchy serve --config "$work/sakchy.yaml" > "$work/out" 2> "$work/err" &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(grep -o 'http://[^ ]*' "$work/out" | head -1)
metric() {
  curl -s -H "Authorization: Bearer bench-analyst-token-0123" "$base/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
total=$((batches * 10000))
start=$(date +%s.%N)
ls "$work"/in/*.ndjson | xargs -P "$parallel" -I{} curl -s -o /dev/null -w '%{http_code}\n' \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/x-ndjson' \
  --data-binary @{} "$base/v1/reports:batch" | sort | uniq -c
accepted_at=$(date +%s.%N)
while [ "$(metric sakchy_events_scored_total)" != "$total" ]; do sleep 0.05; done
scored_at=$(date +%s.%N)
python3 - "$start" "$accepted_at" "$scored_at" "$total" <<'PY'
import sys
s, a, d, n = map(float, sys.argv[1:])
print(f"{int(n)} reports: accepted (durable) in {a-s:.2f} s = {n/(a-s):,.0f}/s; "
      f"all scored in {d-s:.2f} s = {n/(d-s):,.0f}/s")
PY
echo "RSS of sakchy: $(ps -o rss= -p $pid) KiB"
