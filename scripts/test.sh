#!/usr/bin/env bash
# The whole test suite: core (GoogleTest, sanitizers, fuzzers), the C++/PostgreSQL boundary
# check, pg_regress, isolation, pgTAP and shell tests (crash recovery, dump/restore, jobs,
# benchmark smoke test) against throwaway clusters, and the Node client tests (test/clients,
# directly and through PgBouncer; "clients"). Ends with one line "N passed, N failed"; exits
# non-zero on any failure.
# For development, ONLY=<extended regex> runs just the tests whose name matches (a test's name is
# its file name without extension, "core" for the core checks, "check-boundary" for the boundary
# check, "pgtap" for the pgTAP files), e.g.
#   ONLY='^(planner|ddl)$' bash scripts/test.sh
set -uo pipefail
source "$(dirname "$0")/lib.sh"
set +e

PASSED=0
FAILED=0
FAILURES=()
pass() { PASSED=$((PASSED + ${2:-1})); }
fail() { FAILED=$((FAILED + ${2:-1})); FAILURES+=("$1"); }
section() { printf '\n==== %s ====\n' "$*"; }
START=$(date +%s)
want() { [ -z "${ONLY:-}" ] || [[ "$1" =~ $ONLY ]]; }

section "dependencies"
bash "$ROOT/scripts/install-deps.sh" || { echo "dependency installation failed"; echo "0 passed, 1 failed"; exit 1; }

section "core (src/core)"
if ! want core; then
  echo "skipped (ONLY=$ONLY)"
elif [ -x "$ROOT/scripts/core-checks.sh" ]; then
  out=$(bash "$ROOT/scripts/core-checks.sh" 2>&1); rc=$?
  echo "$out" | tail -40
  line=$(echo "$out" | grep -E '^core-checks: [0-9]+ passed, [0-9]+ failed' | tail -1)
  p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  [ -n "$p" ] && pass core "$p"
  if [ -n "$f" ] && [ "$f" -gt 0 ]; then fail "core-checks" "$f"; elif [ $rc -ne 0 ]; then fail "core-checks"; fi
else
  cmake -S "$ROOT" -B "$ROOT/build/core" -DSTRATA_BENCH=OFF >/dev/null && cmake --build "$ROOT/build/core" -j"$JOBS" >/dev/null
  out=$(cd "$ROOT/build/core" && ctest --output-on-failure 2>&1); rc=$?
  echo "$out" | tail -5
  n=$(echo "$out" | grep -oE 'out of [0-9]+' | grep -oE '[0-9]+'); nf=$(echo "$out" | grep -oE '[0-9]+ tests failed' | grep -oE '^[0-9]+')
  pass ctest $(( ${n:-0} - ${nf:-0} )); [ "${nf:-0}" -gt 0 ] || [ $rc -ne 0 ] && fail "ctest" "${nf:-1}"
fi

section "C++/PostgreSQL boundary (scripts/check-boundary.sh)"
if want check-boundary; then
  out=$(bash "$ROOT/scripts/check-boundary.sh" --self-test 2>&1); rc=$?
  echo "$out" | tail -30
  if [ $rc -eq 0 ]; then pass check-boundary; else fail check-boundary; fi
else
  echo "skipped (ONLY=$ONLY)"
fi

section "build and stage the extension"
if ! stage_install; then
  echo "extension build failed"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1
fi

TMP=$(mktemp -d /tmp/strata-test.XXXXXX)
chmod 755 "$TMP"; chown postgres "$TMP" 2>/dev/null || true
DATA=$TMP/data
PORT=${TEST_PORT:-55399}
trap 'cluster_stop "$DATA"; rm -rf "$TMP"' EXIT
cluster_start "$DATA" "$PORT" || { cat "$DATA.log"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
export PGHOST=$DATA.sock PGPORT=$PORT PGUSER=postgres

section "pg_regress and isolation (each test in a fresh database)"
rm -rf "$ROOT/build/regress" "$ROOT/build/isolation"; mkdir -p "$ROOT/build"
run_pg_test() {  # run_pg_test KIND NAME: one pg_regress (KIND=REGRESS) or isolation (KIND=ISOLATION) test
  local kind=$1 name=$2 out
  if [ "$kind" = REGRESS ]; then
    out=$(make -s -C "$ROOT" installcheck PG_CONFIG="$PG_CONFIG" REGRESS="$name" ISOLATION= 2>&1)
  else
    out=$(make -s -C "$ROOT" installcheck PG_CONFIG="$PG_CONFIG" REGRESS= ISOLATION="$name" 2>&1)
  fi
  echo "$out" | grep -E '^(test|ok|not ok) ' | sed 's/^/  /'
  # (a here-string, not `echo | grep -q`: under pipefail grep -q's early exit can kill echo with
  # SIGPIPE on long output and turn a passing test into a failure)
  if grep -qE '\.\.\. ok|^ok [0-9]+' <<<"$out"; then
    pass "$name"
  else
    fail "$kind $name"
    local dir=$ROOT/build/regress; [ "$kind" = ISOLATION ] && dir=$ROOT/build/isolation
    [ -f "$dir/regression.diffs" ] && head -120 "$dir/regression.diffs"
    echo "$out" | tail -5
  fi
}
for f in "$ROOT"/sql/*.sql; do want "$(basename "$f" .sql)" && run_pg_test REGRESS "$(basename "$f" .sql)"; done
for f in "$ROOT"/test/isolation/specs/*.spec; do want "$(basename "$f" .spec)" && run_pg_test ISOLATION "$(basename "$f" .spec)"; done

section "pgTAP"
if ls "$ROOT"/test/pgtap/*.sql >/dev/null 2>&1 && want pgtap; then
  psql_at "$DATA" "$PORT" -q -c "CREATE DATABASE pgtap_test" postgres
  out=$(pg_prove -h "$DATA.sock" -p "$PORT" -U postgres -d pgtap_test "$ROOT"/test/pgtap/*.sql 2>&1); rc=$?
  echo "$out" | tail -15
  nfiles=$(ls "$ROOT"/test/pgtap/*.sql | wc -l)
  if [ $rc -eq 0 ]; then pass pgtap "$nfiles"; else fail "pgTAP" 1; fi
fi

section "shell tests"
for t in "$ROOT"/test/shell/*.sh; do
  [ -f "$t" ] || continue
  name=$(basename "$t" .sh)
  want "$name" || continue
  t0=$(date +%s)
  out=$(STAGE="$STAGE" bash "$t" 2>&1); rc=$?
  echo "$out" | tail -8 | sed 's/^/  /'
  if [ $rc -eq 0 ]; then pass "$name"; echo "  $name ... ok ($(( $(date +%s) - t0 )) s)"; else fail "$name"; echo "  $name ... FAILED ($(( $(date +%s) - t0 )) s)"; fi
done

section "clients (node-postgres and postgres.js, directly and through PgBouncer)"
if want clients; then
  t0=$(date +%s)
  out=$(PGHOST=$DATA.sock PGPORT=$PORT bash "$ROOT/test/clients/run.sh" 2>&1); rc=$?
  grep -E '^(not )?ok |^# ' <<<"$out" | grep -v '^# Subtest' | sed 's/^/  /'
  # node --test's TAP summary: "# pass N" and "# fail N"
  p=$(grep -E '^# pass [0-9]+$' <<<"$out" | tail -1 | grep -oE '[0-9]+')
  f=$(grep -E '^# fail [0-9]+$' <<<"$out" | tail -1 | grep -oE '[0-9]+')
  [ -n "$p" ] && pass clients "$p"
  if [ -n "$f" ] && [ "$f" -gt 0 ]; then
    fail "clients" "$f"; grep -A30 '^not ok' <<<"$out" | head -120
  elif [ $rc -ne 0 ] || [ -z "$p" ]; then
    fail "clients"; tail -30 <<<"$out"
  fi
  echo "  clients ... $( [ $rc -eq 0 ] && echo ok || echo FAILED ) ($(( $(date +%s) - t0 )) s)"
fi

section "summary ($(( $(date +%s) - START )) s)"
for f in "${FAILURES[@]}"; do echo "failed: $f"; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
