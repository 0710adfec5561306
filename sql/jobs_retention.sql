-- Retention policies: add_retention_policy / remove_retention_policy validation, the job they
-- create, and who may add or remove them. (The job's effect is tested by
-- test/shell/jobs_retention.sh.) Policies start in 2100 so that no scheduler runs them here.
SET client_min_messages = warning;
-- Job ids start at 1000 in every run of this test.
SELECT setval('_strata_catalog.bgw_job_id_seq', 1000, false);
CREATE TABLE metrics (time timestamptz NOT NULL, value float8);
SELECT create_hypertable('metrics', by_range('time', interval '1 day'));
CREATE TABLE readings (t bigint NOT NULL, value float8);
SELECT create_hypertable('readings', by_range('t', 100));
CREATE TABLE plain_table (time timestamptz);
RESET client_min_messages;
\set VERBOSITY terse

SELECT add_retention_policy('plain_table', interval '7 days');
SELECT add_retention_policy('metrics', 10);
SELECT add_retention_policy('metrics');
SELECT add_retention_policy('metrics', interval '7 days', drop_created_before => interval '7 days');
SELECT add_retention_policy('metrics', interval '7 days', timezone => 'Not/AZone');
SELECT add_retention_policy('readings', interval '7 days');
-- An integer hypertable needs an integer_now function first.
SELECT add_retention_policy('readings', 500);

SELECT add_retention_policy('metrics', interval '7 days', initial_start => '2100-01-01 00:00+00') AS job;
SELECT job_id, application_name, schedule_interval, proc_schema, proc_name, owner, scheduled,
       fixed_schedule, config, next_start, hypertable_schema, hypertable_name, check_schema,
       check_name
  FROM strata_information.jobs;
SELECT hypertable_name, job_id, job_status FROM strata_information.job_stats;
-- One policy per hypertable.
SELECT add_retention_policy('metrics', interval '7 days');
SELECT add_retention_policy('metrics', interval '7 days', if_not_exists => true);
SELECT add_retention_policy('metrics', '7 days', if_not_exists => true);
SELECT add_retention_policy('metrics', interval '8 days', if_not_exists => true);
-- The policy's check rejects a bad config.
SELECT config FROM alter_job(1000, config => '{"hypertable_id": 1}');
SELECT config FROM alter_job(1000, config => '{"hypertable_id": 999, "drop_after": "1 day"}');
SELECT config FROM alter_job(1000, config => '{"hypertable_id": 1, "drop_after": "soon"}');
SELECT config FROM alter_job(1000, config => '{"hypertable_id": 1, "drop_after": "3 days"}');

-- Only the hypertable's owner adds and removes its policies.
CREATE ROLE jobs_owner LOGIN;
CREATE ROLE jobs_other LOGIN;
SET client_min_messages = warning;
CREATE TABLE owned (time timestamptz NOT NULL);
SELECT create_hypertable('owned', by_range('time', interval '1 day'));
RESET client_min_messages;
ALTER TABLE owned OWNER TO jobs_owner;
SET ROLE jobs_other;
SELECT add_retention_policy('owned', interval '1 day');
SELECT remove_retention_policy('metrics');
SET ROLE jobs_owner;
SELECT add_retention_policy('owned', interval '1 day', initial_start => '2100-01-01 00:00+00') AS owned_job;
SELECT owner, hypertable_name FROM strata_information.jobs WHERE job_id = 1001;
SET ROLE jobs_other;
SELECT * FROM alter_job(1001, scheduled => false);
SELECT delete_job(1001);
SET ROLE jobs_owner;
SELECT scheduled FROM alter_job(1001, scheduled => false);
SELECT remove_retention_policy('owned');
SELECT remove_retention_policy('owned');
SELECT remove_retention_policy('owned', if_exists => true);
RESET ROLE;

SELECT remove_retention_policy('metrics');
SELECT count(*) FROM strata_information.jobs;
SELECT add_retention_policy('metrics', drop_created_before => interval '30 days',
                            schedule_interval => '1 hour', initial_start => '2100-01-01 00:00+00') AS created_job;
SELECT config, schedule_interval FROM strata_information.jobs;
-- The jobs of a hypertable go away with it.
DROP TABLE metrics;
SELECT count(*) FROM strata_information.jobs;

DROP TABLE owned;
DROP ROLE jobs_owner, jobs_other;
