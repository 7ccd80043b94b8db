#!/usr/bin/env bash
# Alert delivery benchmark: Sakchy and Prometheus Alertmanager side by side, on this machine,
# with the same webhook receiver (bench_webhook_sink) and the same alert stream
# (bench_alert_stream: COUNT alerts at RATE/s, each marked BENCH-<n>). Then Sakchy's in-process
# figures: the alert path from a stored event to its notification, and the outbox throughput.
#   bench/alerts/run_alert_bench.sh [COUNT=20000] [RATE=1000]
# Latency = the alert sent to the service -> its webhook at the receiver. Sakchy's path includes
# durable intake (fsync), classification, scoring commit, routing and the delivery write;
# Alertmanager keeps alerts in memory. Both: one notification per alert (Alertmanager:
# group_by ['...'], group_wait 0s; Sakchy: group_by [event], group_wait 0).
set -euo pipefail
cd "$(dirname "$0")/../.."
count=${1:-20000} rate=${2:-1000}

./scripts/bootstrap.sh --with-test-tools
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_BUILD_TESTS=OFF \
  -DSAKCHY_BUILD_BENCH=ON >/dev/null
cmake --build build-release -j"$(nproc)" --target sakchy alerts_load bench_webhook_sink \
  bench_alert_stream >/dev/null
bin=build-release
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_listening() {  # file pattern
  for _ in $(seq 1 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "did not start: $1" >&2; cat "$1" >&2; return 1
}
# Starts the receiver; stops it and keeps its arrivals in $work/$1.arrivals.
sink_port=""
start_sink() {
  sink_port=$(free_port)
  "$bin/bench/bench_webhook_sink" "$sink_port" "$work/$1.arrivals" 2 > "$work/$1.sink" 2>&1 &
  sink_pid=$!
  pids+=("$sink_pid")
  wait_listening "$work/$1.sink" "listening on"
}
stop_sink() { kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null || true; }
# Waits (at most 120 s) until the command given succeeds.
settle() {
  for _ in $(seq 1 240); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "not everything was delivered within 120 s" >&2
}

echo "== load: $(uptime)"
echo "== alert stream: $count alerts at $rate/s"

# --- Prometheus Alertmanager ---------------------------------------------------------------
start_sink am
am_port=$(free_port)
cat > "$work/am.yml" <<YAML
route:
  receiver: sink
  group_by: ['...']
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:$sink_port/alertmanager
        send_resolved: false
YAML
prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am-data" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address="" --log.level=warn \
  > "$work/am.log" 2>&1 &
am_pid=$!
pids+=("$am_pid")
for _ in $(seq 1 200); do curl -fs "http://127.0.0.1:$am_port/-/ready" >/dev/null && break; sleep 0.05; done
"$bin/bench/bench_alert_stream" alertmanager 127.0.0.1 "$am_port" "$count" "$rate" "$work/am.sends"
am_done() { [[ $(curl -fs "http://127.0.0.1:$am_port/metrics" | awk '/^alertmanager_notifications_total\{integration="webhook"\}/ {print $2}') -ge $count ]]; }
settle am_done
stop_sink
kill -TERM "$am_pid"; wait "$am_pid" 2>/dev/null || true

# --- Sakchy ---------------------------------------------------------------------------------
start_sink sakchy
export SAKCHY_WEBHOOK_BENCH_SECRET=bench-hook-secret-0123456789
token=bench-monitor-token-0123456789
cat > "$work/sakchy.yaml" <<YAML
server: {listen: 127.0.0.1:0, io_threads: 1}
storage: {data_dir: $work/sakchy-data, sync_writes: true}
pipeline: {queue_capacity: 100000, scoring_threads: 1}
classifier: {rules: $PWD/config/defaults/rules, areas: $PWD/config/defaults/areas.yaml}
alerts: {min_severity: high, max_in_flight: 64, allow_private_targets: [127.0.0.1/32]}
contacts:
  - id: bench-duty
    areas: [KG-O, KG-GO]
    channels: [{type: webhook, url: "http://127.0.0.1:$sink_port/sakchy", secret_env: SAKCHY_WEBHOOK_BENCH_SECRET}]
logging: {level: warn}
YAML
SAKCHY_TOKENS="monitor:$token,analyst:bench-analyst-token-0123456789" \
  "$bin/service/sakchy" serve --config "$work/sakchy.yaml" > "$work/sakchy.out" 2> "$work/sakchy.err" &
sakchy_pid=$!
pids+=("$sakchy_pid")
wait_listening "$work/sakchy.out" "listening on"
sakchy_base=$(grep -o 'http://[^ ]*' "$work/sakchy.out" | head -1)
sakchy_port=${sakchy_base##*:}
"$bin/bench/bench_alert_stream" sakchy 127.0.0.1 "$sakchy_port" "$count" "$rate" "$work/sakchy.sends" "$token"
sakchy_done() { [[ $(curl -fs -H "Authorization: Bearer bench-analyst-token-0123456789" "$sakchy_base/metrics" | awk '/^sakchy_alerts_sent_total / {print $2}') -ge $count ]]; }
settle sakchy_done
stop_sink
kill -TERM "$sakchy_pid"; wait "$sakchy_pid" 2>/dev/null || true

echo "== alert submitted -> webhook at the receiver (same receiver, same stream)"
python3 bench/alerts/latency.py alertmanager "$work/am.sends" "$work/am.arrivals"
python3 bench/alerts/latency.py sakchy "$work/sakchy.sends" "$work/sakchy.arrivals"

echo "== Sakchy in process (RocksDB fsync on, loopback receiver)"
"$bin/bench/alerts_load" handoff "$rate" 20
"$bin/bench/alerts_load" throughput 50000 32
echo "== load: $(uptime)"
