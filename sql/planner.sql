-- Query planning over hypertables: chunk exclusion at plan time and at executor start, ordered
-- append, and queries of every shape through the hypertable. Runs in a database of its own so
-- that the hypertable and chunk ids EXPLAIN prints do not depend on other tests.
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_planner_test;
CREATE DATABASE strata_planner_test;
\c strata_planner_test
SET client_min_messages = warning;
CREATE EXTENSION strata;
RESET client_min_messages;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
SET max_parallel_workers_per_gather = 0;

-- The chunks an EXPLAIN (COSTS OFF) of q scans, and how many were excluded at executor start.
CREATE FUNCTION scanned(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  names text[] := '{}';
  extra text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line ~ ' on _hyper_\d+_\d+_chunk\M' THEN
      names := names || substring(line from ' on (_hyper_\d+_\d+_chunk)\M');
    END IF;
    IF line ~ 'Chunks excluded during startup' THEN
      extra := extra || ' | excluded at startup: ' || substring(line from '\d+$');
    END IF;
    IF line ~ 'One-Time Filter: false' THEN
      extra := extra || ' | no scan';
    END IF;
  END LOOP;
  RETURN coalesce(nullif(array_to_string(names, ' '), ''), '(none)') || extra;
END $$;

-- EXPLAIN ANALYZE of q without the lines that vary between runs and platforms (memory, heap
-- fetches).
CREATE FUNCTION explain_run(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line !~ 'Sort Method|Heap Fetches|Heap Blocks|Memory Usage|Buckets' THEN
      RETURN NEXT line;
    END IF;
  END LOOP;
END $$;

-- Whether q returns the same rows with and without strata's chunk exclusion.
CREATE FUNCTION same_results(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  diff bigint;
BEGIN
  PERFORM set_config('strata.enable_chunk_exclusion', 'on', true);
  EXECUTE 'CREATE TEMP TABLE r_on AS ' || q;
  PERFORM set_config('strata.enable_chunk_exclusion', 'off', true);
  EXECUTE 'CREATE TEMP TABLE r_off AS ' || q;
  PERFORM set_config('strata.enable_chunk_exclusion', 'on', true);
  SELECT count(*) INTO n FROM r_on;
  SELECT count(*) INTO diff FROM ((TABLE r_on EXCEPT ALL TABLE r_off)
                                  UNION ALL (TABLE r_off EXCEPT ALL TABLE r_on)) d;
  DROP TABLE r_on;
  DROP TABLE r_off;
  RETURN format('%s rows, %s differ', n, diff);
END $$;

-- Statistics for every chunk, so that plans do not depend on when autovacuum runs.
CREATE FUNCTION analyze_chunks() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  c text;
BEGIN
  FOR c IN SELECT format('%I.%I', schema_name, table_name) FROM _strata_catalog.chunk LOOP
    EXECUTE 'ANALYZE ' || c;
  END LOOP;
END $$;

-- An integer hypertable: 10 chunks of 10 values each, 0 .. 99.
CREATE TABLE m (time int NOT NULL, device int, value float8);
SELECT table_name FROM create_hypertable('m', 'time', chunk_time_interval => 10);
INSERT INTO m SELECT t, t % 3, t * 1.5 FROM generate_series(0, 99) t;
ANALYZE m;
SELECT analyze_chunks();

-- The parent holds no rows; queries through it see every chunk.
SELECT count(*) FROM ONLY m;
SELECT count(*), sum(time) FROM m;
SELECT count(*) FROM _strata_catalog.chunk WHERE hypertable_id = 1;

SET enable_indexscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time < 15;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time = 42;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time < 0;
EXPLAIN (COSTS OFF) SELECT * FROM m;

-- Every comparison operator, both ways round.
SELECT q, scanned(q) FROM (VALUES
  ('SELECT * FROM m WHERE time < 20'),
  ('SELECT * FROM m WHERE time <= 20'),
  ('SELECT * FROM m WHERE time = 20'),
  ('SELECT * FROM m WHERE time >= 80'),
  ('SELECT * FROM m WHERE time > 79'),
  ('SELECT * FROM m WHERE 20 > time'),
  ('SELECT * FROM m WHERE 80 <= time'),
  ('SELECT * FROM m WHERE time > 30 AND time < 50'),
  ('SELECT * FROM m WHERE time BETWEEN 35 AND 54'),
  ('SELECT * FROM m WHERE time BETWEEN 54 AND 35'),
  ('SELECT * FROM m WHERE time IN (3, 57, 58, 99)'),
  ('SELECT * FROM m WHERE time IN (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 80)'),
  ('SELECT * FROM m WHERE time = ANY (ARRAY[12, NULL])'),
  ('SELECT * FROM m WHERE time < ANY (ARRAY[12, 25])'),
  ('SELECT * FROM m WHERE time > ALL (ARRAY[12, 85])'),
  ('SELECT * FROM m WHERE time < 15 OR time >= 90'),
  ('SELECT * FROM m WHERE (time > 10 AND time < 20) OR time = 55'),
  ('SELECT * FROM m WHERE time < 15 OR device = 1'),
  ('SELECT * FROM m WHERE time <> 15'),
  ('SELECT * FROM m WHERE time < 15::bigint'),
  ('SELECT * FROM m WHERE time >= 95::smallint'),
  ('SELECT * FROM m WHERE time < 15 AND time > 50'),
  ('SELECT * FROM m WHERE time = NULL'),
  ('SELECT * FROM m WHERE time < NULL::int'),
  ('SELECT * FROM m WHERE time IS NULL'),
  ('SELECT * FROM m WHERE time + 0 < 15'),
  ('SELECT * FROM m WHERE time < 15 AND random() >= 0'),
  ('SELECT * FROM m WHERE time < (random() * 0)::int')
) v(q);

-- Same rows with and without chunk exclusion.
SELECT q, same_results(q) FROM (VALUES
  ('SELECT * FROM m WHERE time < 20'),
  ('SELECT * FROM m WHERE time BETWEEN 35 AND 54'),
  ('SELECT * FROM m WHERE time IN (3, 57, 58, 99)'),
  ('SELECT * FROM m WHERE time IN (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 80)'),
  ('SELECT * FROM m WHERE time < 15 OR time >= 90'),
  ('SELECT * FROM m WHERE time > ALL (ARRAY[12, 85])'),
  ('SELECT * FROM m WHERE time < 15::bigint'),
  ('SELECT * FROM m WHERE time >= 95::smallint')
) v(q);

-- Other integer types.
CREATE TABLE b (time bigint NOT NULL, v int);
SELECT table_name FROM create_hypertable('b', 'time', chunk_time_interval => 1000);
INSERT INTO b SELECT t * 100, t FROM generate_series(0, 49) t;
CREATE TABLE s (time smallint NOT NULL, v int);
SELECT table_name FROM create_hypertable('s', 'time', chunk_time_interval => 100);
INSERT INTO s SELECT t * 10, t FROM generate_series(-30, 30) t;
SELECT q, scanned(q), same_results(q) FROM (VALUES
  ('SELECT * FROM b WHERE time >= 4000'),
  ('SELECT * FROM b WHERE time < 1000::int'),
  ('SELECT * FROM b WHERE time = 2500::smallint'),
  ('SELECT * FROM s WHERE time < -150'),
  ('SELECT * FROM s WHERE time >= 200::bigint'),
  ('SELECT * FROM s WHERE time BETWEEN -1 AND 0')
) v(q);

-- Time types: one chunk a day from 2020-01-01 to 2020-01-05, and one in 2100.
CREATE TABLE tz (time timestamptz NOT NULL, v int);
SELECT table_name FROM create_hypertable('tz', 'time', chunk_time_interval => interval '1 day');
INSERT INTO tz SELECT t, extract(hour FROM t)
  FROM generate_series('2020-01-01 00:00+00'::timestamptz, '2020-01-05 23:00+00', interval '1 hour') t;
INSERT INTO tz VALUES ('2100-01-01 12:00+00', 0);
CREATE TABLE ts (time timestamp NOT NULL, v int);
SELECT table_name FROM create_hypertable('ts', 'time', chunk_time_interval => interval '1 day');
INSERT INTO ts SELECT time, v FROM tz;
CREATE TABLE d (time date NOT NULL, v int);
SELECT table_name FROM create_hypertable('d', 'time', chunk_time_interval => interval '1 day');
INSERT INTO d SELECT DISTINCT time::date, 0 FROM tz ORDER BY 1;
ANALYZE tz, ts, d;
SELECT analyze_chunks();

SELECT q, scanned(q), same_results(q) FROM (VALUES
  ('SELECT * FROM tz WHERE time >= ''2020-01-03'' AND time < ''2020-01-04'''),
  ('SELECT * FROM tz WHERE time > ''2020-01-04 23:00+00'''),
  ('SELECT * FROM tz WHERE time = ''2020-01-02 05:00+00'''),
  ('SELECT * FROM tz WHERE time IN (''2020-01-02 05:00+00'', ''2100-01-01 12:00+00'')'),
  ('SELECT * FROM tz WHERE time < ''infinity'''),
  ('SELECT * FROM tz WHERE time > ''infinity'''),
  ('SELECT * FROM tz WHERE time > ''-infinity'' AND time < ''2020-01-02'''),
  ('SELECT * FROM ts WHERE time >= ''2020-01-03'' AND time < ''2020-01-04'''),
  ('SELECT * FROM ts WHERE time < ''2020-01-02''::date'),
  ('SELECT * FROM d WHERE time > ''2020-01-03'''),
  ('SELECT * FROM d WHERE time < ''2020-01-02 12:00''::timestamp'),
  ('SELECT * FROM d WHERE time BETWEEN ''2020-01-02'' AND ''2020-01-03'''),
  ('SELECT * FROM d WHERE time < ''2020-01-03'''),
  ('SELECT * FROM d WHERE time > ''2020-01-03 00:00''::timestamp'),
  ('SELECT * FROM d WHERE time <= ''2020-01-02 23:59''::timestamp')
) v(q);

-- Comparisons that depend on the time zone (timestamptz against timestamp or date) are stable,
-- not immutable: they are evaluated at executor start, in the session's time zone.
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time >= '2020-01-04 12:00'::timestamp;
SELECT count(*) FROM tz WHERE time >= '2020-01-04 12:00'::timestamp;
SET timezone = 'America/New_York';
SELECT scanned($$SELECT * FROM tz WHERE time >= '2020-01-04 20:00'::timestamp$$);
SELECT count(*) FROM tz WHERE time >= '2020-01-04 20:00'::timestamp;
SELECT scanned($$SELECT * FROM ts WHERE time < '2020-01-02 03:00+00'::timestamptz$$);
SELECT count(*) FROM ts WHERE time < '2020-01-02 03:00+00'::timestamptz;
SELECT scanned($$SELECT * FROM d WHERE time >= '2020-01-04 20:00'::timestamptz$$);
SELECT count(*) FROM d WHERE time >= '2020-01-04 20:00'::timestamptz;
SET timezone = 'UTC';
SELECT q, scanned(q), same_results(q) FROM (VALUES
  ('SELECT * FROM tz WHERE time < ''2020-01-02''::date'),
  ('SELECT * FROM tz WHERE time > ''2020-01-05 12:00''::timestamp'),
  ('SELECT * FROM ts WHERE time >= ''2020-01-05 12:00+00''::timestamptz'),
  ('SELECT * FROM d WHERE time < ''2020-01-02 12:00+00''::timestamptz')
) v(q);

-- now()-relative predicates are evaluated at executor start (the data sits in 2020 and 2100).
-- A lower bound such as time > now() - interval '1 day' only grows as time passes, so it also
-- excludes at plan time (less a margin): cached plans stay right for later executions.
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time > now();
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time > now() - interval '1 day';
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time < now() - interval '1 year';
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time > now() AND time < '2100-06-01';
EXPLAIN (COSTS OFF) SELECT * FROM tz WHERE time < CURRENT_TIMESTAMP AND time >= '2020-01-05';
SELECT count(*) FROM tz WHERE time > now();
SELECT count(*) FROM tz WHERE time < now() - interval '1 year';
SELECT q, scanned(q), same_results(q) FROM (VALUES
  ('SELECT * FROM tz WHERE time = ANY (ARRAY[now(), ''2020-01-04 05:00+00''])'),
  ('SELECT * FROM tz WHERE time > now()::date'),
  ('SELECT * FROM ts WHERE time > localtimestamp'),
  ('SELECT * FROM d WHERE time < current_date')
) v(q);
SET strata.enable_runtime_exclusion = off;
SELECT scanned('SELECT * FROM tz WHERE time < now()');
RESET strata.enable_runtime_exclusion;

-- Prepared statements: custom plans exclude at plan time, generic plans at executor start.
PREPARE between_times(timestamptz, timestamptz) AS
  SELECT count(*) FROM tz WHERE time >= $1 AND time < $2;
EXPLAIN (COSTS OFF) EXECUTE between_times('2020-01-02', '2020-01-03');
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE between_times('2020-01-02', '2020-01-03');
SELECT explain_run($$EXECUTE between_times('2020-01-02', '2020-01-04')$$);
EXECUTE between_times('2020-01-02', '2020-01-04');
EXECUTE between_times('2020-01-01', '2030-01-01');
EXECUTE between_times(NULL, '2030-01-01');
EXPLAIN (COSTS OFF) EXECUTE between_times(NULL, '2030-01-01');
PREPARE in_list(int[]) AS SELECT * FROM m WHERE time = ANY ($1) ORDER BY time;
EXPLAIN (COSTS OFF) EXECUTE in_list('{5, 77}');
EXECUTE in_list('{5, 77}');
PREPARE cross_type(date) AS SELECT count(*) FROM tz WHERE time >= $1;
SELECT scanned($$EXECUTE cross_type('2020-01-05')$$);
EXECUTE cross_type('2020-01-05');
-- A chunk created after planning invalidates the cached plan.
PREPARE after(bigint) AS SELECT time FROM b WHERE time > $1;
EXECUTE after(4800);
INSERT INTO b VALUES (7777, 1);
EXECUTE after(4800);
RESET plan_cache_mode;

-- Clauses on executor parameters (initplan results, outer references) exclude chunks when the
-- scan runs, again at each rescan; the excluded chunks are initialized but never executed.
SELECT explain_run($$SELECT * FROM m WHERE time > (SELECT max(time) / 100 + 40 FROM b WHERE time < 5000)$$);
SELECT count(*) FROM m WHERE time > (SELECT max(time) / 100 + 40 FROM b WHERE time < 5000);
SELECT explain_run($$SELECT g, (SELECT count(*) FROM m WHERE time >= g AND time < g + 3) FROM generate_series(0, 40, 20) g$$);
SELECT q, same_results(q) FROM (VALUES
  ('SELECT * FROM m WHERE time > (SELECT max(time) / 100 + 40 FROM b WHERE time < 5000)'),
  ('SELECT g, (SELECT count(*) FROM m WHERE time >= g AND time < g + 3) FROM generate_series(0, 99, 7) g'),
  ('SELECT g, (SELECT max(time) FROM tz WHERE time < g) FROM generate_series(''2019-12-31''::timestamptz, ''2020-01-07'', ''12 hours'') g')
) v(q);

-- Ordered append: ORDER BY time reads chunks in time order and stops early under LIMIT.
RESET enable_indexscan;
RESET enable_bitmapscan;
SELECT explain_run($$SELECT * FROM m ORDER BY time DESC LIMIT 3$$);
SELECT * FROM m ORDER BY time DESC LIMIT 3;
-- With index scans on the chunks instead of sorting each one.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT explain_run($$SELECT * FROM m WHERE time > 15 ORDER BY time LIMIT 12$$);
SELECT time FROM m WHERE time > 15 ORDER BY time LIMIT 12;
SELECT explain_run($$SELECT * FROM m WHERE time < 30 ORDER BY time DESC LIMIT 2$$);
RESET enable_seqscan;
RESET enable_bitmapscan;
-- Ordered and excluding at executor start at once.
SELECT explain_run($$SELECT * FROM tz WHERE time < now() ORDER BY time DESC LIMIT 1$$);
-- A secondary sort key.
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time < 20 ORDER BY time, device LIMIT 5;
SELECT * FROM m WHERE time < 20 ORDER BY time, device LIMIT 5;
-- Ordering by time_bucket() of the time column is ordering by time, bucket by bucket.
SELECT explain_run($$SELECT time_bucket('6 hours', time) AS b, count(*) FROM tz GROUP BY b ORDER BY b DESC LIMIT 3$$);
SELECT time_bucket('6 hours', time) AS b, count(*) FROM tz GROUP BY b ORDER BY b DESC LIMIT 3;
SELECT time_bucket(7, time) AS b, count(*) FROM m GROUP BY b ORDER BY b LIMIT 3;
-- The form that buckets in a time zone is not used that way: local-time buckets are not
-- monotonic across DST changes.
EXPLAIN (COSTS OFF) SELECT time_bucket('1 day', time, 'Europe/Berlin') AS b FROM tz ORDER BY b LIMIT 1;
SELECT q, same_results(q) FROM (VALUES
  ('SELECT time_bucket(''6 hours'', time) AS b, count(*) FROM tz GROUP BY b ORDER BY b DESC LIMIT 3'),
  ('SELECT time_bucket(''1 day'', time, ''2020-01-01 12:00+00''::timestamptz) AS b, sum(v) FROM tz GROUP BY b ORDER BY b LIMIT 4'),
  ('SELECT time_bucket(7, time) AS b, count(*) FROM m GROUP BY b ORDER BY b LIMIT 3')
) v(q);

-- min() and max() through ordered scans.
EXPLAIN (COSTS OFF) SELECT max(time) FROM m;
SELECT min(time), max(time) FROM m;
SELECT min(time), max(time) FROM tz;
-- Merge joins on time read the chunks in order too.
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM m a JOIN m b ON a.time = b.time WHERE a.time < 25;
SELECT count(*) FROM m a JOIN m b ON a.time = b.time WHERE a.time < 25;
RESET enable_hashjoin;
RESET enable_nestloop;
RESET enable_seqscan;
RESET enable_bitmapscan;
SET strata.enable_ordered_append = off;
EXPLAIN (COSTS OFF) SELECT * FROM m ORDER BY time DESC LIMIT 3;
RESET strata.enable_ordered_append;
SELECT q, same_results(q) FROM (VALUES
  ('SELECT * FROM m ORDER BY time DESC LIMIT 7'),
  ('SELECT * FROM m WHERE time BETWEEN 5 AND 60 ORDER BY time LIMIT 30'),
  ('SELECT * FROM tz ORDER BY time DESC LIMIT 30'),
  ('SELECT * FROM m ORDER BY time, device')
) v(q);

-- Joins, subqueries, CTEs, views, LATERAL, UNION, aggregates and window functions.
CREATE TABLE device (id int PRIMARY KEY, name text);
INSERT INTO device SELECT i, 'device ' || i FROM generate_series(0, 2) i;
ANALYZE device;
CREATE VIEW recent AS SELECT * FROM m WHERE time >= 90;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF)
  SELECT * FROM m JOIN device ON m.device = device.id WHERE m.time < 25 AND device.name = 'device 1';
EXPLAIN (COSTS OFF) SELECT count(*) FROM recent;
EXPLAIN (COSTS OFF)
  SELECT * FROM device d, LATERAL (SELECT * FROM m WHERE m.device = d.id AND m.time < 12) x;
RESET enable_indexscan;
RESET enable_bitmapscan;
EXPLAIN (COSTS OFF)
  SELECT * FROM device d, LATERAL (SELECT * FROM m WHERE m.device = d.id ORDER BY time DESC LIMIT 1) x;
-- A rescanned ChunkAppend with startup exclusion.
SELECT explain_run($$SELECT d.id, x.v FROM device d,
    LATERAL (SELECT v FROM tz WHERE tz.v = d.id AND time < now() ORDER BY time DESC LIMIT 1) x$$);
SELECT d.id, x.v FROM device d,
  LATERAL (SELECT v FROM tz WHERE tz.v = d.id AND time > now() - interval '100 years' ORDER BY time LIMIT 1) x;
-- A nested loop whose inner side is parameterized by time excludes chunks for each outer row.
CREATE TABLE windows (s int, e int);
INSERT INTO windows VALUES (3, 5), (41, 44);
ANALYZE windows;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_seqscan = off;
SELECT explain_run($$SELECT * FROM windows w JOIN m ON m.time BETWEEN w.s AND w.e$$);
SELECT * FROM windows w JOIN m ON m.time BETWEEN w.s AND w.e ORDER BY m.time;
SELECT same_results('SELECT * FROM windows w JOIN m ON m.time BETWEEN w.s AND w.e');
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_seqscan;
SELECT q, same_results(q) FROM (VALUES
  ('SELECT m.*, device.name FROM m JOIN device ON m.device = device.id WHERE m.time < 25'),
  ('SELECT * FROM device d, LATERAL (SELECT * FROM m WHERE m.device = d.id ORDER BY time DESC LIMIT 2) x'),
  ('SELECT a.time, b.value FROM m a JOIN m b ON a.time = b.time + 10 WHERE a.time < 30'),
  ('SELECT * FROM m WHERE time IN (SELECT time + 1 FROM m WHERE time > 90)'),
  ('SELECT * FROM m WHERE EXISTS (SELECT 1 FROM device WHERE id = m.device AND m.time < 10)'),
  ('SELECT d.id, (SELECT max(time) FROM m WHERE m.device = d.id) FROM device d'),
  ('WITH c AS MATERIALIZED (SELECT * FROM m WHERE time < 12) SELECT * FROM c'),
  ('WITH c AS (SELECT * FROM m WHERE time > 88) SELECT * FROM c JOIN device ON c.device = device.id'),
  ('SELECT * FROM recent'),
  ('SELECT * FROM m WHERE time < 5 UNION ALL SELECT * FROM m WHERE time > 95'),
  ('SELECT time FROM m WHERE time < 5 UNION SELECT time FROM m WHERE time < 8'),
  ('SELECT device, count(*), avg(value) FROM m WHERE time >= 33 GROUP BY device'),
  ('SELECT time, sum(value) OVER (ORDER BY time) FROM m WHERE time < 25'),
  ('SELECT * FROM (SELECT * FROM m WHERE time > 40) s WHERE s.time < 60'),
  ('SELECT * FROM m LEFT JOIN device ON m.device = device.id AND m.time > 50 WHERE m.time > 45'),
  ('SELECT * FROM device LEFT JOIN m ON m.device = device.id AND m.time = 77'),
  ('SELECT tableoid::regclass AS chunk, time FROM m WHERE time < 3'),
  ('SELECT m FROM m WHERE time = 8')
) v(q);

-- A hypertable in the body of an inlined SQL function is only met during planning.
CREATE FUNCTION m_since(t int) RETURNS SETOF m LANGUAGE sql STABLE AS $$ SELECT * FROM m WHERE time >= t $$;
SELECT scanned('SELECT * FROM m_since(85)');
SELECT same_results('SELECT * FROM m_since(85)');

-- A hypertable inside a flattened UNION ALL is expanded after PostgreSQL summed the sizes of
-- the union's members: the union's row estimate (which joins use) is corrected: 40 rows x 3.
CREATE FUNCTION estimated_rows(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
  j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END $$;
SELECT estimated_rows($$SELECT * FROM (SELECT * FROM m UNION ALL SELECT * FROM m) u
                        CROSS JOIN device WHERE u.time < 20$$);

-- ONLY the parent: nothing there.
EXPLAIN (COSTS OFF) SELECT * FROM ONLY m WHERE time < 15;

-- Row locks, UPDATE and DELETE exclude chunks too (test dml_exclusion).
SELECT time FROM m WHERE time = 5 FOR UPDATE;
UPDATE m SET value = -1 WHERE time = 6;
DELETE FROM m WHERE time = 7;
SELECT * FROM m WHERE time BETWEEN 5 AND 8 ORDER BY time;
INSERT INTO m SELECT time + 100, device, value FROM m WHERE time < 3;
SELECT count(*) FROM m WHERE time >= 100;

-- With chunk exclusion off, PostgreSQL's own expansion scans the parent and every chunk.
SET strata.enable_chunk_exclusion = off;
SET enable_indexscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time < 15;
RESET strata.enable_chunk_exclusion;

-- Planning a query that touches one chunk of 1,000 opens and locks only that chunk.
CREATE TABLE many (time int NOT NULL, v int);
SELECT table_name FROM create_hypertable('many', 'time', chunk_time_interval => 1,
                                         create_default_indexes => false);
INSERT INTO many SELECT g, g FROM generate_series(1, 1000) g;
BEGIN;
EXPLAIN (COSTS OFF) SELECT * FROM many WHERE time = 500;
SELECT count(*) AS chunks_locked
  FROM pg_locks l JOIN _strata_catalog.chunk c ON l.relation = format('%I.%I', c.schema_name, c.table_name)::regclass
  WHERE l.pid = pg_backend_pid() AND c.hypertable_id = 7;
COMMIT;
BEGIN;
SET LOCAL strata.enable_chunk_exclusion = off;
EXPLAIN (COSTS OFF) SELECT * FROM many WHERE time = 500;
SELECT count(*) AS chunks_locked
  FROM pg_locks l JOIN _strata_catalog.chunk c ON l.relation = format('%I.%I', c.schema_name, c.table_name)::regclass
  WHERE l.pid = pg_backend_pid() AND c.hypertable_id = 7;
COMMIT;
SELECT * FROM many WHERE time = 500;

\c :regress_db
DROP DATABASE strata_planner_test;
