-- Job API: add_job / alter_job / delete_job / run_job validation, the jobs views, and who may
-- change which job. Jobs are created unscheduled or far in the future so that the scheduler (if
-- strata is preloaded) never runs them during the test.
SET client_min_messages = warning;
-- Job ids start at 1000 in every run of this test.
SELECT setval('_strata_catalog.bgw_job_id_seq', 1000, false);
CREATE TABLE job_log (job_id int, config jsonb, who text);
GRANT INSERT, SELECT ON job_log TO PUBLIC;
CREATE PROCEDURE job_proc(job_id int, config jsonb) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.job_log VALUES (job_id, config, current_user);
  COMMIT;
END $$;
CREATE FUNCTION job_func(job_id int, config jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF config ? 'fail' THEN
    RAISE EXCEPTION 'job % asked to fail', job_id USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO public.job_log VALUES (job_id, config, current_user);
END $$;
CREATE FUNCTION wrong_args(a int) RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION job_check(config jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT coalesce(config ? 'ok', false) THEN
    RAISE EXCEPTION 'config must contain "ok"' USING ERRCODE = 'invalid_parameter_value';
  END IF;
END $$;
RESET client_min_messages;
\set VERBOSITY terse

-- add_job validation.
SELECT add_job(NULL, '1 hour');
SELECT add_job('wrong_args', '1 hour');
SELECT add_job('job_proc', '0 seconds');
SELECT add_job('job_proc', NULL);
SELECT add_job('job_proc', '1 hour', config => '[1, 2]');
SELECT add_job('job_proc', '1 hour', timezone => 'Mars/Olympus_Mons');
SELECT add_job('job_proc', '1 hour', config => '{"no": 1}', check_config => 'job_check');
SELECT add_job('job_proc', '1 hour', check_config => 'job_proc');
-- a schedule the scheduler could never advance
SELECT add_job('job_proc', '300000 years');

-- Jobs that will not run by themselves.
SELECT add_job('job_proc', '1 hour', '{"ok": true}', initial_start => '2100-01-01 00:00+00',
               check_config => 'job_check') AS proc_job;
SELECT add_job('job_func', '1 day', '{"a": 1}', scheduled => false, fixed_schedule => false,
               timezone => 'Europe/Berlin') AS func_job;
SELECT job_id, application_name, schedule_interval, max_runtime, max_retries, retry_period,
       proc_schema, proc_name, owner, scheduled, fixed_schedule, config,
       initial_start, hypertable_name, check_schema, check_name, timezone
  FROM strata_information.jobs ORDER BY job_id;
SELECT job_id, last_run_started_at, last_run_status, job_status, next_start, total_runs,
       total_successes, total_failures
  FROM strata_information.job_stats ORDER BY job_id;

-- alter_job: changes only what is given and returns the job.
SELECT * FROM alter_job(1000, schedule_interval => '2 hours', max_runtime => '5 minutes',
                        max_retries => 3, retry_period => '30 seconds');
SELECT * FROM alter_job(1001, next_start => '2100-06-01 00:00+00', config => '{"b": 2}');
SELECT job_id, job_status, next_start FROM strata_information.job_stats ORDER BY job_id;
SELECT * FROM alter_job(1000, config => '{"not ok": 1}');
SELECT * FROM alter_job(1000, max_retries => -2);
SELECT * FROM alter_job(1000, schedule_interval => '-1 hour');
SELECT * FROM alter_job(1000, timezone => 'Nowhere/Special');
SELECT * FROM alter_job(1000, schedule_interval => '300000 years');
SELECT * FROM alter_job(4242, scheduled => false);
SELECT * FROM alter_job(4242, scheduled => false, if_exists => true);
SELECT job_id IS NULL AS null_row, count(*) OVER () AS n FROM alter_job(4242, if_exists => true);
-- check_config => 0 removes the check.
SELECT check_config FROM alter_job(1000, check_config => 0);
SELECT config FROM alter_job(1000, config => '{"now": "anything"}');

-- run_job runs the job in this session, as the calling role; a procedure may commit.
CALL run_job(1000);
CALL run_job(1001);
SELECT * FROM job_log ORDER BY job_id;
SELECT * FROM alter_job(1001, config => '{"fail": true}') \gset
CALL run_job(1001);
CALL run_job(4242);
CALL run_job(NULL);
-- Inside a transaction block the procedure may not commit.
BEGIN;
CALL run_job(1000);
ROLLBACK;
-- run_job records nothing in job_stats (the views show the scheduler's runs).
SELECT job_id, total_runs FROM strata_information.job_stats ORDER BY job_id;

-- Permissions: a role may alter, run and delete only its own jobs.
CREATE ROLE jobs_alice LOGIN;
CREATE ROLE jobs_bob LOGIN;
GRANT CREATE ON SCHEMA public TO jobs_alice;
SET ROLE jobs_alice;
CREATE FUNCTION alice_job(job_id int, config jsonb) RETURNS void LANGUAGE sql
  AS 'INSERT INTO public.job_log VALUES ($1, $2, current_user)';
SELECT add_job('alice_job', '1 hour', scheduled => false) AS alice_job;
SELECT job_id, owner FROM strata_information.jobs WHERE proc_name = 'alice_job';
SET ROLE jobs_bob;
SELECT * FROM alter_job(1002, scheduled => true);
SELECT delete_job(1002);
CALL run_job(1002);
SELECT * FROM alter_job(1000, scheduled => true);
-- The catalog is not writable (nor readable) directly, and the internal writers check too.
UPDATE _strata_catalog.bgw_job SET owner = 'jobs_bob' WHERE id = 1002;
SELECT count(*) FROM _strata_catalog.bgw_job;
SELECT _strata_internal.job_update(1002, '1 hour', '0', -1, '5 min', true, true, now(), NULL, NULL, NULL, NULL, NULL);
SELECT _strata_internal.job_delete(1002);
-- Jobs that bob adds are bob's, whatever he passes.
SELECT _strata_internal.job_insert('x', 'public', 'alice_job', '1 hour', '0', -1, '5 min', false,
  true, now(), NULL, NULL, NULL, NULL, NULL, now()) AS bob_job;
SELECT job_id, owner FROM strata_information.jobs WHERE job_id = 1003;
-- A job always runs as the role that runs it: naming alice's function gains bob nothing.
CALL run_job(1003);
SELECT who FROM job_log WHERE job_id = 1003;
SELECT delete_job(1003);
SET ROLE jobs_alice;
CALL run_job(1002);
SELECT * FROM job_log WHERE job_id = 1002;
SELECT scheduled FROM alter_job(1002, scheduled => false);
RESET ROLE;
-- Superusers may change any job.
SELECT scheduled FROM alter_job(1002, scheduled => false);
SELECT delete_job(1002);
SELECT delete_job(1002);

-- delete_job removes the statistics too.
SELECT delete_job(1000);
SELECT delete_job(1001);
SELECT count(*) FROM strata_information.jobs;
SELECT count(*) FROM _strata_catalog.bgw_job_stat;

DROP OWNED BY jobs_alice, jobs_bob;
DROP ROLE jobs_alice, jobs_bob;
