#!/usr/bin/env bash
# First run: installs what is missing, builds, starts sakchy on the bundled default (config, rules,
# Kyrgyz areas, RocksDB under ./var), shows a report going through, a citizen asking on WhatsApp
# and the official's verified answer reaching them and the public, and keeps serving until Ctrl-C.
#   ./scripts/run.sh [extra `sakchy serve` options, e.g. --listen 127.0.0.1:9090]
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/progress.sh
./scripts/bootstrap.sh
step "configuring (Release) in build-release/" build-release/configure.log \
  cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAKCHY_WERROR=OFF -DSAKCHY_UNITY_BUILD=ON \
  -DSAKCHY_BUILD_TESTS=OFF -DSAKCHY_BUILD_BENCH=OFF
step "building sakchy" build-release/build.log \
  cmake --build build-release --target sakchy -j"$(nproc)"

mkdir -p var
# The demo's WhatsApp: a stand-in for the Graph API that prints what Sakchy sends to reporters.
python3 scripts/demo_whatsapp.py serve 8098 &
wa_pid=$!
./build-release/service/sakchy serve "$@" > var/serve.out 2> >(tee var/serve.log >&2) &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid; kill $wa_pid 2>/dev/null' INT TERM
for _ in $(seq 1 100); do
  grep -q "listening on" var/serve.out 2>/dev/null && break
  kill -0 $pid 2>/dev/null || { cat var/serve.out; echo "sakchy failed to start (see above)"; exit 1; }
  sleep 0.1
done
cat var/serve.out
base=$(grep -o 'http://[^ ]*' var/serve.out | head -1)
monitor=$(sed -n 's/^token_monitor=//p' var/demo-secrets)
analyst=$(sed -n 's/^token_analyst=//p' var/demo-secrets)
official=$(sed -n 's/^token_official=//p' var/demo-secrets)
wa_secret=$(sed -n 's/^whatsapp_app_secret=//p' var/demo-secrets)
rumour='Говорят, в Оше начались беспорядки, передайте всем, выходите на улицу!'

echo
echo "==> a monitor reports a rumour (POST /v1/reports)"
resp=$(curl -s -H "Authorization: Bearer $monitor" -H 'Content-Type: application/json' \
  -d "{\"text\":\"$rumour\",\"source_ref\":\"demo-$(date +%s)\"}" "$base/v1/reports")
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
echo "==> a citizen forwards the same message to the WhatsApp tipline and asks (POST /v1/ingest/whatsapp);"
echo "    Sakchy acknowledges it on WhatsApp (the stand-in prints what WhatsApp would deliver):"
python3 scripts/demo_whatsapp.py send "$base" "$wa_secret" 996555123456 "$rumour Чынбы?"
cluster=""
for _ in $(seq 1 50); do
  cluster=$(curl -s -H "Authorization: Bearer $analyst" "$base/v1/events/$id" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("cluster_id") or "")')
  if [[ -n "$cluster" ]] && curl -s -H "Authorization: Bearer $analyst" "$base/v1/clusters/$cluster" |
      python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("members",0) >= 2 else 1)'; then
    break
  fi
  sleep 0.1
done
echo
echo "==> the official of Osh checks and publishes the verified answer on the rumour's cluster $cluster"
echo "    (POST /v1/clusters/$cluster/verdict); the answer goes back to the citizen on WhatsApp:"
curl -s -H "Authorization: Bearer $official" -H 'Content-Type: application/json' \
  -d '{"status":"false","statement":"Мэрия Оша: в городе спокойно, беспорядков нет.","publish":true}' \
  "$base/v1/clusters/$cluster/verdict" > /dev/null
sleep 1
echo
echo "==> and to the public, without a token (GET /v1/public/answers):"
curl -s "$base/v1/public/answers" | python3 -m json.tool --no-ensure-ascii || true
echo
echo "==> the web console: open $base/ui/ in a browser and sign in with a demo token above"
echo "    (official: the inbox of Osh region and Osh city; analyst: map, trends, clusters; monitor: report form)"
echo
echo "sakchy is running at $base (pid $pid), console at $base/ui/. Ctrl-C stops it cleanly."
wait $pid
kill $wa_pid 2>/dev/null || true
