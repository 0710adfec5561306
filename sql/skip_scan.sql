-- SkipScan: DISTINCT and DISTINCT ON over the leading column of a btree index seek the next
-- distinct value instead of reading every entry (src/planner/skip_scan.cpp). Every query is run
-- with strata.enable_skipscan on and off and the results compared. Runs in a database of its own
-- so that the chunk names EXPLAIN prints do not depend on other tests.
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_skip_scan_test;
CREATE DATABASE strata_skip_scan_test;
\c strata_skip_scan_test
SET client_min_messages = warning;
CREATE EXTENSION strata;
RESET client_min_messages;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- Random data with NULL keys, ten daily chunks; the same rows in a plain table.
SELECT setseed(0.16);
CREATE TABLE ht (time timestamptz NOT NULL, dev text, devi int, val float8);
SELECT create_hypertable('ht', 'time', chunk_time_interval => interval '1 day');
INSERT INTO ht
SELECT timestamptz '2024-01-01' + random() * interval '10 days',
       CASE WHEN random() < 0.05 THEN NULL ELSE 'dev' || lpad((random() * 30)::int::text, 2, '0') END,
       CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 25)::int END,
       round((random() * 100)::numeric, 2)
FROM generate_series(1, 30000);
CREATE INDEX ht_dev_time ON ht (dev, time DESC);
CREATE INDEX ht_devi_time ON ht (devi NULLS FIRST, time);
CREATE TABLE pt AS SELECT * FROM ht;
CREATE INDEX pt_dev_time ON pt (dev, time DESC);
CREATE INDEX pt_devi_time ON pt (devi DESC NULLS LAST, time);
CREATE INDEX pt_val ON pt (val);
VACUUM ANALYZE ht;
VACUUM ANALYZE pt;
SELECT count(*) AS chunks FROM show_chunks('ht');

-- Runs q with the skip scan on (as the plan EXPLAIN shows) and off, row by row in order, and
-- says whether the plan has a SkipScan and whether both runs returned the same rows.
CREATE FUNCTION check_skip(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  skip boolean := false;
  r record;
  on_rows text[] := '{}';
  off_rows text[] := '{}';
BEGIN
  PERFORM set_config('strata.enable_skipscan', 'on', true);
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line LIKE '%SkipScan%' THEN skip := true; END IF;
  END LOOP;
  FOR r IN EXECUTE q LOOP on_rows := on_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_skipscan', 'off', true);
  FOR r IN EXECUTE q LOOP off_rows := off_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_skipscan', 'on', true);
  RETURN CASE WHEN skip THEN 'skip scan' ELSE 'no skip scan' END || ', ' ||
         CASE WHEN on_rows = off_rows THEN 'same rows' ELSE 'DIFFERENT ROWS' END || ', ' ||
         cardinality(on_rows) || ' rows';
END $$;

-- Plan shapes: per chunk under the MergeAppend, the Unique kept on top.
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (dev) * FROM ht ORDER BY dev, time DESC;
EXPLAIN (COSTS OFF) SELECT DISTINCT dev FROM ht;
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (dev) dev, time, val FROM ht
WHERE time > timestamptz '2024-01-09' ORDER BY dev, time DESC;
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (dev) * FROM pt ORDER BY dev, time DESC;
EXPLAIN (COSTS OFF) SELECT DISTINCT dev FROM pt ORDER BY dev DESC;
-- Off, the plain plan.
SET strata.enable_skipscan = off;
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (dev) * FROM pt ORDER BY dev, time DESC;
RESET strata.enable_skipscan;
-- Not for a column of (nearly) unique values: reading every entry is cheaper.
EXPLAIN (COSTS OFF) SELECT DISTINCT val FROM pt ORDER BY val;
-- Not for two DISTINCT columns, nor a column that is not an index's first.
EXPLAIN (COSTS OFF) SELECT DISTINCT dev, devi FROM pt ORDER BY dev, devi;
EXPLAIN (COSTS OFF) SELECT DISTINCT time FROM pt WHERE dev = 'dev01' ORDER BY time DESC;

-- The results, against the same queries without the skip scan.
SELECT q, check_skip(q) FROM (VALUES
  ('SELECT DISTINCT ON (dev) * FROM ht ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) * FROM pt ORDER BY dev, time DESC'),
  ('SELECT DISTINCT dev FROM ht ORDER BY dev'),
  ('SELECT DISTINCT dev FROM pt ORDER BY dev'),
  ('SELECT DISTINCT dev FROM ht ORDER BY dev DESC'),
  ('SELECT DISTINCT dev FROM pt ORDER BY dev DESC'),
  ('SELECT DISTINCT ON (dev) dev, time FROM ht ORDER BY dev DESC, time'),
  ('SELECT DISTINCT ON (dev) dev, time FROM pt ORDER BY dev DESC, time'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM ht WHERE time > timestamptz ''2024-01-09'' ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM pt WHERE time < timestamptz ''2024-01-03'' ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM ht WHERE time > now() - interval ''100 years'' ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM ht WHERE val > 90 ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM pt WHERE dev > ''dev20'' ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time, val FROM ht WHERE dev IS NULL ORDER BY dev, time DESC'),
  ('SELECT DISTINCT ON (dev) dev, time FROM ht ORDER BY dev, time DESC LIMIT 3'),
  ('SELECT DISTINCT ON (devi) devi, time, val FROM ht ORDER BY devi NULLS FIRST, time'),
  ('SELECT DISTINCT ON (devi) devi, time, val FROM ht ORDER BY devi DESC NULLS LAST, time DESC'),
  ('SELECT DISTINCT ON (devi) devi, time, val FROM pt ORDER BY devi DESC NULLS LAST, time'),
  ('SELECT DISTINCT ON (devi) devi, time, val FROM pt ORDER BY devi NULLS FIRST, time DESC'),
  ('SELECT DISTINCT devi FROM pt WHERE time >= timestamptz ''2024-01-05'' ORDER BY devi DESC NULLS LAST'),
  ('SELECT DISTINCT devi FROM ht WHERE time >= timestamptz ''2024-01-05'' AND time < timestamptz ''2024-01-07'' ORDER BY devi'),
  ('SELECT DISTINCT ON (dev) dev FROM ht WHERE time > timestamptz ''2030-01-01'' ORDER BY dev')
) AS t(q);

-- The DISTINCT key must be the index's first column: skipping on dev with devi also distinct
-- would lose rows; and the results stay right with the setting on whatever the plan.
SELECT check_skip('SELECT DISTINCT dev, devi FROM pt ORDER BY dev, devi');

-- Rescans: the skip scan on the inner side of a nested loop, restarted with new parameters.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT check_skip($$
  SELECT v.t, s.* FROM (VALUES (timestamptz '2024-01-02'), (timestamptz '2024-01-06'), (timestamptz '2024-01-10')) v(t),
  LATERAL (SELECT DISTINCT ON (dev) dev, time FROM pt WHERE time < v.t ORDER BY dev, time DESC) s
  ORDER BY 1, 2 NULLS FIRST$$);
SELECT check_skip($$
  SELECT v.t, s.* FROM (VALUES (timestamptz '2024-01-02'), (timestamptz '2024-01-06'), (timestamptz '2024-01-10')) v(t),
  LATERAL (SELECT DISTINCT ON (dev) dev, time FROM ht WHERE time < v.t ORDER BY dev, time DESC) s
  ORDER BY 1, 2 NULLS FIRST$$);
EXPLAIN (COSTS OFF) SELECT v.t, s.* FROM (VALUES (timestamptz '2024-01-02'), (timestamptz '2024-01-06')) v(t),
  LATERAL (SELECT DISTINCT ON (dev) dev, time FROM pt WHERE time < v.t ORDER BY dev, time DESC) s;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- Cursors moving backwards (PostgreSQL materializes under a SCROLL cursor) and rescans.
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT DISTINCT ON (dev) dev, time FROM pt ORDER BY dev, time DESC;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 31 FROM c;
FETCH BACKWARD 1 FROM c;
MOVE ABSOLUTE 0 IN c;
FETCH 2 FROM c;
COMMIT;
SET strata.enable_skipscan = off;
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT DISTINCT ON (dev) dev, time FROM pt ORDER BY dev, time DESC;
FETCH 3 FROM c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 31 FROM c;
FETCH BACKWARD 1 FROM c;
MOVE ABSOLUTE 0 IN c;
FETCH 2 FROM c;
COMMIT;
RESET strata.enable_skipscan;
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT DISTINCT dev FROM ht ORDER BY dev DESC;
FETCH 2 FROM c;
FETCH BACKWARD 1 FROM c;
FETCH LAST FROM c;
FETCH PRIOR FROM c;
COMMIT;
-- A prepared statement (generic plan, parameter in the index quals).
SET plan_cache_mode = force_generic_plan;
PREPARE p(timestamptz) AS SELECT DISTINCT ON (dev) dev, time FROM ht WHERE time > $1 ORDER BY dev, time DESC;
EXECUTE p('2024-01-10 12:00');
SET strata.enable_skipscan = off;
PREPARE p_off(timestamptz) AS SELECT DISTINCT ON (dev) dev, time FROM ht WHERE time > $1 ORDER BY dev, time DESC;
EXECUTE p_off('2024-01-10 12:00');
RESET strata.enable_skipscan;
RESET plan_cache_mode;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE strata_skip_scan_test;
