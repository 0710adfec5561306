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

# The suite runs as a pool of independent jobs, at most $TEST_JOBS at once (default: cores + 1):
# the core checks and the boundary check start first, in the background, beside the extension's
# build; then every pg_regress and isolation test (each with a database of its own on one shared
# cluster), the pgTAP files, the client tests and the shell tests (each with clusters of its own).
# Many jobs mostly wait (on servers starting, crash recovery, background jobs' schedules), so
# running them side by side fills the cores. Results are printed as each job ends, with its wall
# time; the summary gives each phase's wall and CPU time (the CPU time does not depend on how
# loaded the machine is) and the slowest jobs.
TEST_JOBS=${TEST_JOBS:-$((JOBS + 1))}
POOL=$(mktemp -d /tmp/strata-pool.XXXXXX)
declare -A JOB_PID=() JOB_T0=()
JOB_ORDER=()
# job_start NAME FUNCTION ARGS...: runs FUNCTION ARGS in the background; its output goes to
# $POOL/NAME.out and its result lines ("pass N" / "fail LABEL [N]") to $POOL/NAME.res.
job_start() {
  local name=$1; shift
  JOB_T0[$name]=$(date +%s.%N)
  ( "$@" >"$POOL/$name.out" 2>&1 3>"$POOL/$name.res" ) &
  JOB_PID[$name]=$!
  JOB_ORDER+=("$name")
}
# job_collect NAME: waits for the job, prints its output and books its results.
job_collect() {
  local name=$1 secs kind label n
  wait "${JOB_PID[$name]}" 2>/dev/null
  secs=$(awk -v a="${JOB_T0[$name]}" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
  unset "JOB_PID[$name]"
  cat "$POOL/$name.out"
  echo "  [$name: $secs s]"
  if [ ! -s "$POOL/$name.res" ]; then echo "fail 1 $name" >"$POOL/$name.res"; fi
  while read -r kind n label; do
    if [ "$kind" = pass ]; then pass "$label" "$n"; else fail "$label" "$n"; fi
  done <"$POOL/$name.res"
  echo "$secs $name" >>"$POOL/durations"
}
# job_wait_any: waits until some job ended and collects it (and any other that ended meanwhile).
job_wait_any() {
  local name any=0
  while [ $any = 0 ]; do
    for name in "${!JOB_PID[@]}"; do
      if ! kill -0 "${JOB_PID[$name]}" 2>/dev/null; then job_collect "$name"; any=1; fi
    done
    [ $any = 1 ] || wait -n 2>/dev/null || sleep 0.2
  done
}
running_jobs() { echo "${#JOB_PID[@]}"; }
declare -A EXTRA=()  # background jobs outside the pool's limit (core checks, boundary check)
pool_jobs() {
  local name n=0
  for name in "${!JOB_PID[@]}"; do [ -n "${EXTRA[$name]:-}" ] || n=$((n + 1)); done
  echo $n
}
# Jobs on the shared cluster (regress, isolation, pgTAP, clients), and the tests that must have it
# to themselves: the tests that count the chunk locks of cached generic plans (a plan invalidated
# by other tests' DDL, or by a reset of the invalidation queue they fill, is planned again, and
# planning a generic plan locks every chunk it lists), and catalog_cache, which shows when a cached
# plan is planned again (test/flaky.sh STORM=1 shows it planned once more). Job names carry their kind (regress.X,
# isolation.X, shell.X): a regress test, an isolation spec and a shell test may share a name.
declare -A SHARED=()
SOLO='^(regress\.(catalog_cache|lazy_plan_copies|generic_plan_locks|generic_dml_locks|generic_merge_append|skip_scan_generic|space_runtime_exclusion|chunk_append_lazy_init|dml_exclusion|planner)|isolation\.generic_dml_locks)$'
shared_running() {
  local name n=0
  for name in "${!JOB_PID[@]}"; do [ -n "${SHARED[$name]:-}" ] && n=$((n + 1)); done
  echo $n
}
solo_running() {
  local name
  for name in "${!JOB_PID[@]}"; do [[ -n "${SHARED[$name]:-}" && "$name" =~ $SOLO ]] && { echo 1; return; }; done
  echo 0
}
# pool_run [--shared] NAME FUNCTION ARGS...: job_start once fewer than $TEST_JOBS pool jobs run (a
# job on the shared cluster also waits for a solo job there, and a solo job for the cluster to be free).
pool_run() {
  local shared=
  [ "$1" = --shared ] && { shared=1; shift; }
  while [ "$(pool_jobs)" -ge "$TEST_JOBS" ] ||
        { [ -n "$shared" ] && [ "$(solo_running)" = 1 ]; } ||
        { [ -n "$shared" ] && [[ "$1" =~ $SOLO ]] && [ "$(shared_running)" -gt 0 ]; }; do
    job_wait_any
  done
  [ -n "$shared" ] && SHARED[$1]=1
  job_start "$@"
}
result() { echo "$1 ${3:-1} $2" >&3; }  # result pass LABEL [N] | result fail LABEL [N] (inside a job)

# CPU time in seconds of the shared cluster's server (postmaster and its exited backends).
server_cpu() {
  local pid
  pid=$(head -1 "$DATA/postmaster.pid" 2>/dev/null) && [ -r "/proc/$pid/stat" ] || { echo "?"; return; }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15 + $16 + $17) / hz }' "/proc/$pid/stat"
}

job_core() {
  local out rc line p f
  out=$(bash "$ROOT/scripts/core-checks.sh" 2>&1); rc=$?
  echo "$out" | tail -40
  line=$(echo "$out" | grep -E '^core-checks: [0-9]+ passed, [0-9]+ failed' | tail -1)
  p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed.*/\1/'); f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
  [ -n "$p" ] && result pass core "$p"
  if [ -n "$f" ] && [ "$f" -gt 0 ]; then result fail core-checks "$f"; elif [ $rc -ne 0 ]; then result fail core-checks; fi
}
job_boundary() {
  local out rc
  out=$(bash "$ROOT/scripts/check-boundary.sh" --self-test 2>&1); rc=$?
  echo "$out" | tail -30
  if [ $rc -eq 0 ]; then result pass check-boundary; else result fail check-boundary; fi
}

section "background: core checks (src/core) and the C++/PostgreSQL boundary check"
if want core; then EXTRA[core]=1; job_start core job_core; echo "core checks started"; else echo "core: skipped (ONLY=$ONLY)"; fi
if want check-boundary; then EXTRA[check-boundary]=1; job_start check-boundary job_boundary; echo "boundary check started"; else echo "check-boundary: skipped (ONLY=$ONLY)"; fi

section "build and stage the extension"
T_BUILD=$(date +%s)
if ! stage_install; then
  echo "extension build failed"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1
fi
echo "built and staged ($(( $(date +%s) - T_BUILD )) s)"

TMP=$(mktemp -d /tmp/strata-test.XXXXXX)
chmod 755 "$TMP"; chown postgres "$TMP" 2>/dev/null || true
DATA=$TMP/data
PORT=${TEST_PORT:-55399}
on_exit() {
  local pid
  for pid in "${JOB_PID[@]}"; do kill -- "$pid" 2>/dev/null; done
  cluster_stop "$DATA"; rm -rf "$TMP" "$POOL"
}
trap on_exit EXIT
cluster_start "$DATA" "$PORT" || { cat "$DATA.log"; echo "$PASSED passed, $((FAILED + 1)) failed"; exit 1; }
export PGHOST=$DATA.sock PGPORT=$PORT PGUSER=postgres

PGXS_DIR=$(dirname "$($PG_CONFIG --pgxs)")/../..
# run_pg_test KIND NAME: one pg_regress (KIND=REGRESS) or isolation (KIND=ISOLATION) test, in a
# database of its own (named after the test) with results in build/regress/NAME (or
# build/isolation/NAME); what `make installcheck` would run, without make.
run_pg_test() {
  local kind=$1 name=$2 out dir prog inputdir db
  if [ "$kind" = REGRESS ]; then
    dir=$ROOT/build/regress/$name; prog=$PGXS_DIR/src/test/regress/pg_regress; inputdir=.; db=regress_$name
  else
    dir=$ROOT/build/isolation/$name; prog=$PGXS_DIR/src/test/isolation/pg_isolation_regress; inputdir=test/isolation; db=isolation_$name
  fi
  # Files a test writes (COPY TO, read back with COPY FROM): a directory of this run and test, which
  # the server may write into (a fixed /tmp path would be shared by two suites run at once).
  export STRATA_REGRESS_TMP=$TMP/files/$kind-$name
  mkdir -p "$STRATA_REGRESS_TMP" && chown postgres "$TMP/files" "$STRATA_REGRESS_TMP" 2>/dev/null
  # shellcheck disable=SC2086  # EXTRA_REGRESS_OPTS: options, split as make splits them
  out=$(cd "$ROOT" && "$prog" --inputdir="$inputdir" --bindir="$SYS_BINDIR" --outputdir="$dir" \
          --load-extension=strata --dbname="$db" ${EXTRA_REGRESS_OPTS:-} "$name" 2>&1)
  echo "$out" | grep -E '^(test|ok|not ok) ' | sed 's/^/  /'
  # (a here-string, not `echo | grep -q`: under pipefail grep -q's early exit can kill echo with
  # SIGPIPE on long output and turn a passing test into a failure)
  if grep -qE '\.\.\. ok|^ok [0-9]+' <<<"$out"; then
    result pass "$name"
  else
    result fail "$kind $name"
    [ -f "$dir/regression.diffs" ] && head -120 "$dir/regression.diffs"
    echo "$out" | tail -5
  fi
}
job_pgtap() {
  local out rc nfiles
  psql_at "$DATA" "$PORT" -q -c "CREATE DATABASE pgtap_test" postgres
  out=$(pg_prove -h "$DATA.sock" -p "$PORT" -U postgres -d pgtap_test "$ROOT"/test/pgtap/*.sql 2>&1); rc=$?
  echo "$out" | tail -15
  nfiles=$(ls "$ROOT"/test/pgtap/*.sql | wc -l)
  if [ $rc -eq 0 ]; then result pass pgtap "$nfiles"; else result fail "pgTAP" 1; fi
}
job_clients() {
  local out rc p f
  out=$(PGHOST=$DATA.sock PGPORT=$PORT bash "$ROOT/test/clients/run.sh" 2>&1); rc=$?
  grep -E '^(not )?ok |^# ' <<<"$out" | grep -v '^# Subtest' | sed 's/^/  /'
  # node --test's TAP summary: "# pass N" and "# fail N"
  p=$(grep -E '^# pass [0-9]+$' <<<"$out" | tail -1 | grep -oE '[0-9]+')
  f=$(grep -E '^# fail [0-9]+$' <<<"$out" | tail -1 | grep -oE '[0-9]+')
  [ -n "$p" ] && result pass clients "$p"
  if [ -n "$f" ] && [ "$f" -gt 0 ]; then
    result fail "clients" "$f"; grep -A30 '^not ok' <<<"$out" | head -120
  elif [ $rc -ne 0 ] || [ -z "$p" ]; then
    result fail "clients"; tail -30 <<<"$out"
  fi
  echo "  clients ... $( [ $rc -eq 0 ] && echo ok || echo FAILED )"
}
job_shell() {
  local t=$1 name out rc
  name=$(basename "$t" .sh)
  out=$(STAGE="$STAGE" bash "$t" 2>&1); rc=$?
  echo "$out" | tail -8 | sed 's/^/  /'
  if [ $rc -eq 0 ]; then result pass "$name"; echo "  $name ... ok"; else result fail "$name"; echo "  $name ... FAILED"; fi
}

section "tests: pg_regress, isolation, pgTAP, clients, shell ($TEST_JOBS at a time)"
T_TESTS=$(date +%s)
rm -rf "$ROOT/build/regress" "$ROOT/build/isolation"; mkdir -p "$ROOT/build/regress" "$ROOT/build/isolation"
# The longest jobs start first, so that the pool does not end with one long job running alone (the
# solo test first of all, while only shell tests run beside it); then everything else in name order.
FIRST=(regress:generic_plan_locks shell:jobs_scheduler shell:jobs_starvation shell:bench_smoke shell:copy_million shell:jobs_lifecycle shell:jobs_restart
       shell:many_chunks shell:extension_update shell:replica shell:columnstore_replica shell:crash_recovery clients
       regress:planner regress:rowstore_agg)
queue=()
for f in "${FIRST[@]}"; do queue+=("$f"); done
for f in "$ROOT"/test/shell/*.sh; do [ -f "$f" ] && queue+=("shell:$(basename "$f" .sh)"); done
queue+=(pgtap)
for f in "$ROOT"/sql/*.sql; do queue+=("regress:$(basename "$f" .sql)"); done
for f in "$ROOT"/test/isolation/specs/*.spec; do queue+=("isolation:$(basename "$f" .spec)"); done
declare -A queued=()
for q in "${queue[@]}"; do
  [ -n "${queued[$q]:-}" ] && continue
  queued[$q]=1
  kind=${q%%:*}; name=${q#*:}
  case $kind in
    shell) [ -f "$ROOT/test/shell/$name.sh" ] && want "$name" && pool_run "shell.$name" job_shell "$ROOT/test/shell/$name.sh" ;;
    regress) want "$name" && pool_run --shared "regress.$name" run_pg_test REGRESS "$name" ;;
    isolation) want "$name" && pool_run --shared "isolation.$name" run_pg_test ISOLATION "$name" ;;
    pgtap) ls "$ROOT"/test/pgtap/*.sql >/dev/null 2>&1 && want pgtap && pool_run --shared pgtap job_pgtap ;;
    clients) want clients && pool_run --shared clients job_clients ;;
  esac
done
while [ "$(running_jobs)" -gt 0 ]; do job_wait_any; done
# A crash of a server process of the shared cluster (a backend, a job worker) fails the suite even
# when every test's output matched; its log goes with the cluster's directory, so it is kept.
if [ -n "$(server_crashes "$DATA.log")" ]; then
  keep_crash_log "$DATA.log" shared-cluster
  fail "shared cluster: a server process crashed"
fi
# One results directory and one regression.diffs per suite, as `make installcheck` leaves them (for
# comparing and copying results over expected files by hand).
for suite in regress isolation; do
  mkdir -p "$ROOT/build/$suite/results"
  for d in "$ROOT/build/$suite"/*/; do
    [ -d "$d/results" ] || continue
    cp "$d"/results/* "$ROOT/build/$suite/results/" 2>/dev/null
    [ -f "$d/regression.diffs" ] && cat "$d/regression.diffs" >>"$ROOT/build/$suite/regression.diffs"
  done
done

times >"$POOL/times"
CPU_CHILDREN=$(tail -1 "$POOL/times" | awk '{ for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] } printf "%.0f", s }')
section "summary ($(( $(date +%s) - START )) s wall; tests phase $(( $(date +%s) - T_TESTS )) s)"
echo "CPU: ${CPU_CHILDREN} s in builds and client processes (servers not counted), $(server_cpu) s in the shared cluster's server"
echo "slowest jobs (wall seconds, with up to $TEST_JOBS other jobs beside them):"
sort -rn "$POOL/durations" | head -15 | sed 's/^/  /'
for f in "${FAILURES[@]}"; do echo "failed: $f"; done
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
