#!/usr/bin/env bash
# Regenerates the screenshots of the web console in docs/screenshots/ (README's tour): runs the
# browser tests (tests/browser/console_test.py) against a fresh build, saving a picture of each
# main view on the way. Needs chromium, chromium-driver and python3-selenium
# (./scripts/bootstrap.sh --with-test-tools).
#   ./scripts/screenshots.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
./scripts/bootstrap.sh --with-test-tools
if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAKCHY_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target sakchy
python=/usr/bin/python3
[[ -x $python ]] || python=python3
rm -f docs/screenshots/*.png
$python tests/browser/console_test.py --binary "$build/service/sakchy" --screenshots docs/screenshots
ls -l docs/screenshots
