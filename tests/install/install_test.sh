#!/usr/bin/env bash
# Installs the build into a DESTDIR (no root, no change to the host), checks the layout, the
# production config, the systemd unit and the manual page, starts the installed binary with the
# installed config (data directory and listen address overridden, tokens from the environment, a
# fake systemd notification socket) and asks /healthz, /readyz and an API route. With --package,
# then builds the Debian package and checks it with dpkg-deb (skipped without dpkg-deb): slower
# (a minute or more on a busy machine), so CTest runs it only with -DSAKCHY_TEST_PACKAGE=ON.
#   tests/install/install_test.sh BUILD_DIR [CMAKE] [CPACK] [--package]   (CTest label: install)
set -euo pipefail

build=$(cd "$1" && pwd)
cmake=${2:-cmake}
cpack=${3:-cpack}
package=${4:-}
tmp=$(mktemp -d)
pid=""
notify_pid=""
cleanup() {
  if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  if [[ -n $notify_pid ]]; then kill "$notify_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "install_test: FAIL: $*" >&2
  exit 1
}
step() { echo "install_test: $*"; }

root=$tmp/root
step "cmake --install into $root"
DESTDIR=$root "$cmake" --install "$build" >"$tmp/install.log" || {
  cat "$tmp/install.log"
  fail "cmake --install failed"
}

step "layout"
for f in usr/bin/sakchy etc/sakchy/sakchy.yaml etc/sakchy/areas.yaml etc/sakchy/areas.geojson \
  etc/sakchy/rules/00-settings.yaml lib/systemd/system/sakchy.service \
  usr/lib/sysusers.d/sakchy.conf usr/share/man/man1/sakchy.1.gz \
  usr/share/sakchy/sakchy.env.example usr/share/doc/sakchy/OPERATIONS.md \
  usr/share/doc/sakchy/NOTICE.md usr/share/doc/sakchy/copyright; do
  [[ -e $root/$f ]] || fail "/$f is not installed"
done
[[ -d $root/var/lib/sakchy ]] || fail "/var/lib/sakchy is not installed"
[[ -x $root/usr/bin/sakchy ]] || fail "/usr/bin/sakchy is not executable"

step "production config: no demo contacts or tokens"
conf=$root/etc/sakchy/sakchy.yaml
grep -qx 'contacts: \[\]' "$conf" || fail "contacts are not empty"
grep -qx 'tokens: \[\]' "$conf" || fail "tokens are not empty"
if grep -v '^\s*#' "$conf" | grep -Eqi 'demo|sha256|127\.0\.0\.1:8099'; then
  fail "a demo value in $conf"
fi
grep -q '^  data_dir: /var/lib/sakchy/data ' "$conf" || fail "data_dir is not under /var/lib/sakchy"
grep -q '^u sakchy ' "$root/usr/lib/sysusers.d/sakchy.conf" || fail "no sysusers entry for sakchy"

step "systemd unit"
unit=$root/lib/systemd/system/sakchy.service
# shellcheck disable=SC2016  # $MAINPID is literal in the unit
for line in 'Type=notify' 'User=sakchy' 'ExecStart=/usr/bin/sakchy serve --config /etc/sakchy/sakchy.yaml' \
  'ExecReload=/bin/kill -HUP $MAINPID' 'EnvironmentFile=-/etc/sakchy/sakchy.env' \
  'WatchdogSec=60s' 'StateDirectory=sakchy' 'ProtectSystem=strict' \
  'ReadWritePaths=/var/lib/sakchy' 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectHome=yes' \
  'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes' 'SystemCallFilter=@system-service' \
  'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK' 'StandardError=journal'; do
  grep -qxF "$line" "$unit" || fail "the unit lacks '$line'"
done
if command -v systemd-analyze >/dev/null; then
  # verify needs ExecStart's binary: point it at the installed one. Any message is a problem.
  sed "s#^ExecStart=/usr/bin/sakchy#ExecStart=$root/usr/bin/sakchy#" "$unit" >"$tmp/sakchy.service"
  out=$(systemd-analyze verify --man=no "$tmp/sakchy.service" 2>&1) || fail "systemd-analyze verify: $out"
  [[ -z $out ]] || fail "systemd-analyze verify: $out"
  exposure=$(systemd-analyze security --offline=true "$tmp/sakchy.service" 2>&1 |
    sed -n 's/.*Overall exposure level for sakchy.service: \([0-9.]*\).*/\1/p')
  step "systemd-analyze security: exposure $exposure"
  awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || fail "exposure '$exposure' above 2.0"
fi

if command -v groff >/dev/null; then
  step "manual page"
  warnings=$(gzip -dc "$root/usr/share/man/man1/sakchy.1.gz" | groff -man -Tutf8 -ww -z 2>&1)
  [[ -z $warnings ]] || fail "groff: $warnings"
fi

# The environment the unit gets from /etc/sakchy/sakchy.env: the pseudonym key postinst generates
# and the tokens an operator adds (sakchy.env.example).
SAKCHY_PSEUDONYM_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
analyst_token=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
export SAKCHY_PSEUDONYM_KEY SAKCHY_TOKENS="analyst:$analyst_token"

step "sakchy config check on the installed config"
"$root/usr/bin/sakchy" config check "$conf" >"$tmp/check.log" 2>&1 || {
  cat "$tmp/check.log"
  fail "config check failed"
}
grep -q "OK" "$tmp/check.log" || fail "config check: $(cat "$tmp/check.log")"

# systemd's notification socket (Type=notify), faked: a unix datagram socket whose messages
# python3 appends to a file, one per line ("\n" inside a message as " | ").
notify_sock=$tmp/notify.sock
notify_log=$tmp/notify.log
: >"$notify_log"
python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("bound", flush=True)
with open(sys.argv[2], "a") as log:
    while True:
        log.write(s.recv(4096).decode().replace("\n", " | ") + "\n")
        log.flush()
' "$notify_sock" "$notify_log" >"$tmp/notify.out" &
notify_pid=$!
# wait_notified REGEX: true once a message matching REGEX arrived (up to 10 s).
wait_notified() {
  for _ in $(seq 1 100); do
    grep -q "$1" "$notify_log" && return 0
    sleep 0.1
  done
  return 1
}
for _ in $(seq 1 100); do [[ -S $notify_sock ]] && break; sleep 0.1; done
[[ -S $notify_sock ]] || fail "the fake notification socket did not come up"

step "the installed binary serves with the installed config"
(cd "$tmp" && NOTIFY_SOCKET=$notify_sock exec "$root/usr/bin/sakchy" serve --config "$conf" \
  --data-dir "$tmp/data" --listen 127.0.0.1:0 >"$tmp/serve.out" 2>"$tmp/serve.err") &
pid=$!
port=""
for _ in $(seq 1 600); do  # up to 60 s: wait for the condition, not a fixed time
  port=$(sed -n 's#.*listening on http://127\.0\.0\.1:\([0-9]*\).*#\1#p' "$tmp/serve.out")
  [[ -n $port ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || {
  cat "$tmp/serve.err"
  fail "the installed binary did not start"
}
health=$(curl -fsS "http://127.0.0.1:$port/healthz") || fail "/healthz did not answer"
[[ $health == '{"status":"ok"}' ]] || fail "/healthz: $health"
curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" || fail "/readyz is not ready"
[[ -d $tmp/data ]] || fail "the data directory override was not used"
code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v1/alerts")
[[ $code == 401 ]] || fail "GET /v1/alerts without a token: $code, not 401"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $analyst_token" \
  "http://127.0.0.1:$port/v1/alerts")
[[ $code == 200 ]] || fail "GET /v1/alerts with the SAKCHY_TOKENS token: $code, not 200"
wait_notified '^READY=1 | STATUS=Serving on http://127.0.0.1:' ||
  fail "no READY=1 on the notification socket: $(cat "$notify_log")"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[[ $code -eq 0 ]] || {
  cat "$tmp/serve.err"
  fail "exit code $code after SIGTERM"
}
wait_notified '^STOPPING=1' || fail "no STOPPING=1 on the notification socket"
kill "$notify_pid" 2>/dev/null || true
wait "$notify_pid" 2>/dev/null || true
notify_pid=""

if [[ $package != --package ]]; then
  step "OK (the Debian package is checked with --package)"
  exit 0
fi
if ! command -v dpkg-deb >/dev/null; then
  step "dpkg-deb not installed: the .deb is not built"
  exit 0
fi
step "cpack -G DEB"
# CMAKE_SKIP_INSTALL_ALL_DEPENDENCY: no "preinstall" build of everything; the tests run built.
"$cpack" -G DEB -D CMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 || {
  cat "$tmp/cpack.log"
  fail "cpack failed"
}
deb=$(ls "$tmp"/pkg/sakchy_*.deb)
info=$(dpkg-deb --info "$deb")
for want in 'Package: sakchy' 'Architecture: amd64' 'Section: net' 'Recommends: systemd'; do
  grep -qF "$want" <<<"$info" || fail "dpkg-deb --info lacks '$want'"
done
# RocksDB is linked statically (Debian's RocksDB CMake package names librocksdb.a): its
# compression libraries appear instead of librocksdb8.
for lib in libc6 libsnappy1v5 libzstd1 libhyperscan libicu libsystemd0 libjemalloc; do
  grep -E '^ Depends:' <<<"$info" | grep -q "$lib" || fail "Depends lacks $lib"
done
for script in postinst prerm postrm conffiles; do
  grep -qE "^ +[0-9]+ bytes, +[0-9]+ lines +\*? *$script" <<<"$info" || fail "no $script in the package"
done
contents=$(dpkg-deb --contents "$deb")
for f in ./usr/bin/sakchy ./etc/sakchy/sakchy.yaml ./etc/sakchy/rules/20-violence.yaml \
  ./lib/systemd/system/sakchy.service ./usr/lib/sysusers.d/sakchy.conf \
  ./usr/share/man/man1/sakchy.1.gz ./var/lib/sakchy/ ./usr/share/doc/sakchy/copyright; do
  grep -qE " $f\$" <<<"$contents" || fail "the package lacks $f"
done
if grep -q ' ./etc/sakchy/sakchy.env$' <<<"$contents"; then
  fail "the package ships sakchy.env: secrets are generated at installation"
fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles >"$tmp/conffiles"
grep -qx /etc/sakchy/sakchy.yaml "$tmp/conffiles" || fail "sakchy.yaml is not a conffile"
grep -qx /etc/sakchy/rules/10-rumour.yaml "$tmp/conffiles" || fail "the rules are not conffiles"
# The packaged (stripped) binary runs.
dpkg-deb -x "$deb" "$tmp/extracted"
"$tmp/extracted/usr/bin/sakchy" config check "$tmp/extracted/etc/sakchy/sakchy.yaml" >/dev/null ||
  fail "the packaged binary fails config check"
size=$(stat -c %s "$deb")
step "package $(basename "$deb"): $((size / 1024 / 1024)) MiB"
step "OK"
