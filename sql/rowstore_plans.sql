-- The rowstore hypertable plans a query like the same data in a plain table (issue 16,
-- section 2): the same estimates, the same plan shapes, the same answers. Runs in a database of
-- its own so that the chunk names EXPLAIN prints do not depend on other tests.
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_rowstore_plans_test;
CREATE DATABASE strata_rowstore_plans_test;
\c strata_rowstore_plans_test
SET client_min_messages = warning;
CREATE EXTENSION strata;
RESET client_min_messages;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;

-- 10 hosts every 30 seconds for a day (28,800 rows, fewer than ANALYZE samples, so statistics
-- are exact and the same for both), in a plain table and in a hypertable of two 12-hour chunks.
CREATE TABLE plain_cpu (time timestamptz NOT NULL, hostname text, usage_user float8);
CREATE INDEX ON plain_cpu (hostname, time DESC);
CREATE INDEX ON plain_cpu (time DESC);
CREATE TABLE cpu (LIKE plain_cpu);
SELECT create_hypertable('cpu', 'time', chunk_time_interval => interval '12 hours') IS NOT NULL AS created;
CREATE INDEX ON cpu (hostname, time DESC);
INSERT INTO plain_cpu
SELECT t, 'host_' || h, ((extract(epoch FROM t)::bigint * 7 + h * 13) % 100)::float8
FROM generate_series(timestamptz '2026-01-01 00:00', '2026-01-01 23:59:30', interval '30 s') AS t,
     generate_series(0, 9) AS h;
INSERT INTO cpu SELECT * FROM plain_cpu;
VACUUM ANALYZE plain_cpu;
VACUUM ANALYZE cpu;

-- The estimated row count of q's top plan node.
CREATE FUNCTION estimate(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END
$$;
-- q's results against the plain table and the hypertable (q names the table "TBL"): true when
-- both give the same rows in the same order.
CREATE FUNCTION same_results(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  EXECUTE format('SELECT string_agg(r::text, E''\n'') FROM (%s) AS r', replace(q, 'TBL', 'plain_cpu')) INTO a;
  EXECUTE format('SELECT string_agg(r::text, E''\n'') FROM (%s) AS r', replace(q, 'TBL', 'cpu')) INTO b;
  RETURN a IS NOT NULL AND a = b;
END
$$;

-- Group counts: PostgreSQL scales a column's distinct count by the fraction of the relation's
-- tuples that the restrictions keep. The hypertable's tuples are those of its live chunks (not
-- its row estimate, which made every row look like a group of its own).
\set q1 'SELECT date_trunc(''minute'', time) AS minute, max(usage_user) FROM TBL WHERE hostname = ''host_3'' GROUP BY minute'
SELECT round((estimate(replace(:'q1', 'TBL', 'cpu')) / estimate(replace(:'q1', 'TBL', 'plain_cpu')))::numeric, 1)
  AS hypertable_to_plain_groups;

-- So "max per minute of 5 hosts over an hour" hashes its rows into groups and sorts the groups,
-- as it does on the plain table, rather than sorting every row.
\set q2 'SELECT date_trunc(''minute'', time) AS minute, max(usage_user) FROM TBL WHERE hostname IN (''host_1'', ''host_2'', ''host_3'', ''host_4'', ''host_5'') AND time >= ''2026-01-01 07:23:10'' AND time < ''2026-01-01 08:23:10'' GROUP BY minute ORDER BY minute'
SELECT replace(:'q2', 'TBL', 'plain_cpu') AS q2_plain, replace(:'q2', 'TBL', 'cpu') AS q2_cpu \gset
EXPLAIN (COSTS OFF) :q2_plain;
EXPLAIN (COSTS OFF) :q2_cpu;
SELECT same_results(:'q1' || ' ORDER BY minute') AS q1_same, same_results(:'q2') AS q2_same;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE strata_rowstore_plans_test;
