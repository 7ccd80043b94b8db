#!/usr/bin/env bash
# A Sakchy cluster on one machine: 3 NATS servers (JetStream, clustered) and 3 sakchy nodes on
# free loopback ports, for trying cluster mode and for its tests (docs/OPERATIONS.md "A cluster").
#
#   scripts/cluster.sh start DIR                  start all six, wait until ready, write DIR/nodes.env
#   scripts/cluster.sh kill DIR sakchy|nats N     kill node N (1..3) with SIGKILL
#   scripts/cluster.sh restart DIR sakchy|nats N  start node N again and wait until it is ready
#   scripts/cluster.sh stop DIR                   stop all (SIGTERM, then SIGKILL after 15 s)
#
# Tokens come from SAKCHY_TOKENS, as for `sakchy serve`. The binary: $SAKCHY_BIN, else
# build/service/sakchy of this tree. $SAKCHY_EXTRA_CONFIG (optional): a YAML file of more top-level
# sections (e.g. alerts: and contacts:) appended to every node's config, so all nodes share them.
# nats-server from Debian (scripts/bootstrap.sh).
# DIR/nodes.env: NODE1_URL..NODE3_URL (http), NATS1_URL..NATS3_URL, and the ports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SAKCHY_BIN="${SAKCHY_BIN:-$ROOT/build/service/sakchy}"
NATS_SERVER="${NATS_SERVER:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
READY_TIMEOUT="${CLUSTER_READY_TIMEOUT:-60}"

die() { echo "cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Nine free loopback ports (3 NATS clients, 3 NATS routes, 3 HTTP), 3 NATS monitoring ports.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
}

load_env() {
  [[ -f "$DIR/nodes.env" ]] || die "$DIR/nodes.env not found: run 'cluster.sh start $DIR' first"
  # shellcheck disable=SC1091
  source "$DIR/nodes.env"
}

# Waits (deadline) until `curl URL` succeeds and its body matches REGEX.
wait_http() {
  local url="$1" regex="$2" what="$3" deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    if body="$(curl -fsS --max-time 2 "$url" 2>/dev/null)" && [[ "$body" =~ $regex ]]; then
      return 0
    fi
    sleep 0.2
  done
  die "$what not ready within ${READY_TIMEOUT}s ($url)"
}

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_nats_conf() {
  local n="$1" port_var="NATS${1}_PORT" route_var="ROUTE${1}_PORT" mon_var="MON${1}_PORT"
  cat > "$DIR/nats-$n.conf" <<CONF
server_name: nats-$n
listen: 127.0.0.1:${!port_var}
http: 127.0.0.1:${!mon_var}
jetstream {
  store_dir: "$DIR/nats-$n/js"
  max_memory_store: 64MB
  max_file_store: 1GB
}
cluster {
  name: sakchy
  listen: 127.0.0.1:${!route_var}
  routes: [
    nats-route://127.0.0.1:$ROUTE1_PORT
    nats-route://127.0.0.1:$ROUTE2_PORT
    nats-route://127.0.0.1:$ROUTE3_PORT
  ]
}
CONF
}

write_sakchy_conf() {
  local n="$1" port_var="HTTP${1}_PORT"
  local defaults="$ROOT/config/defaults"
  # Node N prefers NATS server N (tried in order), like one NATS server per machine.
  local urls="" m
  for m in "$n" 1 2 3; do
    local p="NATS${m}_PORT"
    [[ "$urls" == *":${!p}"* ]] || urls+="${urls:+, }nats://127.0.0.1:${!p}"
  done
  cat > "$DIR/sakchy-$n.yaml" <<CONF
server:
  listen: 127.0.0.1:${!port_var}
  io_threads: 1
storage:
  data_dir: $DIR/sakchy-$n/data
  sync_writes: true
pipeline:
  queue_capacity: 10000
  scoring_threads: 1
classifier:
  rules: $defaults/rules
  areas: $defaults/areas.yaml
analytics:
  area_polygons: $defaults/areas.geojson
logging:
  level: info
  format: text
cluster:
  nats_urls: [$urls]
  node_name: node-$n
  replicas: 3
  connect_timeout_ms: $((READY_TIMEOUT * 1000))
CONF
  if [[ -n "${SAKCHY_EXTRA_CONFIG:-}" ]]; then
    [[ -f "$SAKCHY_EXTRA_CONFIG" ]] || die "SAKCHY_EXTRA_CONFIG: no file $SAKCHY_EXTRA_CONFIG"
    cat "$SAKCHY_EXTRA_CONFIG" >> "$DIR/sakchy-$n.yaml"
  fi
}

start_nats() {
  local n="$1" mon_var="MON${1}_PORT"
  mkdir -p "$DIR/nats-$n"
  alive "$DIR/nats-$n.pid" && die "nats $n is already running"
  "$NATS_SERVER" -c "$DIR/nats-$n.conf" >> "$DIR/nats-$n.log" 2>&1 &
  echo $! > "$DIR/nats-$n.pid"
}

wait_nats() {
  local n="$1" mon_var="MON${1}_PORT"
  # JetStream is usable once the server is healthy and knows the meta leader.
  wait_http "http://127.0.0.1:${!mon_var}/healthz" '"ok"' "nats $n"
  wait_http "http://127.0.0.1:${!mon_var}/jsz" '"leader"' "nats $n (JetStream meta leader)"
}

start_sakchy() {
  local n="$1"
  [[ -x "$SAKCHY_BIN" ]] || die "no sakchy binary at $SAKCHY_BIN (build it or set SAKCHY_BIN)"
  alive "$DIR/sakchy-$n.pid" && die "sakchy $n is already running"
  mkdir -p "$DIR/sakchy-$n"
  "$SAKCHY_BIN" serve --config "$DIR/sakchy-$n.yaml" >> "$DIR/sakchy-$n.log" 2>&1 &
  echo $! > "$DIR/sakchy-$n.pid"
}

wait_sakchy() {
  local n="$1" url_var="NODE${1}_URL"
  local deadline=$((SECONDS + READY_TIMEOUT))
  while ((SECONDS < deadline)); do
    alive "$DIR/sakchy-$n.pid" || die "sakchy $n exited during start-up (see $DIR/sakchy-$n.log)"
    if curl -fsS --max-time 2 "${!url_var}/readyz" > /dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "sakchy $n not ready within ${READY_TIMEOUT}s (see $DIR/sakchy-$n.log)"
}

kill_node() {
  local kind="$1" n="$2" pidfile="$DIR/$1-$2.pid"
  alive "$pidfile" || die "$kind $n is not running"
  local pid; pid="$(cat "$pidfile")"
  kill -9 "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$pidfile"
}

stop_all() {
  local pids=()
  for kind in sakchy nats; do
    for n in 1 2 3; do
      if alive "$DIR/$kind-$n.pid"; then
        local pid; pid="$(cat "$DIR/$kind-$n.pid")"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
      fi
    done
    # sakchy first (it drains into NATS-independent local work), then NATS.
    local deadline=$((SECONDS + 15))
    for pid in "${pids[@]}"; do
      while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    pids=()
    rm -f "$DIR"/"$kind"-*.pid
  done
}

cmd="${1:-}"
[[ -n "$cmd" && -n "${2:-}" ]] || usage
DIR="$(mkdir -p "$2" && cd "$2" && pwd)"

case "$cmd" in
  start)
    [[ -x "$NATS_SERVER" ]] || die "nats-server not found (apt install nats-server)"
    read -r NATS1_PORT NATS2_PORT NATS3_PORT ROUTE1_PORT ROUTE2_PORT ROUTE3_PORT \
         MON1_PORT MON2_PORT MON3_PORT HTTP1_PORT HTTP2_PORT HTTP3_PORT <<< "$(free_ports 12)"
    {
      for n in 1 2 3; do
        p="NATS${n}_PORT"; r="ROUTE${n}_PORT"; m="MON${n}_PORT"; h="HTTP${n}_PORT"
        echo "NATS${n}_PORT=${!p}"; echo "ROUTE${n}_PORT=${!r}"; echo "MON${n}_PORT=${!m}"
        echo "HTTP${n}_PORT=${!h}"
        echo "NATS${n}_URL=nats://127.0.0.1:${!p}"
        echo "NODE${n}_URL=http://127.0.0.1:${!h}"
      done
    } > "$DIR/nodes.env.tmp"
    mv "$DIR/nodes.env.tmp" "$DIR/nodes.env"
    load_env
    for n in 1 2 3; do write_nats_conf "$n"; write_sakchy_conf "$n"; done
    for n in 1 2 3; do start_nats "$n"; done
    for n in 1 2 3; do wait_nats "$n"; done
    for n in 1 2 3; do start_sakchy "$n"; done
    for n in 1 2 3; do wait_sakchy "$n"; done
    echo "cluster ready in $DIR:"
    cat "$DIR/nodes.env" | grep _URL
    ;;
  kill|restart)
    kind="${3:-}"; n="${4:-}"
    [[ "$kind" == sakchy || "$kind" == nats ]] || usage
    [[ "$n" =~ ^[123]$ ]] || usage
    load_env
    if [[ "$cmd" == kill ]]; then
      kill_node "$kind" "$n"
    elif [[ "$kind" == nats ]]; then
      start_nats "$n"; wait_nats "$n"
    else
      start_sakchy "$n"; wait_sakchy "$n"
    fi
    ;;
  stop)
    stop_all
    ;;
  *) usage ;;
esac
