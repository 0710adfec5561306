-- strata_timescaledb_compat: TimescaleDB's timescaledb_information views and
-- timescaledb_experimental.time_bucket_ng over strata. (The refusal where the timescaledb
-- extension is installed is tested in test/shell/timescaledb_compat.sh.)
SET timezone = 'UTC';
CREATE EXTENSION strata_timescaledb_compat;

CREATE TABLE conditions (time timestamptz NOT NULL, device integer, temp double precision);
SELECT * FROM create_hypertable('conditions', by_range('time', INTERVAL '1 day'));
INSERT INTO conditions SELECT '2024-01-01'::timestamptz + i * interval '1 hour', i % 3, i FROM generate_series(0, 71) i;
CREATE TABLE events (id bigint NOT NULL, payload text);
SELECT * FROM create_hypertable('events', by_range('id', 1000));
INSERT INTO events SELECT i, 'e' || i FROM generate_series(1, 2500) i;
CREATE FUNCTION events_now() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT 3000::bigint $$;
SELECT set_integer_now_func('events', 'events_now');
-- (starting tomorrow: the job must not drop these 2024 chunks while the test looks at them)
SELECT add_retention_policy('conditions', drop_after => INTERVAL '30 days',
                            initial_start => now() + INTERVAL '1 day') > 0 AS policy_added;

-- The columns scripts written for TimescaleDB select, in TimescaleDB's order.
SELECT table_name, string_agg(column_name::text, ', ' ORDER BY ordinal_position) AS columns
  FROM information_schema.columns WHERE table_schema = 'timescaledb_information'
 GROUP BY table_name ORDER BY table_name;

SELECT hypertable_schema, hypertable_name, owner, num_dimensions, num_chunks, compression_enabled,
       tablespaces, primary_dimension, primary_dimension_type
  FROM timescaledb_information.hypertables ORDER BY hypertable_name;
SELECT hypertable_name, chunk_schema, range_start, range_end, range_start_integer, range_end_integer,
       is_compressed
  FROM timescaledb_information.chunks ORDER BY hypertable_name, range_start, range_start_integer;
SELECT hypertable_name, dimension_number, column_name, column_type, dimension_type, time_interval,
       integer_interval, integer_now_func, num_partitions
  FROM timescaledb_information.dimensions ORDER BY hypertable_name;
SELECT application_name, schedule_interval, proc_schema, proc_name, scheduled, config,
       hypertable_schema, hypertable_name
  FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL;
SELECT hypertable_name, total_failures, next_start > now() AS starts_later FROM timescaledb_information.job_stats
 WHERE hypertable_name IS NOT NULL;
SELECT count(*) FROM timescaledb_information.job_errors;

-- A typical TimescaleDB script: the chunks show_chunks returns, looked up by name.
SELECT format('%I.%I', chunk_schema, chunk_name)::regclass = c AS same_chunks
  FROM timescaledb_information.chunks
  JOIN show_chunks('conditions', older_than => '2024-01-03'::timestamptz) c
    ON format('%I.%I', chunk_schema, chunk_name)::regclass = c
 ORDER BY range_start;
-- The views follow strata's: a dropped chunk is gone from both.
SELECT count(*) FROM drop_chunks('conditions', older_than => '2024-01-02'::timestamptz);
SELECT (SELECT count(*) FROM timescaledb_information.chunks) = (SELECT count(*) FROM strata_information.chunks) AS same_count,
       (SELECT num_chunks FROM timescaledb_information.hypertables WHERE hypertable_name = 'conditions') AS conditions_chunks;

-- time_bucket_ng: aligned to 2000-01-01 for every width, no time before the origin.
SELECT timescaledb_experimental.time_bucket_ng('3 months', date '2021-08-01') AS quarter,
       timescaledb_experimental.time_bucket_ng('1 year', date '2021-08-01') AS year,
       timescaledb_experimental.time_bucket_ng('7 days', date '2021-08-01') AS week_from_2000_01_01,
       time_bucket('7 days', date '2021-08-01') AS time_bucket_week;
SELECT timescaledb_experimental.time_bucket_ng('100 years', timestamp '1988-05-08', origin => '1900-01-01') AS century,
       timescaledb_experimental.time_bucket_ng('15 minutes', timestamp '2021-08-01 10:37:12') AS quarter_hour;
SELECT timescaledb_experimental.time_bucket_ng('1 day', timestamptz '2021-08-01 01:00+00', 'Europe/Berlin') AS berlin_day,
       timescaledb_experimental.time_bucket_ng('1 month', timestamptz '2021-08-01 01:00+00', 'America/New_York') AS new_york_month,
       timescaledb_experimental.time_bucket_ng('1 day', timestamptz '2021-08-01 01:00+00',
                                               timestamptz '2021-01-01 12:00+00', 'UTC') AS noon_origin;
SET timezone = 'Asia/Tokyo';
SELECT timescaledb_experimental.time_bucket_ng('1 day', timestamptz '2021-08-01 01:00+00') AS session_zone_day;
SET timezone = 'UTC';
\set VERBOSITY terse
SELECT timescaledb_experimental.time_bucket_ng('100 years', timestamp '1988-05-08');
\set VERBOSITY default

-- Read-only for everyone, like TimescaleDB's.
CREATE ROLE compat_reader;
SET ROLE compat_reader;
SELECT count(*) > 0 AS readable FROM timescaledb_information.hypertables;
RESET ROLE;
DROP ROLE compat_reader;

-- The extension owns the schemas: dropping it removes them, strata stays.
DROP EXTENSION strata_timescaledb_compat;
SELECT count(*) AS compat_schemas FROM pg_namespace WHERE nspname LIKE 'timescaledb\_%';
SELECT count(*) AS strata_hypertables FROM strata_information.hypertables;
-- A schema of that name that is not the extension's is not taken over.
CREATE SCHEMA timescaledb_information;
\set VERBOSITY terse
CREATE EXTENSION strata_timescaledb_compat;
\set VERBOSITY default
