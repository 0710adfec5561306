#!/usr/bin/env bash
# Databases whose scheduler never confirms strata must not hold back the others, hold worker slots
# for good, or block a fast shutdown: nine databases (no strata) each keep pg_extension locked by a
# prepared transaction, which survives a restart, so a scheduler started there waits on that lock
# while connecting and never confirms.
# 1. A restarted launcher scans them and starts 4 of their schedulers (its cap of unconfirmed
#    ones); the scheduler of the database with a job, confirmed, is started again at once meanwhile.
# 2. After the grace the launcher terminates those schedulers (they wait on the lock in die()'s
#    hands, not the scheduler's own SIGTERM handler), and a fast shutdown works while some wait.
# 3. After a restart (every entry unconfirmed), the database with a job, created after them
#    (scanned after them), still gets its scheduler and its job runs: the scan's cap of 8
#    unconfirmed entries counts an entry until its scheduler starts and for the grace after.
# Usage: test/shell/jobs_unconfirmed.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-unconfirmed-data
PORT=55529
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
NBLOCK=9
# The prepared transactions cannot be finished: that needs a session in their database, and a new
# session there waits on the same lock (its catalog caches open pg_extension). A fast shutdown
# ends the sessions waiting on it; should it fail, the cluster is stopped in immediate mode.
stop_now() { as_pg "$STAGE_BINDIR/pg_ctl" -D "$DATA" -m immediate -w -t 60 stop >/dev/null 2>&1 || true; }
trap 'stop_now' EXIT
start_test_cluster "max_prepared_transactions = 16"
sched="SELECT pid FROM pg_stat_activity WHERE backend_type = 'strata job scheduler' AND datname = 'late'"
# (they wait while connecting: pg_stat_activity does not show them yet, pg_locks does)
waiters="FROM pg_locks WHERE NOT granted AND relation = 'pg_catalog.pg_extension'::regclass"

q -d postgres -c "CREATE DATABASE late"
# (each run records when its worker started)
install_tick late -c 'CREATE FUNCTION worker_start() RETURNS timestamptz LANGUAGE sql
                        AS $$SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()$$' \
  -c "ALTER TABLE runs ADD COLUMN started timestamptz DEFAULT worker_start()" -c "SELECT add_job('tick', '1 second')"
if poll late "SELECT count(*) >= 1 FROM runs" 10; then ok "the job runs"; else fail "no run"; fi
for i in $(seq 1 $NBLOCK); do
  q -d postgres -c "CREATE DATABASE blk$i"
  q -d "blk$i" -c "BEGIN" -c "LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE" -c "PREPARE TRANSACTION 'blk$i'"
done

# 1. The launcher's new scan (pg_database) gives the blocked databases entries. (Their schedulers
# started by CREATE DATABASE may have met the lock too: only waits that start later count.)
t0=$(q -d postgres -c "SELECT clock_timestamp()")
new="$waiters AND waitstart > '$t0'"
launcher="FROM pg_stat_activity WHERE backend_type = 'strata job launcher'"
old=$(q -d postgres -c "SELECT pid $launcher")
q -d postgres -c "SELECT pg_terminate_backend(pid) $launcher" >/dev/null
if poll postgres "SELECT EXISTS (SELECT $launcher AND pid <> $old)" 10; then ok "the launcher starts again"; else
  fail "no new launcher"; fi
# (it starts the blocked databases' schedulers after this)
launched=$(q -d postgres -c "SELECT backend_start $launcher")
if poll postgres "SELECT count(*) >= 4 $new" 10; then ok "schedulers of the locked databases wait on the lock"; else
  fail "waiting: $(q -d postgres -c "SELECT count(*) $new")"; fi
t=$(q -d postgres -c "SELECT clock_timestamp()")
q -d postgres -c "SELECT pg_terminate_backend(pid) FROM ($sched) s" >/dev/null
# (a worker that starts after this was started by a new scheduler)
if poll late "SELECT EXISTS (SELECT FROM runs WHERE started > '$t')" 10; then
  ok "the job's scheduler starts again"; else fail "no run in late"; fi
# (the launcher starts it past the blocked candidates while 4 unconfirmed schedulers are within
# their grace: seen in the launcher; note that the code before this skip passed this check too,
# for reasons not found)
expect late "SELECT min(started) < '$launched'::timestamptz + interval '10 s' FROM runs WHERE started > '$t'" t \
  "it starts while unconfirmed schedulers are within their grace"

# 2. Schedulers that wait past the grace are terminated (and started again later).
stuck=$(q -d postgres -c "SELECT string_agg(pid::text, ',') $new")
if poll postgres "SELECT NOT EXISTS (SELECT $waiters AND pid IN ($stuck))" 20; then
  ok "the launcher terminates schedulers stuck past the grace"; else
  fail "still waiting: $(q -d postgres -c "SELECT string_agg(pid::text, ',') $waiters AND pid IN ($stuck)")"; fi
if poll postgres "SELECT count(*) >= 1 $waiters" 30; then ok "retried schedulers wait again"; else
  fail "no scheduler waits on the lock"; fi
if as_pg "$STAGE_BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
  ok "a fast shutdown ends the waiting schedulers"; else fail "the fast shutdown did not finish"; stop_now; fi

# 3. After a restart every entry is unconfirmed.
cluster_start "$DATA" "$PORT"
expect postgres "SELECT count(*) FROM pg_prepared_xacts" $NBLOCK "the prepared transactions survive the restart"
if poll postgres "SELECT count(*) >= 4 $waiters" 10; then ok "schedulers of the locked databases wait on the lock"; else
  fail "waiting: $(q -d postgres -c "SELECT count(*) $waiters")"; fi
b=$(q -d late -c "SELECT count(*) FROM runs")
if poll late "SELECT count(*) >= $b + 2 FROM runs" 30; then
  ok "the job of the database scanned after them runs"; else
  fail "late runs: $(q -d late -c "SELECT count(*) FROM runs") (was $b); waiting: $(q -d postgres -c "SELECT count(*) $waiters")"; fi
finish
