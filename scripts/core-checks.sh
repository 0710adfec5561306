#!/usr/bin/env bash
# Checks of the PostgreSQL-free core (src/core), runnable from the repository root:
#   1. g++ build in build/core (-O3, as Release) and ctest;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build in build/core-asan and ctest;
#   3. if clang++ is available: libFuzzer targets in build/core-fuzz, each run for
#      ${FUZZ_SECONDS:-15} seconds from the checked-in seeds (src/core/fuzz/corpus/<target>/).
# Prints PASS/FAIL per step and, as its last line, "core-checks: N passed, N failed".
# Exits non-zero when any step failed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
passed=0
failed=0
LOGDIR="$ROOT/build/core-checks-logs"
mkdir -p "$LOGDIR"

step() {  # step <name> <command...>: runs the command, logging to $LOGDIR/<name>.log
  local name=$1
  shift
  local log="$LOGDIR/${name//[^A-Za-z0-9_.-]/_}.log"
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "PASS: $name ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    echo "FAIL: $name ($((SECONDS - start)) s, log: $log)"
    tail -n 30 "$log" | sed 's/^/    /'
  fi
}

# (at -O3, as a Release build compiles: GCC warns at -O3 about things -O2 lets pass, e.g. a false
# -Wrestrict; the extension itself builds the core at -O2)
build_gcc() {
  cmake -S . -B build/core -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O3 -g -DNDEBUG" &&
    cmake --build build/core -j "$JOBS"
}
build_asan() {
  cmake -S . -B build/core-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
    -DSTRATA_SANITIZE=ON -DSTRATA_BENCH=OFF -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" &&
    cmake --build build/core-asan -j "$JOBS"
}
run_ctest() {
  ctest --test-dir "$1" -j "$JOBS" --output-on-failure --timeout 600
}

step "build core (g++)" build_gcc
step "ctest core" run_ctest build/core
step "build core-asan (ASan+UBSan)" build_asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
step "ctest core-asan" run_ctest build/core-asan

CLANG=$(command -v clang++ || command -v clang++-14 || true)
if [[ -n "$CLANG" ]]; then
  build_fuzz() {
    cmake -S . -B build/core-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$CLANG" \
      -DSTRATA_FUZZ=ON -DSTRATA_BENCH=OFF &&
      cmake --build build/core-fuzz -j "$JOBS" --target $(cd src/core/fuzz && ls *_fuzz.cpp | sed 's/\.cpp$//')
  }
  step "build core-fuzz (clang libFuzzer)" build_fuzz
  run_fuzz() {
    local name=$1 work="build/core-fuzz/corpus-run/$1"
    rm -rf "$work"
    mkdir -p "$work" build/core-fuzz/artifacts
    local seeds=()
    [[ -d "src/core/fuzz/corpus/$name" ]] && seeds=("src/core/fuzz/corpus/$name")
    "build/core-fuzz/$name" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -timeout=25 \
      -artifact_prefix="build/core-fuzz/artifacts/$name-" -print_final_stats=1 "$work" "${seeds[@]}"
  }
  # run the targets $JOBS at a time (each is single-threaded), then report them in order
  names=()
  for src in src/core/fuzz/*_fuzz.cpp; do names+=("$(basename "$src" .cpp)"); done
  for ((i = 0; i < ${#names[@]}; i += JOBS)); do
    batch=("${names[@]:i:JOBS}")
    for name in "${batch[@]}"; do
      if [[ -x "build/core-fuzz/$name" ]]; then
        rm -f "$LOGDIR/fuzz_$name.rc"
        (if run_fuzz "$name" >"$LOGDIR/fuzz_$name.log" 2>&1; then echo 0; else echo 1; fi >"$LOGDIR/fuzz_$name.rc") &
      else
        echo 127 >"$LOGDIR/fuzz_$name.rc"
      fi
    done
    wait
    for name in "${batch[@]}"; do
      if [[ "$(cat "$LOGDIR/fuzz_$name.rc" 2>/dev/null || echo 1)" == 0 ]]; then
        passed=$((passed + 1))
        echo "PASS: fuzz $name ${FUZZ_SECONDS}s ($(grep -o 'Done [0-9]* runs' "$LOGDIR/fuzz_$name.log" || true))"
      else
        failed=$((failed + 1))
        echo "FAIL: fuzz $name (log: $LOGDIR/fuzz_$name.log)"
        tail -n 30 "$LOGDIR/fuzz_$name.log" | sed 's/^/    /'
      fi
    done
  done
else
  echo "SKIP: fuzzers (no clang++ found)"
fi

echo "core-checks: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
