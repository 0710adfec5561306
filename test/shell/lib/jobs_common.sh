# Helpers shared by the jobs_*.sh shell tests (sourced): a private cluster, bounded polling and
# PASS/FAIL reporting. Not a test by itself.
source "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib.sh"
# One data directory per checkout: the same test run from two worktrees at once must not share it.
DATA=$DATA-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)

FAILURES=0
q() { psql_at "$DATA" "$PORT" -q -At "$@"; }
fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }
ok() { echo "ok: $*"; }
# poll DB SQL TIMEOUT_SECONDS: re-runs SQL (which returns t or f) every 0.2 s until it returns t.
# The timeout is multiplied by POLL_SCALE (default 3): the test suite runs several tests at once,
# and a loaded machine's background workers start late; a poll ends as soon as SQL returns t.
poll() {
  local db=$1 sql=$2 timeout=$3 deadline
  deadline=$(($(date +%s%N) / 1000000 + timeout * ${POLL_SCALE:-3} * 1000))
  while (($(date +%s%N) / 1000000 < deadline)); do
    [ "$(q -d "$db" -c "$sql" 2>/dev/null)" = t ] && return 0
    sleep 0.2
  done
  return 1
}
# expect DB SQL EXPECTED DESCRIPTION
expect() {
  local got
  got=$(q -d "$1" -c "$2" 2>&1) || true
  if [ "$got" = "$3" ]; then ok "$4"; else fail "$4: expected '$3', got '$got'"; fi
}
# install_tick DB [psql options...]: strata, a table runs and a procedure tick(job_id, config) that
# adds a row to it, in DB; then the further -c commands given.
install_tick() {
  local db=$1; shift
  q -d "$db" >/dev/null -c "SET client_min_messages = warning" -c "CREATE EXTENSION strata" \
    -c "CREATE TABLE runs (job int, at timestamptz DEFAULT clock_timestamp())" \
    -c 'CREATE PROCEDURE tick(job_id int, config jsonb) LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.runs (job) VALUES (job_id); END $$' "$@"
}
start_test_cluster() {
  rm -rf "$DATA" "$DATA.sock" "$DATA.log"
  [ -x "$STAGE_BINDIR/postgres" ] && [ -f "$STAGE$SYS_PKGLIBDIR/strata.so" ] || stage_install
  cluster_start "$DATA" "$PORT" "synchronous_commit = on" "$@"
}
finish() {
  cluster_stop "$DATA"
  if [ -n "$(server_crashes "$DATA.log")" ]; then fail "$(keep_crash_log "$DATA.log" "$(basename "$0" .sh)")"; fi
  if [ "$FAILURES" = 0 ]; then
    rm -rf "$DATA" "$DATA.sock"
    echo PASS
    exit 0
  fi
  echo "server log: $DATA.log" >&2
  echo FAIL
  exit 1
}
