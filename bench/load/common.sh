# Shared by the load scripts: build, start sakchy on loopback (durable writes, bundled rules),
# sample its memory and CPU. Source it; it defines `work`, `base`, `pid` and the functions below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ "${SAKCHY_SKIP_BOOTSTRAP:-0}" != 1 ]]; then ./scripts/bootstrap.sh --with-test-tools >/dev/null; fi
# SAKCHY_SKIP_BUILD=1: measure SAKCHY_BIN (or an existing build-release) without building.
if [[ "${SAKCHY_SKIP_BUILD:-0}" != 1 ]]; then
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_BUILD_TESTS=OFF \
    -DSAKCHY_BUILD_BENCH=ON >/dev/null
  cmake --build build-release --target sakchy post_load -j"$(nproc)" >/dev/null
fi

# SAKCHY_BIN: another build of the server to measure (e.g. an older commit's, for an A/B run).
bin=${SAKCHY_BIN:-./build-release/service/sakchy}
work=$(mktemp -d)
token=bench-monitor-token-0123
analyst=bench-analyst-token-0123
# $1: queue capacity.
start_sakchy() {
  cat > "$work/sakchy.yaml" <<YAML
server: {listen: 127.0.0.1:0, io_threads: ${SAKCHY_IO_THREADS:-1}}
storage: {data_dir: $work/data, sync_writes: true, delete_mb_per_s: ${SAKCHY_DELETE_MB_PER_S:-32}}
pipeline: {queue_capacity: $1, scoring_threads: ${SAKCHY_SCORING_THREADS:-1}, scoring_nice: ${SAKCHY_SCORING_NICE:-10}}
classifier: {rules: $PWD/config/defaults/rules, areas: $PWD/config/defaults/areas.yaml}
alerts: {min_severity: critical}
logging: {level: warn}
YAML
  SAKCHY_TOKENS="monitor:$token,analyst:$analyst" \
    "$bin" serve --config "$work/sakchy.yaml" > "$work/out" 2> "$work/err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.1; done
  base=$(grep -o 'http://[^ ]*' "$work/out" | head -1)
  sampler_pid=
}
stop_sakchy() {
  [[ -n "${sampler_pid:-}" ]] && kill "$sampler_pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop_sakchy EXIT

metric() {
  curl -s -H "Authorization: Bearer $analyst" "$base/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
metric_mb() { metric "$1" | awk '{printf "%d", $1 / 1048576}'; }
# Prints the server's resident memory every $1 seconds (in the background), and what holds it.
sample_rss() {
  local every=$1 t=0
  ( while kill -0 "$pid" 2>/dev/null; do
      echo "rss t=${t}s $(ps -o rss= -p "$pid" | tr -d ' ') KiB;" \
        "allocated $(metric_mb 'sakchy_allocator_bytes{kind="allocated"}') MB," \
        "memtables $(metric_mb 'sakchy_storage_memory_bytes{kind="memtables"}') MB," \
        "block cache $(metric_mb 'sakchy_storage_memory_bytes{kind="block_cache"}') MB," \
        "table readers $(metric_mb 'sakchy_storage_memory_bytes{kind="table_readers"}') MB," \
        "cluster index $(metric_mb sakchy_cluster_index_bytes) MB"
      sleep "$every"; t=$((t + every))
    done ) &
  sampler_pid=$!
}
# CPU seconds (user + system) per thread name of the server.
cpu_snapshot() {
  for t in /proc/"$pid"/task/*; do
    echo "$(tr ' ' '_' < "$t/comm") $(awk '{print $14 + $15}' "$t/stat")"
  done | awk '{a[$1] += $2} END {for (k in a) print k, a[k]}' | sort
}
# $1 $2: snapshots before and after; $3: items (requests or reports); $4: unit name.
cpu_per_item() {
  join "$1" "$2" | awk -v n="$3" -v tick="$(getconf CLK_TCK)" -v unit="$4" '
    { us = ($3 - $2) / tick * 1e6 / n; if (us >= 0.05) printf "  cpu %-16s %6.2f us/%s\n", $1, us, unit; tot += us }
    END { printf "  cpu %-16s %6.2f us/%s\n", "total", tot, unit }'
}
