#!/usr/bin/env bash
# Shakes pg_regress and isolation tests for flakes that the test suite meets only now and then, on a
# cluster of its own (not part of scripts/test.sh):
#   bash test/flaky.sh [options] TEST...     (a TEST is a regress test's name; iso:NAME an isolation spec)
# Options (environment):
#   STORM=1          while the tests run, a second session commits transactions of ~10,000 catalog
#                    invalidations in a loop (every other backend falls behind the invalidation queue
#                    and resets its caches and cached plans, as a backend of the loaded parallel suite
#                    now and then does) and a third one creates and drops a publication FOR ALL TABLES
#                    (every cached plan of every database is invalidated) every 0.2 s.
#   FAKE_TIME=HH:MM:SS[ xSPEED]
#                    starts the server for each test with its clock at HH:MM:SS UTC of today (through
#                    libfaketime, installed by scripts/install-deps.sh), running SPEED times as fast, e.g.
#                    FAKE_TIME='23:59:30 x10' to cross the end of a day (and of an hour) within a test.
#   ROUNDS=N         runs the list N times (default 1).
#   PORT, DIR        the cluster's port (55397) and directory (/tmp/strata-flaky-<checkout>).
# Prints "ok NAME" / "FAIL NAME" per run and keeps the diffs of failures in $DIR/diffs; exits non-zero
# on any failure. Roles the tests leave behind are dropped before each test (the suite's cluster is
# new each time).
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
set +e
PORT=${PORT:-55397}
DIR=${DIR:-/tmp/strata-flaky-$(printf '%s' "$ROOT" | md5sum | cut -c1-8)}
D=$DIR/data
export PGHOST=$D.sock PGPORT=$PORT PGUSER=postgres
PGXS_DIR=$(dirname "$($PG_CONFIG --pgxs)")/../..
FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -z "${FAKE_TIME:-}" ] || [ -f "$FAKETIME_LIB" ] || { echo "FAKE_TIME needs libfaketime (apt-get install faketime)"; exit 2; }

stage_install || exit 1
mkdir -p "$DIR/diffs"; chmod 777 "$DIR"
if [ ! -f "$D/PG_VERSION" ]; then cluster_start "$D" "$PORT" || exit 1; cluster_stop "$D"; fi
# start: starts the server (under FAKE_TIME with only the postgres processes on the fake clock:
# pg_ctl itself keeps the real one, so its -t 60 is 60 real seconds, not 60 fake ones); fails with
# the end of the server's log when the server does not come up.
start() {
  local rc
  if [ -n "${FAKE_TIME:-}" ]; then
    as_pg env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="@$(date -u +%F) $FAKE_TIME" FAKETIME_ONLY_CMDS=postgres \
      "$STAGE_BINDIR/pg_ctl" -D "$D" -l "$D.log" -w -t 60 start >/dev/null
  else
    as_pg "$STAGE_BINDIR/pg_ctl" -D "$D" -l "$D.log" -w -t 60 start >/dev/null
  fi
  rc=$?
  [ "$rc" = 0 ] || { echo "the server did not start (pg_ctl exit $rc):"; tail -5 "$D.log"; }
  return "$rc"
}
sq() { psql_at "$D" "$PORT" -qAt "$@" postgres 2>/dev/null; }
# (the storm's sessions run while FAKE_TIME stops and starts the server around each test: each
# round (re)creates what it needs and tolerates a server that is down)
storm() {
  while [ -f "$DIR/storm.on" ]; do
    sq -c "CREATE TABLE IF NOT EXISTS flaky_storm (a int)" -c "DO \$\$ BEGIN FOR i IN 1..2500 LOOP GRANT SELECT ON flaky_storm TO public;
           REVOKE SELECT ON flaky_storm FROM public; END LOOP; END \$\$" >/dev/null
    sleep 1
  done
}
flip() {
  while [ -f "$DIR/storm.on" ]; do
    sq -c "SET client_min_messages = error" -c "CREATE PUBLICATION flaky_all FOR ALL TABLES" \
       -c "DROP PUBLICATION flaky_all" >/dev/null
    sleep 0.2
  done
}
stop_storm() { rm -f "$DIR/storm.on"; wait 2>/dev/null; }
trap 'stop_storm; cluster_stop "$D"' EXIT

failed=0
log0=$(stat -c %s "$D.log" 2>/dev/null || echo 0)
if [ -z "${FAKE_TIME:-}" ]; then start || exit 1; fi
if [ "${STORM:-0}" = 1 ]; then touch "$DIR/storm.on"; storm & flip & fi
for round in $(seq 1 "${ROUNDS:-1}"); do
  for t in "$@"; do
    name=${t#iso:}
    if [ "$t" = "$name" ]; then
      prog=$PGXS_DIR/src/test/regress/pg_regress; inputdir=$ROOT; db=regress_$name
    else
      prog=$PGXS_DIR/src/test/isolation/pg_isolation_regress; inputdir=$ROOT/test/isolation; db=isolation_$name
    fi
    if [ -n "${FAKE_TIME:-}" ] && ! start; then
      echo "FAIL $t (round $round): the server did not start"; failed=$((failed + 1)); continue
    fi
    sq -c "DROP DATABASE IF EXISTS $db" >/dev/null
    for r in $(sq -c "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> 'postgres'"); do
      sq -c "DROP ROLE $r" >/dev/null
    done
    out=$DIR/out/$name; mkdir -p "$out"
    # (files the test writes: a directory of this run's own, as scripts/test.sh gives each test)
    export STRATA_REGRESS_TMP=$DIR/files/$name; rm -rf "$STRATA_REGRESS_TMP"; mkdir -p "$STRATA_REGRESS_TMP"
    chown postgres "$DIR/files" "$STRATA_REGRESS_TMP" 2>/dev/null
    res=$("$prog" --inputdir="$inputdir" --bindir="$SYS_BINDIR" --outputdir="$out" --load-extension=strata \
            --dbname="$db" "$name" 2>&1)
    if grep -qE '\.\.\. ok|^ok [0-9]+' <<<"$res"; then
      echo "ok $t"
    else
      echo "FAIL $t (round $round)"; failed=$((failed + 1))
      cp "$out/regression.diffs" "$DIR/diffs/$name.$round.diffs" 2>/dev/null
    fi
    [ -n "${FAKE_TIME:-}" ] && cluster_stop "$D"
  done
done
tail -c +"$((log0 + 1))" "$D.log" >"$DIR/this_run.log"  # (the server's log of this run only)
if [ -n "$(server_crashes "$DIR/this_run.log")" ]; then keep_crash_log "$DIR/this_run.log" flaky; failed=$((failed + 1)); fi
echo "$failed failed (diffs in $DIR/diffs)"
[ "$failed" = 0 ]
