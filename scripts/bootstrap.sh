#!/usr/bin/env bash
# Installs the Debian packages Sakchy needs to build, test and benchmark. Idempotent: only what is
# missing is installed. Needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git curl python3
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libsimdjson-dev librocksdb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libexpected-dev
  libhyperscan-dev libicu-dev libstemmer-dev libssl-dev libjemalloc-dev libsystemd-dev
  libfasttext-dev libgtest-dev libgmock-dev libbenchmark-dev libxml2-dev gettext
  # libcurl: the SMTP client of the e-mail channel (alerts/src/smtp_client.cc).
  libcurl4-openssl-dev
  # CLI11: the whole command line (service/src/cli.cc, cli_commands.h).
  libcli11-dev
  # cpack -G DEB computes the package's Depends with dpkg-shlibdeps (packaging/CMakeLists.txt).
  dpkg-dev
  # The web console's map library: its files are compiled into the binary (ui/CMakeLists.txt).
  libjs-leaflet
  # Cluster mode: the NATS C client (cluster/) and the NATS server its tests start (scripts/cluster.sh).
  libnats-dev nats-server
  # libphonenumber: the phone-number matcher of exports (service/src/phone_numbers.cc); the
  # headers of its -dev package need protobuf's and abseil's (see phonenumber_headers below).
  libphonenumber8 libprotobuf-dev libabsl-dev
)
# Test peers and load tools. postfix brings /usr/sbin/smtp-sink (the e-mail channel's test SMTP
# server); installed non-interactively, and in containers policy-rc.d keeps the MTA from starting.
# prometheus-alertmanager is the baseline of the alert-delivery benchmark (bench/alerts/).
# chromium, chromium-driver and python3-selenium run the web console's browser tests.
if [[ "${1:-}" == "--with-test-tools" ]]; then
  PACKAGES+=(wrk kannel kannel-extras postfix prometheus-alertmanager
             chromium chromium-driver python3-selenium)
fi
# scripts/derive_defaults.py (regenerates config/defaults/areas.*): Debian's python3 + shapely.
if [[ "${1:-}" == "--with-data-tools" ]]; then
  PACKAGES+=(python3-shapely)
fi
# libFuzzer targets (tests/fuzz/run.sh): clang 14 with its libFuzzer and sanitizer runtimes.
if [[ "${1:-}" == "--with-fuzz" ]]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev)
fi

# Debian's libphonenumber-dev cannot be installed beside libboost1.81-dev (it depends on
# libboost-thread-dev, which is Boost 1.74's). The headers are all Sakchy needs of it: taken out
# of Debian's own package (apt-get download, dpkg-deb -x) into ~/.cache/sakchy/deps, where
# service/CMakeLists.txt looks. Nothing of it is installed system-wide or kept in the repository.
phonenumber_headers() {
  local deps=${SAKCHY_DEPS_DIR:-$HOME/.cache/sakchy/deps}
  [[ -f /usr/include/phonenumbers/phonenumbermatcher.h ]] && return 0
  [[ -f $deps/libphonenumber-dev/usr/include/phonenumbers/phonenumbermatcher.h ]] && return 0
  local tmp
  tmp=$(mktemp -d)
  if (cd "$tmp" && apt-get download libphonenumber-dev >/dev/null 2>&1) &&
     mkdir -p "$deps" && dpkg-deb -x "$tmp"/libphonenumber-dev_*.deb "$deps/libphonenumber-dev"; then
    echo "bootstrap: libphonenumber headers from Debian's libphonenumber-dev in $deps"
  else
    echo "bootstrap: could not fetch libphonenumber-dev (exports will use Sakchy's own phone matcher)"
  fi
  rm -rf "$tmp"
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  phonenumber_headers
  exit 0
fi
log=${TMPDIR:-/tmp}/sakchy-bootstrap.log
echo "bootstrap: installing ${#missing[@]} packages: ${missing[*]} (log: $log)"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# env: sudo resets the environment; postfix would otherwise ask debconf questions.
if ! { $SUDO apt-get update -qq &&
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
  >"$log" 2>&1; then
  echo "bootstrap: apt-get failed; the end of $log:"
  tail -n 40 "$log" | sed 's/^/    /'
  exit 1
fi
echo "bootstrap: installed ${#missing[@]} packages"
phonenumber_headers
