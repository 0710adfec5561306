-- Continuous aggregates: what the refresh policy's options do (buckets_per_batch,
-- max_batches_per_execution, refresh_newest_first, seen through job runs) and CREATE ... WITH
-- DATA filling the aggregate in committed batches (each batch's rows carry their own xmin).
SET timezone = 'UTC';
-- The checks compare the jobs' buckets with the current hour: when less than two minutes of it are
-- left, wait for the next one (an hour that ended between a run and its check moved the window).
DO $$ BEGIN
  IF date_trunc('hour', clock_timestamp()) + interval '1 hour' - clock_timestamp() < interval '2 minutes' THEN
    PERFORM pg_sleep_until(date_trunc('hour', clock_timestamp()) + interval '1 hour 1 second');
  END IF;
END $$;
CREATE TABLE cond (time timestamptz NOT NULL, v int);
SELECT create_hypertable('cond', by_range('time', interval '1 day'));
INSERT INTO cond SELECT t, 1 FROM generate_series(now() - interval '3 days', now(), interval '10 minutes') t;
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM cond GROUP BY 1 WITH NO DATA;
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'hourly' \gset

-- (Policies start tomorrow: the test runs their jobs itself.)
-- Two batches of five buckets a run, newest first: the ten hours before the window's end
-- (now() - 1 hour, rounded down to a bucket start), then the ten before those.
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  buckets_per_batch => 5, max_batches_per_execution => 2, initial_start => now() + interval '1 day') AS job \gset
SELECT config->'buckets_per_batch' AS per_batch, config->'max_batches_per_execution' AS max_batches,
       config->'refresh_newest_first' AS newest_first
  FROM strata_information.jobs WHERE job_id = :job;
CALL run_job(:job);
SELECT count(*) AS buckets, count(DISTINCT xmin::text) AS transactions,
       max(bucket) = date_trunc('hour', now() - interval '1 hour') - interval '1 hour' AS ends_at_window_end,
       max(bucket) - min(bucket) AS span
  FROM :mat;
CALL run_job(:job);
SELECT count(*) AS buckets, count(DISTINCT xmin::text) AS transactions, max(bucket) - min(bucket) AS span FROM :mat;
-- The rest of the window is still logged; the real-time view is not affected (materialized only).
SELECT count(*) > 0 AS still_logged FROM _strata_catalog.continuous_agg_invalidation i
  JOIN _strata_catalog.continuous_agg c USING (mat_hypertable_id)
 WHERE c.user_view_name = 'hourly' AND i.lowest < c.invalidation_threshold;

-- Oldest first: one batch of three buckets from the window's start (now() - 2 days, rounded up).
SELECT remove_continuous_aggregate_policy('hourly');
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  buckets_per_batch => 3, max_batches_per_execution => 1, refresh_newest_first => false,
  initial_start => now() + interval '1 day') AS job \gset
CALL run_job(:job);
SELECT count(*) AS buckets,
       min(bucket) = date_trunc('hour', now() - interval '2 days') + interval '1 hour' AS starts_at_window_start
  FROM :mat;
-- Without a limit, the rest of the window in one run; the buckets equal the raw aggregation.
SELECT job_id = :job AS altered FROM alter_job(:job, config => (SELECT config FROM strata_information.jobs
  WHERE job_id = :job) || '{"max_batches_per_execution": 0}');
CALL run_job(:job);
SELECT count(*) = extract(epoch FROM date_trunc('hour', now() - interval '1 hour')
                          - date_trunc('hour', now() - interval '2 days') - interval '1 hour') / 3600 AS whole_window,
       max(bucket) = date_trunc('hour', now() - interval '1 hour') - interval '1 hour' AS ends_at_window_end
  FROM :mat;
SELECT count(*) AS differing FROM (
  (SELECT bucket, n FROM hourly EXCEPT
   SELECT time_bucket('1 hour', time), count(*) FROM cond GROUP BY 1)
  UNION ALL
  (SELECT time_bucket('1 hour', time), count(*) FROM cond
    WHERE time >= (SELECT min(bucket) FROM hourly) AND time < (SELECT max(bucket) + interval '1 hour' FROM hourly)
    GROUP BY 1 EXCEPT SELECT bucket, n FROM hourly)) d;

-- Validation.
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  if_not_exists => true, max_batches_per_execution => -1);
SELECT remove_continuous_aggregate_policy('hourly');
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  max_batches_per_execution => -1);
SELECT add_continuous_aggregate_policy('hourly', interval '2 days', interval '1 hour', interval '1 hour',
  buckets_per_batch => -1);

-- CREATE ... WITH DATA as a statement of its own: committed batches (one a day of buckets here).
SET strata.cagg_refresh_batch_buckets = 24;
CREATE MATERIALIZED VIEW batched WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM cond GROUP BY 1;
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'batched' \gset
SELECT count(DISTINCT xmin::text) > 1 AS several_transactions FROM :mat;
-- Inside a transaction block: in the creating transaction.
BEGIN;
CREATE MATERIALIZED VIEW one_tx WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM cond GROUP BY 1;
COMMIT;
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'one_tx' \gset
SELECT count(DISTINCT xmin::text) AS transactions FROM :mat;
SELECT count(*) AS differing FROM ((TABLE batched EXCEPT TABLE one_tx) UNION ALL (TABLE one_tx EXCEPT TABLE batched)) d;
RESET strata.cagg_refresh_batch_buckets;
