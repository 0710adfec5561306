-- Retention policies: add_retention_policy / remove_retention_policy validation, the job they
-- create, and who may add or remove them. (The job's effect is tested by
-- test/shell/jobs_retention.sh.) Policies start in 2100 so that no scheduler runs them here.
SET client_min_messages = warning;
-- Job ids start at 1000 in every run of this test.
SELECT setval('_strata_catalog.bgw_job_id_seq', 1000, false);
CREATE TABLE jobs_metrics (time timestamptz NOT NULL, value float8);
SELECT true AS created FROM create_hypertable('jobs_metrics', by_range('time', interval '1 day'));
CREATE TABLE jobs_readings (t bigint NOT NULL, value float8);
SELECT true AS created FROM create_hypertable('jobs_readings', by_range('t', 100));
CREATE TABLE jobs_plain (time timestamptz);
RESET client_min_messages;
\set VERBOSITY terse

SELECT add_retention_policy('jobs_plain', interval '7 days');
SELECT add_retention_policy('jobs_metrics', 10);
SELECT add_retention_policy('jobs_metrics');
SELECT add_retention_policy('jobs_metrics', interval '7 days', drop_created_before => interval '7 days');
SELECT add_retention_policy('jobs_metrics', interval '7 days', timezone => 'Not/AZone');
SELECT add_retention_policy('jobs_readings', interval '7 days');
-- An integer hypertable needs an integer_now function first.
SELECT add_retention_policy('jobs_readings', 500);
-- A threshold of zero or less (now or in the future) is refused, as other bad values are.
SELECT add_retention_policy('jobs_metrics', interval '-1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT add_retention_policy('jobs_metrics', interval '0');
\echo :LAST_ERROR_SQLSTATE
SELECT add_retention_policy('jobs_metrics', interval '1 day - 25 hours');
\echo :LAST_ERROR_SQLSTATE
SELECT add_retention_policy('jobs_metrics', drop_created_before => interval '-7 days');
\echo :LAST_ERROR_SQLSTATE
CREATE FUNCTION jobs_readings_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 1000::bigint';
SELECT set_integer_now_func('jobs_readings', 'jobs_readings_now');
SELECT add_retention_policy('jobs_readings', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT add_retention_policy('jobs_readings', -10);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS no_policy_added FROM strata_information.jobs;

SELECT add_retention_policy('jobs_metrics', interval '7 days', initial_start => '2100-01-01 00:00+00') AS job;
SELECT job_id, application_name, schedule_interval, proc_schema, proc_name, owner, scheduled,
       fixed_schedule, config - 'hypertable_id' AS config, next_start, hypertable_schema,
       hypertable_name, check_schema, check_name
  FROM strata_information.jobs;
-- The config names the hypertable by id.
SELECT (config->>'hypertable_id')::int = h.id AS same_hypertable, h.table_name
  FROM strata_information.jobs j, _strata_catalog.hypertable h
 WHERE h.table_name = 'jobs_metrics';
SELECT config->>'hypertable_id' AS ht FROM strata_information.jobs WHERE job_id = 1000 \gset
SELECT hypertable_name, job_id, job_status FROM strata_information.job_stats;
-- One policy per hypertable.
SELECT add_retention_policy('jobs_metrics', interval '7 days');
SELECT add_retention_policy('jobs_metrics', interval '7 days', if_not_exists => true);
SELECT add_retention_policy('jobs_metrics', '7 days', if_not_exists => true);
SELECT add_retention_policy('jobs_metrics', interval '8 days', if_not_exists => true);
-- The policy's check rejects a bad config.
SELECT config FROM alter_job(1000, config => jsonb_build_object('hypertable_id', :ht));
SELECT config FROM alter_job(1000, config => '{"hypertable_id": 99999, "drop_after": "1 day"}');
SELECT config FROM alter_job(1000, config => jsonb_build_object('hypertable_id', :ht, 'drop_after', 'soon'));
SELECT config FROM alter_job(1000, config => jsonb_build_object('hypertable_id', :ht, 'drop_after', '-3 days'));
SELECT config - 'hypertable_id' AS config
  FROM alter_job(1000, config => jsonb_build_object('hypertable_id', :ht, 'drop_after', '3 days'));

-- Only the hypertable's owner adds and removes its policies.
CREATE ROLE jobs_owner LOGIN;
CREATE ROLE jobs_other LOGIN;
SET client_min_messages = warning;
CREATE TABLE jobs_owned (time timestamptz NOT NULL);
SELECT true AS created FROM create_hypertable('jobs_owned', by_range('time', interval '1 day'));
RESET client_min_messages;
ALTER TABLE jobs_owned OWNER TO jobs_owner;
SET ROLE jobs_other;
SELECT add_retention_policy('jobs_owned', interval '1 day');
SELECT remove_retention_policy('jobs_metrics');
SET ROLE jobs_owner;
SELECT add_retention_policy('jobs_owned', interval '1 day', initial_start => '2100-01-01 00:00+00') AS owned_job;
SELECT owner, hypertable_name FROM strata_information.jobs WHERE job_id = 1001;
SET ROLE jobs_other;
SELECT * FROM alter_job(1001, scheduled => false);
SELECT delete_job(1001);
SET ROLE jobs_owner;
SELECT scheduled FROM alter_job(1001, scheduled => false);
SELECT remove_retention_policy('jobs_owned');
SELECT remove_retention_policy('jobs_owned');
SELECT remove_retention_policy('jobs_owned', if_exists => true);
RESET ROLE;
-- A policy another role (here a superuser) created on the table: its owner may remove it, but
-- not alter or run it (that would choose what another role's job does).
SELECT add_retention_policy('jobs_owned', interval '2 days', initial_start => '2100-01-01 00:00+00') AS su_job \gset
SET ROLE jobs_owner;
SELECT scheduled FROM alter_job(:su_job, scheduled => false);
CALL run_job(:su_job);
SELECT remove_retention_policy('jobs_owned');
SELECT count(*) FROM strata_information.jobs WHERE hypertable_name = 'jobs_owned';
RESET ROLE;

SELECT remove_retention_policy('jobs_metrics');
SELECT count(*) FROM strata_information.jobs;
SELECT add_retention_policy('jobs_metrics', drop_created_before => interval '30 days',
                            schedule_interval => '1 hour', initial_start => '2100-01-01 00:00+00') AS created_job;
SELECT config - 'hypertable_id' AS config, schedule_interval FROM strata_information.jobs;
-- The jobs of a hypertable go away with it.
DROP TABLE jobs_metrics;
SELECT count(*) FROM strata_information.jobs;

DROP TABLE jobs_owned, jobs_readings, jobs_plain;
DROP FUNCTION jobs_readings_now();
DROP ROLE jobs_owner, jobs_other;
