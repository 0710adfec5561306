#!/usr/bin/env bash
# Jobs run again after the launcher or a scheduler dies: kill -9 of the launcher and of a
# scheduler (the postmaster reinitialises shared memory and starts the launcher again), and a
# launcher terminated while a scheduler runs, whose scheduler then leaves or is terminated (the
# new launcher did not start it: no exit notification reaches it). After each, a job due every
# second must run again within the deadline. Last, a scheduler that never confirms (it waits on a
# lock while connecting) started by a launcher that was then terminated: the new launcher
# terminates it after the grace, as it does its own (before, it held its worker slot for good).
# Usage: test/shell/jobs_restart.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-restart-data
PORT=55428
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster "max_prepared_transactions = 4"

q -d postgres -c "CREATE DATABASE jr"
install_tick jr -c "SELECT add_job('tick', '1 second')"
pid_of() { q -d postgres -c "SELECT coalesce(min(pid), 0) FROM pg_stat_activity WHERE backend_type = '$1'" 2>/dev/null; }
# runs_again WHAT: the job runs twice more (polled with a deadline; the server may be restarting).
runs_again() {
  local before=-1 deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    before=$(q -d jr -c "SELECT count(*) FROM runs" 2>/dev/null) && break
    sleep 0.2
  done
  if poll jr "SELECT count(*) >= ${before:-0} + 2 FROM runs" 20; then ok "jobs run again after $1"; else fail "no runs after $1 (before: $before)"; fi
}
# wait_new TYPE OLD_PID: a process of TYPE other than OLD_PID runs (deadline 120 s).
wait_new() {
  local p deadline=$((SECONDS + 120))
  while [ "$SECONDS" -lt "$deadline" ]; do
    p=$(pid_of "$1")
    [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ] && return 0
    sleep 0.2
  done
  return 1
}
if poll jr "SELECT count(*) >= 2 FROM runs" 10; then ok "the job runs"; else fail "the job did not run"; fi

# 1. kill -9 of the launcher: the postmaster reinitialises; the launcher and the scheduler come back.
old=$(pid_of 'strata job launcher')
kill -9 "$old"
if wait_new 'strata job launcher' "$old"; then ok "launcher back after kill -9"; else fail "no launcher after kill -9"; fi
runs_again "kill -9 of the launcher"

# 2. kill -9 of the scheduler.
old=$(pid_of 'strata job scheduler')
[ "$old" != 0 ] || { poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10; old=$(pid_of 'strata job scheduler'); }
kill -9 "$old"
runs_again "kill -9 of the scheduler"

# 3. The launcher terminated (it exits and is started again after 2 s) while the scheduler runs;
# then the scheduler is terminated too: the new launcher starts a scheduler again.
poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10
old=$(pid_of 'strata job launcher')
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
if wait_new 'strata job launcher' "$old"; then ok "launcher back after termination"; else fail "no launcher after termination"; fi
sched=$(pid_of 'strata job scheduler')
q -d postgres -c "SELECT pg_terminate_backend($sched)" >/dev/null
runs_again "a terminated launcher and then a terminated scheduler"

# 4. The launcher terminated, and the scheduler killed with SIGKILL before the new launcher starts.
poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10
old=$(pid_of 'strata job launcher')
sched=$(pid_of 'strata job scheduler')
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
[ "$sched" != 0 ] && kill -9 "$sched"
runs_again "a terminated launcher and a killed scheduler"

# 5. The job is changed while no launcher runs (terminated, not yet back): it runs on the new
# schedule once the launcher is back.
old=$(pid_of 'strata job launcher')
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
q -d jr -c "SELECT alter_job(1000, schedule_interval => interval '2 seconds')" >/dev/null
runs_again "a job change while the launcher was away"

# 6. A database whose pg_extension a prepared transaction keeps locked: the scheduler a launcher
# starts there (its startup scan covers every database) waits on that lock while connecting and
# never confirms. That launcher is terminated within the grace; the new one did not start the
# scheduler (no handle, no exit notification) and must still terminate it after the grace.
q -d postgres -c "CREATE DATABASE blk"
q -d blk -c "BEGIN" -c "LOCK TABLE pg_catalog.pg_extension IN ACCESS EXCLUSIVE MODE" -c "PREPARE TRANSACTION 'blk'"
tried=0 adopted=0
while [ $tried -lt 3 ] && [ $adopted = 0 ]; do
  tried=$((tried + 1))
  t0=$(q -d postgres -c "SELECT clock_timestamp()")
  old=$(pid_of 'strata job launcher')
  q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
  wait_new 'strata job launcher' "$old" || { fail "no launcher after termination ($tried)"; break; }
  # (the new launcher's scan starts a scheduler for blk, which waits on the lock)
  w=0; deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    w=$(q -d postgres -c "SELECT coalesce(min(l.pid), 0) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                          WHERE NOT l.granted AND l.relation = 'pg_catalog.pg_extension'::regclass AND d.datname = 'blk'
                            AND l.waitstart > '$t0'")
    [ "$w" != 0 ] && break
    sleep 0.1
  done
  [ "$w" != 0 ] || { fail "no scheduler waits in blk ($tried)"; break; }
  old=$(pid_of 'strata job launcher')
  q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
  wait_new 'strata job launcher' "$old" || { fail "no launcher after the second termination ($tried)"; break; }
  # (only if the waiter outlived the launcher that started it: else that launcher ended it itself)
  [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $w")" = 1 ] ||
    [ "$(q -d postgres -c "SELECT count(*) FROM pg_locks WHERE pid = $w")" != 0 ] && adopted=$w
done
if [ $adopted = 0 ]; then
  fail "the waiting scheduler never outlived its launcher in $tried tries"
elif poll postgres "SELECT count(*) = 0 FROM pg_locks WHERE pid = $adopted" 20; then
  ok "the new launcher terminates the waiting scheduler it did not start"
else
  fail "the scheduler started by the terminated launcher still waits"
fi
runs_again "a waiting scheduler left by a terminated launcher"

finish
