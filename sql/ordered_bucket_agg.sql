-- Ordered time_bucket aggregation: GROUP BY time_bucket(..., time) ORDER BY it LIMIT n reads the
-- chunks' indexes on time in order under an ordered ChunkAppend, so a streaming GroupAggregate
-- stops after n groups without sorting any chunk (src/planner/planner.cpp,
-- time_order_for_bucket_keys). Results are compared with strata.enable_ordered_append off.
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_ordered_bucket_test;
CREATE DATABASE strata_ordered_bucket_test;
\c strata_ordered_bucket_test
SET client_min_messages = warning;
CREATE EXTENSION strata;
RESET client_min_messages;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET jit = off;

CREATE TABLE cpu (time timestamptz NOT NULL, hostname text, usage_user float8);
SELECT create_hypertable('cpu', 'time', chunk_time_interval => interval '12 hours');
INSERT INTO cpu
SELECT t, 'host_' || h, ((extract(epoch FROM t)::bigint * 7 + h * 13) % 1000) / 10.0
FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-01-02 23:59:00', interval '20 seconds') t,
     generate_series(1, 5) h;
CREATE INDEX ON cpu (hostname, time DESC);
CREATE TABLE cpu_int (time bigint NOT NULL, v int);
SELECT create_hypertable('cpu_int', 'time', chunk_time_interval => 1000);
INSERT INTO cpu_int SELECT g, g % 97 FROM generate_series(0, 9999) g;
CREATE TABLE cpu_ts (time timestamp NOT NULL, usage_user float8);
SELECT create_hypertable('cpu_ts', 'time', chunk_time_interval => interval '12 hours');
INSERT INTO cpu_ts SELECT time AT TIME ZONE 'UTC', usage_user FROM cpu WHERE hostname = 'host_1';
ANALYZE cpu;
ANALYZE cpu_int;
ANALYZE cpu_ts;
SELECT count(*) AS chunks FROM show_chunks('cpu');

-- Runs q with ordered append on and off and says whether both returned the same rows, in order.
CREATE FUNCTION same_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r record;
  on_rows text[] := '{}';
  off_rows text[] := '{}';
BEGIN
  FOR r IN EXECUTE q LOOP on_rows := on_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_ordered_append', 'off', true);
  FOR r IN EXECUTE q LOOP off_rows := off_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_ordered_append', 'on', true);
  RETURN CASE WHEN on_rows = off_rows THEN 'same rows' ELSE 'DIFFERENT ROWS' END || ', ' ||
         cardinality(on_rows) || ' rows';
END $$;

-- The newest five minutes: index scans of the newest chunk only, no Sort.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time_bucket('1 minute', time) AS minute, max(usage_user) FROM cpu
WHERE time < timestamptz '2024-01-02 12:00' GROUP BY minute ORDER BY minute DESC LIMIT 5;
SELECT time_bucket('1 minute', time) AS minute, max(usage_user) FROM cpu
WHERE time < timestamptz '2024-01-02 12:00' GROUP BY minute ORDER BY minute DESC LIMIT 5;
-- Ascending, without a time restriction: backward scans of the (time DESC) indexes.
EXPLAIN (COSTS OFF)
SELECT time_bucket('1 minute', time) AS minute, avg(usage_user) FROM cpu GROUP BY minute ORDER BY minute LIMIT 5;
-- ORDER BY a time_bucket without GROUP BY.
EXPLAIN (COSTS OFF)
SELECT time_bucket('5 minutes', time) AS b, hostname FROM cpu ORDER BY b DESC LIMIT 3;
-- Integer time.
EXPLAIN (COSTS OFF)
SELECT time_bucket(100, time) AS b, sum(v) FROM cpu_int GROUP BY b ORDER BY b DESC LIMIT 2;
-- date_bin, and date_trunc of a timestamp without time zone, are monotonic too.
EXPLAIN (COSTS OFF)
SELECT date_bin('1 minute', time, timestamptz '2000-01-01') AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5;
EXPLAIN (COSTS OFF)
SELECT date_trunc('minute', time) AS m, max(usage_user) FROM cpu_ts GROUP BY m ORDER BY m DESC LIMIT 5;
-- date_trunc of a timestamptz truncates in the session's time zone (not monotonic across DST
-- changes): chunks are sorted.
EXPLAIN (COSTS OFF)
SELECT date_trunc('minute', time) AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5;
-- A function of another schema named time_bucket is not strata's: sorted, here and when the
-- same function is asked about again (the planner remembers its answer per function); once it
-- is replaced by strata's again (the same name, now resolving to strata's), ordered.
CREATE SCHEMA other;
CREATE FUNCTION other.time_bucket(w interval, t timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE RETURN timestamptz '2100-01-01' - (t - timestamptz '2000-01-01');
EXPLAIN (COSTS OFF)
SELECT other.time_bucket('1 minute', time) AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5;
EXPLAIN (COSTS OFF)
SELECT other.time_bucket('1 minute', time) AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5;
DROP SCHEMA other CASCADE;
EXPLAIN (COSTS OFF)
SELECT time_bucket('1 minute', time) AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5;
-- Off, every chunk is sorted (the plan without the feature).
SET strata.enable_ordered_append = off;
EXPLAIN (COSTS OFF)
SELECT time_bucket('1 minute', time) AS minute, max(usage_user) FROM cpu
WHERE time < timestamptz '2024-01-02 12:00' GROUP BY minute ORDER BY minute DESC LIMIT 5;
RESET strata.enable_ordered_append;

SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 minute'', time) AS minute, max(usage_user) FROM cpu WHERE time < timestamptz ''2024-01-02 12:00'' GROUP BY minute ORDER BY minute DESC LIMIT 5'),
  ('SELECT time_bucket(''1 minute'', time) AS minute, max(usage_user), count(*) FROM cpu GROUP BY minute ORDER BY minute LIMIT 5'),
  ('SELECT time_bucket(''7 minutes'', time) AS b, min(usage_user) FROM cpu WHERE time > timestamptz ''2024-01-01 05:00'' GROUP BY b ORDER BY b DESC LIMIT 10'),
  ('SELECT time_bucket(''1 hour'', time, timestamptz ''2024-01-01 00:30'') AS b, count(*) FROM cpu GROUP BY b ORDER BY b DESC LIMIT 30'),
  ('SELECT time_bucket(''1 minute'', time) AS m, hostname, max(usage_user) FROM cpu GROUP BY m, hostname ORDER BY m DESC, hostname LIMIT 12'),
  ('SELECT time_bucket(''1 minute'', time) AS m, max(usage_user) FROM cpu WHERE time < now() GROUP BY m ORDER BY m DESC LIMIT 5'),
  ('SELECT time_bucket(100, time) AS b, sum(v) FROM cpu_int GROUP BY b ORDER BY b DESC LIMIT 2'),
  ('SELECT date_bin(''1 minute'', time, timestamptz ''2000-01-01'') AS m, max(usage_user) FROM cpu GROUP BY m ORDER BY m DESC LIMIT 5'),
  ('SELECT date_bin(''90 seconds'', time, timestamptz ''2024-01-01 00:00:10'') AS m, count(*) FROM cpu WHERE time < timestamptz ''2024-01-01 13:00'' GROUP BY m ORDER BY m DESC LIMIT 7'),
  ('SELECT date_trunc(''minute'', time) AS m, max(usage_user) FROM cpu_ts GROUP BY m ORDER BY m DESC LIMIT 5'),
  ('SELECT date_trunc(''hour'', time) AS m, count(*) FROM cpu_ts GROUP BY m ORDER BY m LIMIT 30'),
  ('SELECT time_bucket(100, time) AS b, sum(v) FROM cpu_int WHERE time < 5050 GROUP BY b ORDER BY b LIMIT 60')
) AS t(q);

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE strata_ordered_bucket_test;
