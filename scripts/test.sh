#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit + integration).
#   ./scripts/test.sh              RelWithDebInfo build in build/
#   ./scripts/test.sh --sanitize   ASan + UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh --with-test-tools   # test peers: Kannel (real SMS gateway), wrk

# Batches of 8 sources per compilation (SAKCHY_UNITY_BUILD): a cold build takes about half the
# time, which is what CI pays on every clean checkout.
build=build type=RelWithDebInfo extra=(-DSAKCHY_UNITY_BUILD=ON)
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan type=Debug extra+=(-DSAKCHY_SANITIZE=ON -DSAKCHY_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
source scripts/progress.sh
step "configuring $build ($type${extra[*]:+ ${extra[*]}})" "$build/configure.log" \
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=$type -DSAKCHY_WERROR=ON "${extra[@]}"
step "building everything" "$build/build.log" cmake --build "$build" -j"$(nproc)"
status=0
step "running the tests" "$build/test.log" \
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" --timeout 300 || status=$?
if [[ $status -ne 0 ]]; then
  # What the failed tests printed (ctest --output-on-failure), without the passing lines.
  echo "==> the output of the failed tests (full log: $build/test.log):"
  grep -avE '^ *Start +[0-9]+:| Passed +[0-9.]+ sec|\(Skipped\)$' "$build/test.log" | head -n 600 |
    sed 's/^/    /'
else
  # ctest's summary: "100% tests passed, 0 tests failed out of N", the time, the skipped tests.
  sed -n '/tests passed/,$p' "$build/test.log" | sed 's/^/    /'
fi
exit "$status"
