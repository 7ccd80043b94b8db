#!/usr/bin/env bash
# Installs the Debian packages Sakchy needs to build, test and benchmark. Idempotent: only what is
# missing is installed. Needs root (or sudo) when something is missing.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config git curl python3
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libsimdjson-dev librocksdb-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libexpected-dev
  libhyperscan-dev libicu-dev libstemmer-dev libssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libxml2-dev gettext
  # The web console's map library: its files are compiled into the binary (ui/CMakeLists.txt).
  libjs-leaflet
)
# Test peers and load tools. postfix brings /usr/sbin/smtp-sink (the e-mail channel's test SMTP
# server); installed non-interactively, and in containers policy-rc.d keeps the MTA from starting.
# prometheus-alertmanager is the baseline of the alert-delivery benchmark (bench/alerts/).
# chromium, chromium-driver and python3-selenium run the web console's browser tests.
if [[ "${1:-}" == "--with-test-tools" ]]; then
  PACKAGES+=(wrk kannel kannel-extras postfix prometheus-alertmanager
             chromium chromium-driver python3-selenium)
fi
# libFuzzer targets (tests/fuzz/run.sh): clang 14 with its libFuzzer and sanitizer runtimes.
if [[ "${1:-}" == "--with-fuzz" ]]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "bootstrap: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# env: sudo resets the environment; postfix would otherwise ask debconf questions.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
