#!/usr/bin/env bash
# Databases whose scheduler never confirms strata must not hold back the others: nine databases
# (no strata) each keep pg_extension locked by a prepared transaction, which survives a restart,
# so the scheduler the launcher's startup scan starts there waits on that lock and never confirms.
# The database with a job, created after them (scanned after them), still gets its scheduler and
# its job runs: the scan's cap of 8 unconfirmed entries and the launcher's cap of 4 unconfirmed
# schedulers count an entry or scheduler for a grace period only, and confirmed databases start
# while unconfirmed ones wait.
# Usage: test/shell/jobs_unconfirmed.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-unconfirmed-data
PORT=55529
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
NBLOCK=9
# The prepared transactions cannot be finished: that needs a session in their database, and a new
# session there waits on the same lock (its catalog caches open pg_extension). The processes
# waiting on it ignore a fast shutdown's SIGTERM (the schedulers handle it themselves): the
# cluster is stopped in immediate mode.
stop_now() { as_pg "$STAGE_BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 60 stop >/dev/null 2>&1 || true; }
trap 'stop_now' EXIT
start_test_cluster "max_prepared_transactions = 16"

for i in $(seq 1 $NBLOCK); do
  q -d postgres -c "CREATE DATABASE blk$i"
  q -d "blk$i" -c "BEGIN" -c "LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE" -c "PREPARE TRANSACTION 'blk$i'"
done
q -d postgres -c "CREATE DATABASE late"
install_tick late -c "SELECT add_job('tick', '1 second')"
if poll late "SELECT count(*) >= 1 FROM runs" 10; then ok "the job runs before the restart"; else
  fail "no run before the restart"; fi

cluster_stop "$DATA"
cluster_start "$DATA" "$PORT"
expect postgres "SELECT count(*) FROM pg_prepared_xacts" $NBLOCK "the prepared transactions survive the restart"
# (they wait while connecting: pg_stat_activity does not show them yet, pg_locks does)
waiting="SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'pg_catalog.pg_extension'::regclass"
if poll postgres "SELECT ($waiting) >= 4" 10; then ok "schedulers of the locked databases wait on the lock"; else
  fail "waiting: $(q -d postgres -c "$waiting")"; fi
b=$(q -d late -c "SELECT count(*) FROM runs")
if poll late "SELECT count(*) >= $b + 2 FROM runs" 20; then
  ok "the job of the database scanned after them runs"; else
  fail "late runs: $(q -d late -c "SELECT count(*) FROM runs") (was $b); waiting: $(q -d postgres -c "$waiting")"; fi
stop_now
finish
