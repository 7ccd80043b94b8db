#!/usr/bin/env bash
# First run: installs what is missing, builds, starts sakchy on the bundled default (config, rules,
# Kyrgyz areas, RocksDB under ./var), shows a report going through, and keeps serving until Ctrl-C.
#   ./scripts/run.sh [extra `sakchy serve` options, e.g. --listen 127.0.0.1:9090]
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh
echo "==> building (Release) in build-release/"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_WERROR=OFF \
  -DSAKCHY_BUILD_TESTS=OFF -DSAKCHY_BUILD_BENCH=OFF >/dev/null
cmake --build build-release --target sakchy -j"$(nproc)"

mkdir -p var
./build-release/service/sakchy serve "$@" > var/serve.out 2> >(tee var/serve.log >&2) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM
for _ in $(seq 1 100); do
  grep -q "listening on" var/serve.out 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat var/serve.out; echo "sakchy failed to start (see above)"; exit 1; }
  sleep 0.1
done
cat var/serve.out
base=$(grep -o 'http://[^ ]*' var/serve.out | head -1)
monitor=$(sed -n 's/^token_monitor=//p' var/demo-secrets)
analyst=$(sed -n 's/^token_analyst=//p' var/demo-secrets)

echo
echo "==> a monitor reports a rumour (POST /v1/reports)"
resp=$(curl -s -H "Authorization: Bearer $monitor" -H 'Content-Type: application/json' \
  -d '{"text":"Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!","source_ref":"demo-1"}' \
  "$base/v1/reports")
echo "$resp"
id=$(echo "$resp" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 0.5
echo
echo "==> the scored event (GET /v1/events/$id)"
curl -s -H "Authorization: Bearer $analyst" "$base/v1/events/$id" | python3 -m json.tool --no-ensure-ascii || true
echo
echo "==> alerts (GET /v1/alerts): the demo contact's webhook at 127.0.0.1:8099 is not running, so the"
echo "    alert stays pending and is retried with backoff"
curl -s -H "Authorization: Bearer $analyst" "$base/v1/alerts?limit=3" | python3 -m json.tool --no-ensure-ascii || true
echo
echo "==> the web console: open $base/ui/ in a browser and sign in with a demo token above"
echo "    (official: the inbox of Osh region and Osh city; analyst: map, trends, clusters; monitor: report form)"
echo
echo "sakchy is running at $base (pid $pid), console at $base/ui/. Ctrl-C stops it cleanly."
wait $pid
