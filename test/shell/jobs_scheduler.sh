#!/usr/bin/env bash
# Background job scheduler on a private cluster: a job every second runs on time, a failing job's
# errors and retry backoff are recorded, max_runtime cancels a long run, a job whose owner can no
# longer log in fails clearly, strata.max_background_workers caps concurrent runs, alter_job
# and delete_job work while the job runs, and a schedule that cannot advance stops only its job
# (its run, failed or not, is still recorded in the same transaction).
# Usage: test/shell/jobs_scheduler.sh   (prints PASS or FAIL; exit status 0 on PASS)
DATA=/tmp/strata-jobs-sched-data
PORT=55422
source "$(dirname "${BASH_SOURCE[0]}")/lib/jobs_common.sh"
trap 'cluster_stop "$DATA"' EXIT
start_test_cluster

q -d postgres -c "CREATE DATABASE jobsdb"
q -d jobsdb <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
CREATE TABLE runs (job int, at timestamptz DEFAULT clock_timestamp(), who text, search_path text);
GRANT INSERT ON runs TO PUBLIC;
CREATE PROCEDURE tick(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.runs (job, who, search_path) VALUES (job_id, current_user, current_setting('search_path'));
  COMMIT;
END $$;
CREATE FUNCTION fails(job_id int, config jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'job % failed on purpose', job_id USING ERRCODE = 'division_by_zero'; END $$;
CREATE PROCEDURE sleeper(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.runs (job) VALUES (job_id);
  COMMIT;
  PERFORM pg_sleep((config->>'seconds')::float8);
END $$;
SQL

# 1. A job every second, due now: first run within two seconds, then once a second.
q -d jobsdb -c "SELECT add_job('tick', '1 second', initial_start => now() + interval '1 second')" >/dev/null
if poll jobsdb "SELECT count(*) >= 3 FROM runs WHERE job = 1000" 10; then ok "a 1-second job ran 3 times"; else fail "1-second job did not run 3 times in 10 s"; fi
expect jobsdb "SELECT min(at) - j.initial_start < interval '2 seconds' FROM runs, strata_information.jobs j WHERE runs.job = 1000 AND j.job_id = 1000 GROUP BY j.initial_start" t \
  "first run within two seconds of being due"
expect jobsdb "SELECT bool_and(d BETWEEN interval '0.5 s' AND interval '2.5 s') FROM (SELECT at - lag(at) OVER (ORDER BY at) AS d FROM runs WHERE job = 1000) x WHERE d IS NOT NULL" t \
  "runs are one second apart (fixed schedule)"
expect jobsdb "SELECT DISTINCT who || ' ' || search_path FROM runs WHERE job = 1000" 'postgres "$user", public' \
  "job runs as its owner with its owner's search_path"
expect jobsdb "SELECT last_run_status, job_status, total_failures FROM strata_information.job_stats WHERE job_id = 1000" "Success|Scheduled|0" \
  "job_stats shows successful runs"
q -d jobsdb -c "SELECT delete_job(1000)" >/dev/null

# 2. A failing job: every failure recorded with its SQLSTATE; retries back off 1 s, 2 s, 4 s.
q -d jobsdb -c "SELECT add_job('fails', '1 hour', scheduled => false)" >/dev/null
q -d jobsdb -c "SELECT alter_job(1001, retry_period => '1 second', scheduled => true, next_start => now())" >/dev/null
if poll jobsdb "SELECT count(*) >= 3 FROM strata_information.job_errors WHERE job_id = 1001" 15; then ok "failures recorded"; else fail "fewer than 3 failures recorded in 15 s"; fi
expect jobsdb "SELECT DISTINCT sqlerrcode || ' ' || err_message FROM strata_information.job_errors WHERE job_id = 1001" "22012 job 1001 failed on purpose" \
  "job_errors has the SQLSTATE and message"
# Gaps between failures (start to start) grow: ~1 s, then ~2 s.
expect jobsdb "SELECT array_agg(round(extract(epoch FROM d))::int ORDER BY s) FROM (SELECT start_time s, start_time - lag(finish_time) OVER (ORDER BY start_time) d FROM (SELECT * FROM strata_information.job_errors WHERE job_id = 1001 ORDER BY start_time LIMIT 3) e) x WHERE d IS NOT NULL" "{1,2}" \
  "retry backoff doubles"
expect jobsdb "SELECT last_run_status, total_successes, total_failures >= 3 FROM strata_information.job_stats WHERE job_id = 1001" "Failed|0|t" \
  "job_stats counts the failures"
q -d jobsdb -c "SELECT delete_job(1001)" >/dev/null

# 3. max_runtime cancels a run and records it.
q -d jobsdb -c "SELECT add_job('sleeper', '1 hour', '{\"seconds\": 30}', scheduled => false)" >/dev/null
q -d jobsdb -c "SELECT alter_job(1002, max_runtime => '1 second', scheduled => true, next_start => now())" >/dev/null
if poll jobsdb "SELECT count(*) = 1 FROM strata_information.job_errors WHERE job_id = 1002" 10; then ok "overlong run ended"; else fail "max_runtime did not end the run in 10 s"; fi
expect jobsdb "SELECT sqlerrcode, finish_time - start_time < interval '5 s' FROM strata_information.job_errors WHERE job_id = 1002" "57014|t" \
  "max_runtime cancellation recorded as 57014"
q -d jobsdb -c "SELECT delete_job(1002)" >/dev/null

# 4. An owner that can no longer log in: the job fails clearly and does not run as anyone else.
q -d jobsdb >/dev/null <<'SQL'
CREATE ROLE jobs_nologin LOGIN;
GRANT CREATE ON SCHEMA public TO jobs_nologin;
SET ROLE jobs_nologin;
CREATE PROCEDURE mine(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.runs (job, who) VALUES (job_id, current_user); END $$;
SELECT add_job('mine', '1 hour', scheduled => false);
RESET ROLE;
ALTER ROLE jobs_nologin NOLOGIN;
SELECT alter_job(1003, scheduled => true, next_start => now());
SQL
if poll jobsdb "SELECT count(*) = 1 FROM strata_information.job_errors WHERE job_id = 1003" 10; then ok "nologin owner's job failed"; else fail "nologin owner's job not recorded in 10 s"; fi
expect jobsdb "SELECT sqlerrcode || ' ' || err_message FROM strata_information.job_errors WHERE job_id = 1003" \
  '28000 role "jobs_nologin" that owns the job is not permitted to log in' "the error names the owner"
expect jobsdb "SELECT count(*) FROM runs WHERE job = 1003" 0 "the job did not run"
q -d jobsdb -c "SELECT delete_job(1003)" >/dev/null
# An owner that may no longer connect to the database: same.
q -d jobsdb >/dev/null <<'SQL'
ALTER ROLE jobs_nologin LOGIN;
SET ROLE jobs_nologin;
SELECT add_job('mine', '1 hour', scheduled => false);
RESET ROLE;
REVOKE CONNECT ON DATABASE jobsdb FROM PUBLIC;
SELECT alter_job(1004, scheduled => true, next_start => now());
SQL
if poll jobsdb "SELECT count(*) = 1 FROM strata_information.job_errors WHERE job_id = 1004" 10; then ok "owner without CONNECT: job failed"; else fail "owner without CONNECT: not recorded in 10 s"; fi
expect jobsdb "SELECT sqlerrcode || ' ' || err_message FROM strata_information.job_errors WHERE job_id = 1004" \
  '42501 role "jobs_nologin" that owns the job may not connect to database "jobsdb"' "the error says why"
q -d jobsdb -c "SELECT delete_job(1004)" -c "GRANT CONNECT ON DATABASE jobsdb TO PUBLIC" >/dev/null

# 5. strata.max_background_workers = 1: two due jobs never run at the same time.
q -d jobsdb -c "ALTER SYSTEM SET strata.max_background_workers = 1" -c "SELECT pg_reload_conf()" >/dev/null
# (until a new session gets the setting, that is until the postmaster has reloaded and signalled
# the schedulers: on a loaded machine a fixed half second could be too short)
poll jobsdb "SELECT current_setting('strata.max_background_workers') = '1'" 10 || fail "the setting was not reloaded"
q -d jobsdb -c "SELECT add_job('sleeper', '1 hour', '{\"seconds\": 1.5}')" -c "SELECT add_job('sleeper', '1 hour', '{\"seconds\": 1.5}')" >/dev/null
max=0
for _ in $(seq 1 25); do
  n=$(q -d jobsdb -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'strata job'")
  ((n > max)) && max=$n
  sleep 0.2
done
if poll jobsdb "SELECT count(*) = 2 FROM strata_information.job_stats WHERE job_id IN (1005, 1006) AND last_run_status = 'Success'" 10; then ok "both capped jobs ran"; else fail "capped jobs did not both run"; fi
if ((max == 1)); then ok "at most one job ran at a time"; else fail "$max jobs ran at once with max_background_workers = 1"; fi
q -d jobsdb -c "ALTER SYSTEM RESET strata.max_background_workers" -c "SELECT pg_reload_conf()" >/dev/null

# 6. alter_job and delete_job while the job runs: neither waits for it.
q -d jobsdb -c "SELECT add_job('sleeper', '1 hour', '{\"seconds\": 20}')" >/dev/null
if poll jobsdb "SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'strata job 1007'" 10; then ok "long job running"; else fail "long job did not start"; fi
expect jobsdb "SET statement_timeout = '2s'; SELECT schedule_interval FROM alter_job(1007, schedule_interval => '2 hours')" "02:00:00" "alter_job while running"
expect jobsdb "SET statement_timeout = '2s'; SELECT delete_job(1007); SELECT count(*) FROM strata_information.jobs WHERE job_id = 1007" "
0" "delete_job while running"
if poll jobsdb "SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'strata job 1007'" 5; then ok "delete_job stopped the run"; else fail "the deleted job's run goes on"; fi

# 7. A job whose stored schedule can no longer advance (set in the catalog directly: add_job and
#    alter_job refuse such a schedule) runs, is recorded with next_start = infinity and a
#    warning, and the scheduler goes on running the other jobs. Before, recording its finish
#    raised an error that killed the scheduler again at every restart.
q -d jobsdb >/dev/null <<'SQL'
SELECT add_job('tick', '1 second', initial_start => now());
SELECT add_job('tick', '1 hour', scheduled => false);
BEGIN;
SELECT alter_job(1009, scheduled => true, next_start => now());
UPDATE _strata_catalog.bgw_job SET schedule_interval = '300000 years' WHERE id = 1009;
COMMIT;
SQL
if poll jobsdb "SELECT count(*) = 1 FROM runs WHERE job = 1009" 10; then ok "job with an unadvanceable schedule ran"; else fail "job 1009 did not run"; fi
if poll jobsdb "SELECT next_start = 'infinity' FROM strata_information.job_stats WHERE job_id = 1009" 5; then ok "its next start is infinity"; else fail "job 1009's next start is not infinity"; fi
if poll jobsdb "SELECT count(*) >= 3 FROM runs WHERE job = 1008 AND at > (SELECT max(at) FROM runs WHERE job = 1009)" 10; then
  ok "other jobs keep running"; else fail "the 1-second job stopped after job 1009 ran"; fi
expect jobsdb "SELECT count(*) FROM runs WHERE job = 1009" 1 "the unadvanceable job ran once"
# The same for a failing job: its next start fails (in a subtransaction that is rolled back)
# and the transaction that records the run goes on to write the job_errors row.
q -d jobsdb >/dev/null <<'SQL'
SELECT add_job('fails', '1 hour', scheduled => false);
BEGIN;
SELECT alter_job(1010, scheduled => true, next_start => now());
UPDATE _strata_catalog.bgw_job SET schedule_interval = '300000 years' WHERE id = 1010;
COMMIT;
SQL
if poll jobsdb "SELECT count(*) = 1 FROM strata_information.job_errors WHERE job_id = 1010" 10; then
  ok "the failing unadvanceable job's error is recorded"; else fail "job 1010's failure was not recorded"; fi
expect jobsdb "SELECT next_start = 'infinity', total_failures, sqlerrcode FROM strata_information.job_stats JOIN strata_information.job_errors USING (job_id) WHERE job_id = 1010" "t|1|22012" \
  "its next start is infinity, one failure"
if grep -q 'job 1010 will not run again: its next start cannot be computed: timestamp out of range' "$DATA.log"; then
  ok "warning in the server log"; else fail "no warning about job 1010 in the server log"; fi
q -d jobsdb -c "SELECT delete_job(1008)" -c "SELECT delete_job(1009)" -c "SELECT delete_job(1010)" >/dev/null

# With no job left the scheduler leaves (an idle database holds no worker slot); a new job due
# now brings it back at once.
if poll postgres "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'strata job scheduler' AND datname = 'jobsdb'" 15; then
  ok "idle scheduler left"; else fail "the scheduler of a database without jobs is still running"; fi
new_job=$(q -d jobsdb -At -c "SELECT add_job('tick', '1 hour')")
if poll jobsdb "SELECT count(*) = 1 FROM runs WHERE job = $new_job" 10; then ok "a new job runs after the scheduler left"; else fail "job $new_job did not run"; fi
finish
