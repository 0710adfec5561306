#!/usr/bin/env bash
# Scheduler lifecycle on a private cluster: one scheduler per database with jobs due (none for
# the others), jobs resume after a restart and after a crash of a job worker, and DROP
# EXTENSION, DROP DATABASE and ALTER DATABASE ... RENAME are not blocked by the scheduler or by a
# running job.
# Usage: test/shell/jobs_lifecycle.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-life-data
PORT=55423
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster

schedulers() {
  q -d postgres -c "SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'"
}
setup_db() {
  q -d postgres -c "CREATE DATABASE $1"
  install_tick "$1" -c 'CREATE PROCEDURE sleeper(job_id int, config jsonb) LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO public.runs (job) VALUES (job_id); COMMIT; PERFORM pg_sleep(60); END $$' \
    -c "SELECT add_job('tick', '1 second')"
}

q -d postgres -c "CREATE DATABASE plain"   # no extension: no scheduler
setup_db db_a
setup_db db_b
if poll postgres "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10; then ok "schedulers started by CREATE EXTENSION"; else fail "schedulers: $(schedulers)"; fi
expect postgres "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" "db_a,db_b" "one scheduler per database with strata"
if poll db_a "SELECT count(*) >= 2 FROM runs" 10; then ok "jobs run in db_a"; else fail "no runs in db_a"; fi

# Restart: schedulers come back (found by the launcher's startup scan) and jobs resume.
cluster_stop "$DATA"
cluster_start "$DATA" "$PORT"
before=$(q -d db_b -c "SELECT count(*) FROM runs")
if poll postgres "SELECT string_agg(datname, ',' ORDER BY datname) = 'db_a,db_b' FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 15; then ok "schedulers back after restart, none for plain"; else fail "after restart: $(schedulers)"; fi
if poll db_b "SELECT count(*) >= $before + 2 FROM runs" 10; then ok "jobs resume after restart"; else fail "no runs after restart"; fi

# Crash of a job worker (SIGKILL makes the postmaster reinitialise): everything comes back.
q -d db_a -c "SELECT add_job('sleeper', '1 hour')" >/dev/null
if poll db_a "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'strata job 1001'" 10; then ok "sleeper running"; else fail "sleeper did not start"; fi
pid=$(q -d db_a -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'strata job 1001'")
# (new schedulers, not the old ones still seen before the postmaster got to the crash)
old=$(q -d postgres -c "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'")
kill -9 "$pid"
if poll postgres "SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler' AND pid NOT IN (${old:-0})" 20; then ok "schedulers back after a crash"; else fail "after crash: $(schedulers)"; fi
before=$(q -d db_a -c "SELECT count(*) FROM runs WHERE job = 1000")
if poll db_a "SELECT count(*) >= $before + 2 FROM runs WHERE job = 1000" 10; then ok "jobs resume after a crash"; else fail "no runs after crash"; fi
expect db_a "SELECT total_crashes >= 1, last_run_status FROM _strata_catalog.bgw_job_stat s, strata_information.job_stats v WHERE s.job_id = 1001 AND v.job_id = 1001" "t|Failed" "the interrupted run is recorded as a crash"
q -d db_a -c "SELECT delete_job(1001)" >/dev/null

# DROP EXTENSION while a job runs: quick, and the scheduler leaves; CREATE EXTENSION brings it back.
q -d db_b -c "SELECT add_job('sleeper', '1 hour')" >/dev/null
if poll db_b "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'strata job 1001'" 10; then ok "db_b sleeper running"; else fail "db_b sleeper did not start"; fi
t0=$(date +%s)
if q -d db_b -c "SET statement_timeout = '15s'" -c "DROP EXTENSION strata CASCADE" 2>/dev/null; then ok "DROP EXTENSION with a running job"; else fail "DROP EXTENSION failed"; fi
(( $(date +%s) - t0 <= 5 )) && ok "DROP EXTENSION did not wait for the job" || fail "DROP EXTENSION took $(( $(date +%s) - t0 )) s"
# (polled: on a loaded machine the scheduler and the job may take more than a fixed second to leave)
if poll postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'db_b' AND backend_type LIKE 'strata%'" 10; then
  ok "no scheduler or job left in db_b"
else fail "no scheduler or job left in db_b: $(q -d postgres -c "SELECT string_agg(backend_type, ',') FROM pg_stat_activity WHERE datname = 'db_b'")"; fi
q -d db_b -c "SET client_min_messages = warning" -c "CREATE EXTENSION strata" -c "SELECT add_job('tick', '1 second')" >/dev/null
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_b' AND backend_type = 'strata job scheduler'" 10; then ok "scheduler back after CREATE EXTENSION"; else fail "no scheduler after re-create"; fi
if poll db_b "SELECT count(*) >= 1 FROM runs r JOIN strata_information.jobs j ON j.job_id = r.job" 10; then ok "new job runs"; else fail "new job did not run"; fi

# ALTER DATABASE ... RENAME needs the database to itself: the scheduler steps aside and returns.
if q -d postgres -c "ALTER DATABASE db_b RENAME TO db_c" 2>/dev/null; then ok "RENAME with a scheduler"; else fail "RENAME failed"; fi
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler'" 10; then ok "scheduler back after RENAME"; else fail "no scheduler after RENAME"; fi

# ALTER EXTENSION ... UPDATE: the scheduler steps aside and comes back.
q -d db_c -c "SELECT pg_backend_pid()" >/dev/null
old=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler'")
if q -d db_c -c "SET client_min_messages = warning" -c "ALTER EXTENSION strata UPDATE" 2>/dev/null; then ok "ALTER EXTENSION UPDATE"; else fail "ALTER EXTENSION UPDATE failed"; fi
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler' AND pid <> $old" 10; then ok "a new scheduler after ALTER EXTENSION UPDATE"; else fail "no new scheduler after ALTER EXTENSION UPDATE"; fi

# A scheduler that is terminated (or fails) is started again by the launcher.
old=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler'")
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler' AND pid <> $old" 10; then ok "terminated scheduler restarted"; else fail "terminated scheduler not restarted"; fi

# So is a terminated launcher; it then looks after the schedulers already running.
old=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'strata job launcher'")
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'strata job launcher' AND pid <> $old" 10; then ok "terminated launcher restarted"; else fail "terminated launcher not restarted"; fi
expect postgres "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'strata job scheduler' AND datname = 'db_c'" 1 "still one scheduler for db_c"
old=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler'")
q -d postgres -c "SELECT pg_terminate_backend($old)" >/dev/null
if poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_c' AND backend_type = 'strata job scheduler' AND pid <> $old" 10; then ok "the new launcher restarts schedulers"; else fail "the new launcher did not restart the scheduler"; fi

# strata in template1 with a job: no scheduler there (CREATE DATABASE must be able to copy it),
# and a database created from it gets one that runs the copied job.
install_tick template1 -c "SELECT add_job('tick', '1 second')"
sleep 1
expect postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'template1'" 0 "no scheduler in template1"
expect template1 "SELECT count(*) FROM runs" 0 "no job ran in template1"
if q -d postgres -c "CREATE DATABASE db_t"; then ok "CREATE DATABASE from template1 with strata"; else fail "CREATE DATABASE failed"; fi
if poll db_t "SELECT count(*) >= 2 FROM runs" 10; then ok "the copy's scheduler runs its job"; else fail "no job ran in db_t"; fi
q -d postgres -c "DROP DATABASE db_t"
q -d template1 -c "DROP EXTENSION strata" -c "DROP TABLE runs" -c "DROP PROCEDURE tick"

# DROP DATABASE while a job runs: not blocked.
q -d db_a -c "SELECT add_job('sleeper', '1 hour')" >/dev/null
if poll db_a "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name LIKE 'strata job 1%' AND datname = 'db_a' AND backend_type = 'strata job'" 10; then ok "db_a sleeper running"; else fail "db_a sleeper did not start"; fi
t0=$(date +%s)
if q -d postgres -c "DROP DATABASE db_a" 2>/dev/null; then ok "DROP DATABASE with a scheduler and a running job"; else fail "DROP DATABASE failed"; fi
(( $(date +%s) - t0 <= 5 )) && ok "DROP DATABASE did not hang" || fail "DROP DATABASE took $(( $(date +%s) - t0 )) s"
# A failed DROP DATABASE (a client is connected) leaves the scheduler running.
# (the DROP waits until the client is seen connected: a fixed half second could be too short for a
# loaded machine's psql to connect, and the DROP would succeed)
q -d db_c -c "SET application_name = 'db_c client'" -c "SELECT pg_sleep(8)" >/dev/null &
poll postgres "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = 'db_c' AND application_name = 'db_c client'" 10 \
  || fail "the client did not connect to db_c"
if q -d postgres -c "DROP DATABASE db_c" 2>/dev/null; then fail "DROP DATABASE succeeded with a client connected"; else ok "DROP DATABASE refused while a client is connected"; fi
wait
if poll postgres "SELECT string_agg(datname, ',') = 'db_c' FROM pg_stat_activity WHERE backend_type = 'strata job scheduler'" 10; then ok "scheduler back after the failed DROP DATABASE"; else fail "schedulers: $(schedulers)"; fi
finish
