#!/bin/sh
# Builds the libFuzzer targets with clang + AddressSanitizer + UBSan and runs each for N seconds.
# Usage: tests/fuzz/run.sh [seconds-per-target, default 20]. Exits non-zero on a crash (the
# reproducer is left as crash-* in the build dir) or a build failure.
# Env: BUILD (default <repo>/build-fuzz), CC/CXX (default clang-14/clang++-14), JOBS (default 2),
# TARGETS (default: all, space-separated), RUNS (stop each target after so many executions
# too, for a campaign: RUNS=10000000 tests/fuzz/run.sh 86400; docs/SECURITY.md "Fuzzing").
set -eu
SECONDS_PER_TARGET="${1:-20}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build-fuzz}"
CC="${CC:-clang-14}"
CXX="${CXX:-clang++-14}"
JOBS="${JOBS:-2}"

# The fuzz folder is not in the top-level build: a wrapper project adds both.
mkdir -p "$BUILD/wrapper"
cat > "$BUILD/wrapper/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(sakchy_fuzz_wrapper CXX)
set(SAKCHY_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(SAKCHY_BUILD_BENCH OFF CACHE BOOL "" FORCE)
add_subdirectory("$ROOT" sakchy)
add_subdirectory("$ROOT/tests/fuzz" fuzz)
CMAKE
cmake -S "$BUILD/wrapper" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAKCHY_UNITY_BUILD=ON \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" > "$BUILD/configure.log" 2>&1 \
  || { cat "$BUILD/configure.log"; exit 1; }
ALL_TARGETS="normalizer_fuzz rules_fuzz storage_codecs_fuzz kannel_fuzz feed_fuzz telegram_fuzz \
mastodon_fuzz html_text_fuzz http_parser_fuzz"
TARGETS="${TARGETS:-$ALL_TARGETS}"
# shellcheck disable=SC2086
cmake --build "$BUILD" --target $TARGETS -j"$JOBS"

# Seed corpora: the committed ones (tests/fuzz/corpus/<target>/), plus real rule files and texts.
# The runs add what they find to a copy in the build dir; the committed seeds stay small.
for target in $ALL_TARGETS; do
  name="${target%_fuzz}"
  mkdir -p "$BUILD/corpus/$name"
  if [ -d "$ROOT/tests/fuzz/corpus/$name" ]; then
    cp -n "$ROOT/tests/fuzz/corpus/$name"/* "$BUILD/corpus/$name/" 2>/dev/null || true
  fi
done
cp "$ROOT"/config/defaults/rules/*.yaml "$BUILD/corpus/rules/"
cp "$ROOT"/tests/classifier/data/lang_sample.tsv "$BUILD/corpus/normalizer/"
printf '6ecпopядки б.е.с.п.о.р.я.д.к.и х@мло срооооочно govoryat O‘sh Чоӊ-Алай' \
  > "$BUILD/corpus/normalizer/obfuscated"

status=0
for target in $TARGETS; do
  corpus="$BUILD/corpus/${target%_fuzz}"
  echo "== $target for ${SECONDS_PER_TARGET}s"
  if ! (cd "$BUILD" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "./fuzz/$target" -max_total_time="$SECONDS_PER_TARGET" -runs="${RUNS:--1}" \
        -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$corpus" \
        > "$BUILD/$target.log" 2>&1); then
    echo "$target FAILED; see $BUILD/$target.log:"
    tail -40 "$BUILD/$target.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^Done" "$BUILD/$target.log" || true
  fi
done
exit $status
