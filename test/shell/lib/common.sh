# Helpers for shell tests: a private cluster per test, assertions, cleanup. Source after lib.sh.
TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(mktemp -d "/tmp/strata-$TEST_NAME.XXXXXX")
chmod 755 "$TEST_DIR"; chown postgres "$TEST_DIR" 2>/dev/null || true
TEST_DATA=$TEST_DIR/data
[ -x "$STAGE_BINDIR/postgres" ] && [ -f "$STAGE$SYS_PKGLIBDIR/strata.so" ] || stage_install

# Also fails the test (whatever it printed) when a server process of its cluster crashed.
cleanup() {
  local rc=$? crashed=
  cluster_stop "$TEST_DATA"
  if [ -n "$(server_crashes "$TEST_DATA.log")" ]; then keep_crash_log "$TEST_DATA.log" "$TEST_NAME"; crashed=1; fi
  rm -rf "$TEST_DIR"
  if [ -n "$crashed" ]; then echo FAIL; exit 1; fi
  exit "$rc"
}
trap cleanup EXIT

sql() { psql_at "$TEST_DATA" "$TEST_PORT" -At "$@"; }

check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then
    echo "ok: $1"
  else
    echo "FAIL: $1: expected [$2], got [$3]"
    echo "FAIL"
    exit 1
  fi
}

# wait_for_activity DESCRIPTION SQL: polls SQL (a count) every 0.05 s until it is at least 1, for up
# to 240 s (a deadline, not a number of polls: the suite runs several tests at once, and on a loaded
# machine each poll's psql and the awaited work are slower), and checks that it got there (the
# operation to crash is under way).
wait_for_activity() {
  local what=$1 query=$2 seen=0 n deadline=$((SECONDS + 240))
  while [ "$SECONDS" -lt "$deadline" ]; do
    n=$(sql -c "$query" 2>/dev/null)
    if [ "${n:-0}" -ge 1 ]; then seen=1; break; fi
    sleep 0.05
  done
  check "$what" 1 "$seen"
}

# kill_server: kills the test cluster's postmaster and its children with SIGKILL and waits (up to
# 60 s) until they are gone, a zombie counting as gone (nothing reaps the postmaster in some
# containers): a new postmaster refuses to start while the old shared memory is attached, and on a
# loaded machine the killed processes may take longer than a fixed sleep to exit. Past the deadline
# it lists the survivors and fails the test.
kill_server() {
  local pm pids p alive deadline=$((SECONDS + 60))
  pm=$(head -1 "$TEST_DATA/postmaster.pid")
  pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
  pkill -9 -P "$pm" || true
  kill -9 "$pm" || true
  while [ "$SECONDS" -lt "$deadline" ]; do
    alive=
    for p in $pids; do
      case $(ps -o stat= -p "$p" 2>/dev/null) in ''|Z*) ;; *) alive=1 ;; esac
    done
    [ -z "$alive" ] && return 0
    sleep 0.05
  done
  echo "FAIL: kill_server: processes of the killed server still alive after 60 s:"
  for p in $pids; do ps -o pid=,stat=,args= -p "$p" 2>/dev/null; done
  echo "FAIL"
  exit 1
}

# crash_and_restart JOB_PID DELAY: after DELAY seconds kills the whole server with SIGKILL (the
# postmaster and every backend, as a power loss would), reaps the background client JOB_PID and
# starts the cluster again (crash recovery replays the WAL).
crash_and_restart() {
  local job=$1 delay=$2
  sleep "$delay"
  kill_server
  wait "$job" 2>/dev/null || true
  rm -f "$TEST_DATA/postmaster.pid" "$TEST_DATA.sock"/.s.PGSQL.*.lock
  cluster_start "$TEST_DATA" "$TEST_PORT" || { tail -20 "$TEST_DATA.log"; echo FAIL; exit 1; }
}

# standby_start: a streaming standby of the test's cluster in $STANDBY on $STANDBY_PORT (both set by
# the test), made with pg_basebackup and started; fails the test when it cannot be.
standby_start() {
  as_pg "$STAGE_BINDIR/pg_basebackup" -h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres -D "$STANDBY" -R -X stream \
    --checkpoint=fast >/dev/null || { echo "FAIL: pg_basebackup"; exit 1; }
  mkdir -p "$STANDBY.sock" && chown postgres "$STANDBY.sock" 2>/dev/null || true
  {
    echo "port = $STANDBY_PORT"
    echo "unix_socket_directories = '$STANDBY.sock'"
  } >>"$STANDBY/postgresql.conf"
  as_pg "$STAGE_BINDIR/pg_ctl" -D "$STANDBY" -l "$STANDBY.log" -w -t 60 start >/dev/null \
    || { tail -20 "$STANDBY.log"; echo FAIL; exit 1; }
}
