#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit + integration).
#   ./scripts/test.sh              RelWithDebInfo build in build/
#   ./scripts/test.sh --sanitize   ASan + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh --with-test-tools   # test peers: Kannel (real SMS gateway), wrk

build=build type=RelWithDebInfo extra=()
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan type=Debug extra=(-DSAKCHY_SANITIZE=ON -DSAKCHY_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
echo "==> configuring $build ($type ${extra[*]:-})"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=$type -DSAKCHY_WERROR=ON "${extra[@]}" >/dev/null
echo "==> building"
cmake --build "$build" -j"$(nproc)"
echo "==> running tests"
cd "$build"
ctest --output-on-failure -j"$(nproc)" --timeout 300
