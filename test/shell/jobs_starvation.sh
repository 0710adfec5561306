#!/usr/bin/env bash
# Jobs never starve for background workers. With max_worker_processes = 8 and 12 databases with
# strata, each with a job every 3 seconds, every job of every database runs again and again and
# none records a failure: schedulers hold a worker slot only while their database has jobs due,
# and a job that cannot get a worker waits (shown as 'Waiting' in job_stats) instead of failing.
# Idle databases cost no process; a job added or moved while schedulers come and go is not lost.
# Usage: test/shell/jobs_starvation.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-starve-data
PORT=55426
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster "max_worker_processes = 8"

NDB=12
RUNS=4
dbs=()
for i in $(seq 1 $NDB); do dbs+=("starve_$i"); done
# One database set up, then copied (CREATE DATABASE ... TEMPLATE: quicker than 12 installs).
q -d postgres -c "CREATE DATABASE starve_tpl"
install_tick starve_tpl
for db in "${dbs[@]}"; do q -d postgres -c "CREATE DATABASE $db TEMPLATE starve_tpl"; done
# All jobs start together, then every 3 seconds: more databases with due jobs than worker slots.
start=$(q -d postgres -c "SELECT now() + interval '2 seconds'")
for db in "${dbs[@]}"; do
  q -d "$db" -c "SELECT add_job('tick', '3 seconds', initial_start => '$start')" >/dev/null
done

all_ran() {
  local db
  for db in "${dbs[@]}"; do
    [ "$(q -d "$db" -c "SELECT count(*) >= $RUNS FROM runs" 2>/dev/null)" = t ] || return 1
  done
}
t0=$(date +%s)
deadline=$((t0 + 60))
until all_ran || (($(date +%s) > deadline)); do sleep 1; done
counts=""
for db in "${dbs[@]}"; do counts+="$(q -d "$db" -c "SELECT count(*) FROM runs") "; done
if all_ran; then ok "every job of every database ran $RUNS times within $(( $(date +%s) - t0 )) s (runs: $counts)"; else
  fail "not every job ran $RUNS times in 60 s (runs per database: $counts)"
  for db in "${dbs[@]}"; do echo "  $db: $(q -d "$db" -c "SELECT job_status || ' ' || next_start || ' ' || coalesce(last_run_started_at::text, '-') || ' ' || total_runs FROM strata_information.job_stats")" >&2; done
  q -d postgres -c "SELECT datname, backend_type, pid, backend_start FROM pg_stat_activity WHERE backend_type LIKE 'strata%'" >&2
fi
errors=0
for db in "${dbs[@]}"; do
  n=$(q -d "$db" -c "SELECT count(*) FROM strata_information.job_errors")
  if [ "$n" != 0 ]; then
    errors=$((errors + n))
    echo "  $db: $(q -d "$db" -c "SELECT string_agg(sqlerrcode || ' ' || err_message, '; ') FROM strata_information.job_errors")" >&2
  fi
done
if [ "$errors" = 0 ]; then ok "no job recorded a failure"; else fail "$errors failures recorded"; fi
expect postgres "SELECT count(*) <= 8 FROM pg_stat_activity WHERE backend_type LIKE 'strata job%'" t "strata processes fit in the worker slots"

# Idle databases hold no scheduler: move every job an hour away.
for db in "${dbs[@]}"; do
  q -d "$db" -c "SELECT alter_job(1000, schedule_interval => '1 hour', next_start => now() + interval '1 hour')" >/dev/null
done
if poll postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 20; then
  ok "no scheduler runs while no job is due"; else
  fail "schedulers still running: $(q -d postgres -c "SELECT string_agg(datname, ',') FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'")"; fi
expect postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'strata job launcher'" 1 "the launcher stays"

# A change to the jobs brings the scheduler back, also when it commits just as the scheduler
# leaves (around the idle horizon after the last run).
db=${dbs[0]}
for k in 1 2 3; do
  before=$(q -d "$db" -c "SELECT total_runs FROM _strata_catalog.bgw_job_stat WHERE job_id = 1000")
  q -d "$db" -c "SELECT alter_job(1000, next_start => now())" >/dev/null
  if ! poll "$db" "SELECT total_runs > $before FROM _strata_catalog.bgw_job_stat WHERE job_id = 1000" 10; then
    fail "job moved to now did not run (round $k)"; break; fi
  sleep "$(awk -v k=$k 'BEGIN { print 2.4 + 0.3 * k }')"   # 2.7 .. 3.3 s: around the idle horizon
done
[ "$FAILURES" = 0 ] && ok "jobs moved to now ran each time"

# A job that cannot get a worker waits, shown as 'Waiting', and runs when a worker is free.
q -d "$db" -c "ALTER SYSTEM SET strata.max_background_workers = 1" -c "SELECT pg_reload_conf()" >/dev/null
# (until a new session gets the setting, that is until the postmaster has reloaded and signalled
# the schedulers: on a loaded machine a fixed half second could be too short)
poll "$db" "SELECT current_setting('strata.max_background_workers') = '1'" 10 || fail "the setting was not reloaded"
q -d "$db" >/dev/null <<'SQL'
-- (holds the only worker until the test has seen the other job wait, at most 60 s: a fixed
-- sleep could end before a loaded machine's scheduler got to see the other job due)
CREATE TABLE release (x int);
CREATE PROCEDURE sleeper(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. 600 LOOP
    EXIT WHEN EXISTS (SELECT FROM release);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT add_job('sleeper', '1 hour');
SQL
if poll "$db" "SELECT job_status = 'Running' FROM strata_information.job_stats WHERE job_id = 1001" 10; then ok "sleeper running"; else fail "sleeper did not start"; fi
before=$(q -d "$db" -c "SELECT count(*) FROM runs")
q -d "$db" -c "SELECT alter_job(1000, next_start => now())" >/dev/null
if poll "$db" "SELECT job_status = 'Waiting' FROM strata_information.job_stats WHERE job_id = 1000" 5; then ok "a job without a worker is 'Waiting'"; else
  fail "job_status: $(q -d "$db" -c "SELECT job_status FROM strata_information.job_stats WHERE job_id = 1000")"; fi
q -d "$db" -c "INSERT INTO release VALUES (1)" >/dev/null
if poll "$db" "SELECT count(*) > $before FROM runs" 15; then ok "the waiting job ran once the worker was free"; else fail "the waiting job did not run"; fi
expect "$db" "SELECT coalesce(string_agg(job_id || ' ' || sqlerrcode || ' ' || err_message, '; '), 'none') FROM strata_information.job_errors" none "waiting recorded no failure"
q -d "$db" -c "ALTER SYSTEM RESET strata.max_background_workers" -c "SELECT pg_reload_conf()" >/dev/null

# A dropped database's scheduler is not started again; DROP DATABASE is not blocked.
q -d "${dbs[1]}" -c "SELECT alter_job(1000, schedule_interval => '1 second', next_start => now())" >/dev/null
sleep 1
if q -d postgres -c "DROP DATABASE ${dbs[1]}" 2>/dev/null; then ok "DROP DATABASE with jobs due"; else fail "DROP DATABASE failed"; fi
sleep 2
expect postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '${dbs[1]}'" 0 "nothing runs in the dropped database"
finish
