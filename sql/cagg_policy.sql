-- Continuous aggregate refresh policies: add / remove, their validation, the job's configuration
-- and a run of the job; DROP MATERIALIZED VIEW removes the policy.
SET timezone = 'UTC';
CREATE TABLE cond (time timestamptz NOT NULL, v int);
SELECT create_hypertable('cond', by_range('time', interval '1 day'));
INSERT INTO cond SELECT t, 1 FROM generate_series(now() - interval '3 days', now(), interval '10 minutes') t;
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM cond GROUP BY 1 WITH NO DATA;

-- (first start a day away: the scheduler must not run the job beside the test's run_job below)
SELECT add_continuous_aggregate_policy('hourly', start_offset => interval '2 days',
  end_offset => interval '1 hour', schedule_interval => interval '30 minutes',
  initial_start => now() + interval '1 day') AS job_id \gset
SELECT application_name, schedule_interval, proc_schema, proc_name, hypertable_schema, hypertable_name, config
  FROM strata_information.jobs WHERE job_id = :job_id;
-- Once more: refused, or skipped with if_not_exists.
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '30 minutes');
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '30 minutes',
  if_not_exists => true);
SELECT add_continuous_aggregate_policy('hourly', interval '3 days', interval '1 hour', interval '30 minutes',
  if_not_exists => true);

-- Running the job refreshes its window: [now - 2 days, now - 1 hour), whole buckets.
SELECT count(*) FROM hourly;
CALL run_job(:job_id);
SELECT count(*) BETWEEN 45 AND 47 AS two_days_of_hours, max(bucket) < now() - interval '1 hour' AS ends_before
  FROM hourly;

-- Validation.
SELECT add_continuous_aggregate_policy('cond', interval '2 days', interval '1 hour', interval '1 hour');
SELECT add_continuous_aggregate_policy('hourly', interval '1 hour', interval '2 days', interval '1 hour');
SELECT add_continuous_aggregate_policy('hourly', interval '2 hours', interval '1 hour', interval '1 hour');
SELECT add_continuous_aggregate_policy('hourly', 10, 1, interval '1 hour');
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', NULL);
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  timezone => 'Mars/Olympus');

-- Removal.
SELECT remove_continuous_aggregate_policy('hourly');
SELECT count(*) FROM strata_information.jobs WHERE job_id = :job_id;
SELECT remove_continuous_aggregate_policy('hourly');
SELECT remove_continuous_aggregate_policy('hourly', if_exists => true);
SELECT remove_continuous_aggregate_policy('cond');

-- Open offsets are allowed; DROP MATERIALIZED VIEW removes the policy with the aggregate. (Its
-- first start a day away: a run of the scheduler's would only race with the DROP.)
SELECT add_continuous_aggregate_policy('hourly', NULL, interval '1 hour', interval '1 hour',
  initial_start => now() + interval '1 day') > 0 AS added;
SELECT config->>'start_offset' AS start_offset FROM strata_information.jobs
 WHERE proc_name = 'policy_refresh_continuous_aggregate';
DROP MATERIALIZED VIEW hourly;
SELECT count(*) FROM strata_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate';

-- Integer time needs an integer now function.
CREATE TABLE readings (t int NOT NULL, v int);
SELECT create_hypertable('readings', by_range('t', 100));
INSERT INTO readings SELECT g, 1 FROM generate_series(1, 1000) g;
CREATE MATERIALIZED VIEW r WITH (timescaledb.continuous) AS
  SELECT time_bucket(10, t) AS b, count(*) AS n FROM readings GROUP BY 1 WITH NO DATA;
SELECT add_continuous_aggregate_policy('r', 100, 10, interval '1 hour');
CREATE FUNCTION readings_now() RETURNS int LANGUAGE sql STABLE AS 'SELECT coalesce(max(t), 0) FROM readings';
SELECT set_integer_now_func('readings', 'readings_now');
SELECT add_continuous_aggregate_policy('r', interval '1 day', 10, interval '1 hour');
SELECT add_continuous_aggregate_policy('r', 15, 10, interval '1 hour');
-- (first start a day away: a run of the scheduler's beside the run_job below would make it fail with
-- 'job ... is already running')
SELECT add_continuous_aggregate_policy('r', 100, 10, interval '1 hour', initial_start => now() + interval '1 day') AS rjob \gset
CALL run_job(:rjob);
SELECT min(b), max(b), count(*) FROM r;
