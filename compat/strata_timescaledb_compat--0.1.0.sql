-- strata_timescaledb_compat: the timescaledb_information views and timescaledb_experimental
-- functions that scripts written for TimescaleDB use, as views and wrappers over strata's own
-- (strata_information, time_bucket). Columns are TimescaleDB's, in its order.
\echo Use "CREATE EXTENSION strata_timescaledb_compat" to load this file. \quit

-- TimescaleDB owns these schema names where it is installed: refuse rather than shadow it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb') THEN
    RAISE EXCEPTION 'strata_timescaledb_compat cannot be installed in a database with the timescaledb extension'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The timescaledb extension provides the timescaledb_information and timescaledb_experimental schemas itself.',
            HINT = 'Use the timescaledb extension''s own views, or install strata_timescaledb_compat in a database without it.';
  END IF;
END
$$;

CREATE SCHEMA timescaledb_information;
CREATE SCHEMA timescaledb_experimental;
GRANT USAGE ON SCHEMA timescaledb_information, timescaledb_experimental TO PUBLIC;

CREATE VIEW timescaledb_information.hypertables AS
SELECT hypertable_schema, hypertable_name, owner, num_dimensions, num_chunks, compression_enabled,
       tablespaces, primary_dimension, primary_dimension_type
  FROM strata_information.hypertables;

CREATE VIEW timescaledb_information.chunks AS
SELECT hypertable_schema, hypertable_name, chunk_schema, chunk_name, primary_dimension,
       primary_dimension_type, range_start, range_end, range_start_integer, range_end_integer,
       is_compressed, chunk_tablespace, chunk_creation_time
  FROM strata_information.chunks;

CREATE VIEW timescaledb_information.dimensions AS
SELECT hypertable_schema, hypertable_name, dimension_number, column_name, column_type, dimension_type,
       time_interval, integer_interval, integer_now_func, num_partitions
  FROM strata_information.dimensions;

CREATE VIEW timescaledb_information.jobs AS
SELECT job_id, application_name, schedule_interval, max_runtime, max_retries, retry_period,
       proc_schema, proc_name, owner, scheduled, fixed_schedule, config, next_start, initial_start,
       hypertable_schema, hypertable_name, check_schema, check_name
  FROM strata_information.jobs;

CREATE VIEW timescaledb_information.job_stats AS
SELECT hypertable_schema, hypertable_name, job_id, last_run_started_at, last_successful_finish,
       last_run_status, job_status, last_run_duration, next_start, total_runs, total_successes,
       total_failures
  FROM strata_information.job_stats;

CREATE VIEW timescaledb_information.job_errors AS
SELECT job_id, proc_schema, proc_name, pid, start_time, finish_time, sqlerrcode, err_message
  FROM strata_information.job_errors;

GRANT SELECT ON ALL TABLES IN SCHEMA timescaledb_information TO PUBLIC;

-- time_bucket_ng (deprecated in TimescaleDB, whose time_bucket took over its features): like
-- time_bucket, but every bucket width is aligned to 2000-01-01 by default, and a time before the
-- origin is an error. A timestamptz is bucketed in the local time of `timezone` (the session's
-- time zone when it is not given).
-- (strata's schema is known only at installation: the one wrapper that calls time_bucket is made
-- with it spelled out, so that the function's own safe search_path finds it.)
DO $do$
BEGIN
  EXECUTE pg_catalog.format($f$
    CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts timestamp,
                                                            origin timestamp = '2000-01-01')
      RETURNS timestamp LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
      SET search_path = pg_catalog, pg_temp AS $b$
    BEGIN
      IF ts < origin THEN
        RAISE EXCEPTION 'origin must be before the given date' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      RETURN %I.time_bucket(bucket_width, ts, origin);
    END
    $b$
  $f$,
    (SELECT n.nspname FROM pg_catalog.pg_extension e
       JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'strata'));
END
$do$;

CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts date,
                                                        origin date = '2000-01-01')
  RETURNS date LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT timescaledb_experimental.time_bucket_ng(bucket_width, ts::timestamp, origin::timestamp)::date
$$;

CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts timestamptz,
                                                        timezone text)
  RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT timescaledb_experimental.time_bucket_ng(bucket_width, ts AT TIME ZONE timezone) AT TIME ZONE timezone
$$;

CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts timestamptz,
                                                        origin timestamptz, timezone text)
  RETURNS timestamptz LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT timescaledb_experimental.time_bucket_ng(bucket_width, ts AT TIME ZONE timezone,
                                                 origin AT TIME ZONE timezone) AT TIME ZONE timezone
$$;

CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts timestamptz)
  RETURNS timestamptz LANGUAGE sql STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT timescaledb_experimental.time_bucket_ng(bucket_width, ts, pg_catalog.current_setting('TimeZone'))
$$;

CREATE FUNCTION timescaledb_experimental.time_bucket_ng(bucket_width interval, ts timestamptz,
                                                        origin timestamptz)
  RETURNS timestamptz LANGUAGE sql STABLE STRICT PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp AS $$
  SELECT timescaledb_experimental.time_bucket_ng(bucket_width, ts, origin,
                                                 pg_catalog.current_setting('TimeZone'))
$$;
