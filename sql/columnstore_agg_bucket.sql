-- ColumnstoreAggregate grouped by a time_bucket(): a batch whose bucketed column's min and max
-- (batch metadata, no NULLs) fall in one bucket is one run without looking at its rows ("Batches
-- in One Bucket" in EXPLAIN ANALYZE); with one grouping column in dictionary form each row's group
-- is found through its code; the Finalize Aggregate's group estimate is bounded by the chunks'
-- buckets times the other grouping columns' groups (not the time column's distinct values).
-- Every query returns the same rows with the pushdown on and off and on a plain table: batches
-- inside one bucket and across buckets, NULLs in the grouping column and in a bucketed column
-- without metadata, rows deleted from compressed batches, rows in a chunk's row part. The last
-- part groups by PostgreSQL's date_trunc() and date_bin() (schema cs_aggt).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_aggb;
SET search_path = cs_aggb, public;

CREATE TABLE m (time timestamptz NOT NULL, dev int, status text, label text, ts timestamp, v int4);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
-- dev 0 reports every 5 seconds (a batch of 1,000 rows spans 83 minutes: most lie inside one
-- 6-hour bucket), dev 1 every 2 minutes (a batch spans the whole day), dev 2 every 20 seconds.
INSERT INTO m
SELECT t, d,
       CASE WHEN g % 17 = 0 THEN NULL WHEN g % 5 < 3 THEN 'ok' ELSE 'bad' END,
       'l' || (g % 997),
       CASE WHEN d = 2 AND g % 11 = 0 THEN NULL ELSE t::timestamp - interval '90 minutes' END,
       g % 7
FROM (SELECT '2024-01-01'::timestamptz + g * interval '5 seconds' AS t, 0 AS d, g FROM generate_series(0, 51839) g
      UNION ALL
      SELECT '2024-01-01'::timestamptz + g * interval '2 minutes', 1, g FROM generate_series(0, 2159) g
      UNION ALL
      SELECT '2024-01-01'::timestamptz + g * interval '20 seconds', 2, g FROM generate_series(0, 12959) g) s;
CREATE TABLE ref AS SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
-- Rows deleted inside a batch of one bucket and in batches across buckets; rows in a row part.
DELETE FROM m WHERE dev = 0 AND time >= '2024-01-01 07:00' AND time < '2024-01-01 07:20';
DELETE FROM ref WHERE dev = 0 AND time >= '2024-01-01 07:00' AND time < '2024-01-01 07:20';
DELETE FROM m WHERE dev = 1 AND v = 3 AND time < '2024-01-02';
DELETE FROM ref WHERE dev = 1 AND v = 3 AND time < '2024-01-02';
DELETE FROM m WHERE dev = 0 AND time >= '2024-01-02 05:00' AND time < '2024-01-02 06:10';
DELETE FROM ref WHERE dev = 0 AND time >= '2024-01-02 05:00' AND time < '2024-01-02 06:10';
INSERT INTO m VALUES ('2024-01-01 05:59:59', 0, 'ok', 'x', NULL, 1), ('2024-01-01 06:00:01', 0, 'new', 'y', '2024-01-01', 2),
  ('2024-01-02 13:00', 3, NULL, NULL, NULL, NULL);
INSERT INTO ref VALUES ('2024-01-01 05:59:59', 0, 'ok', 'x', NULL, 1), ('2024-01-01 06:00:01', 0, 'new', 'y', '2024-01-01', 2),
  ('2024-01-02 13:00', 3, NULL, NULL, NULL, NULL);
ANALYZE m;
ANALYZE ref;

-- Runs q ("%I" is the table) on m with the pushdown on and off and on ref, in TimeZone z: 'same'
-- when all agree.
CREATE FUNCTION agg_check(q text, z text DEFAULT 'UTC') RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  sql text := 'SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t';
  a text;
  b text;
  r text;
BEGIN
  PERFORM set_config('TimeZone', z, true);
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'm') INTO a;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', true);
  EXECUTE format(sql, 'm') INTO b;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'ref') INTO r;
  IF a IS DISTINCT FROM r THEN
    RAISE NOTICE 'pushdown: %', a;
    RAISE NOTICE 'plain:    %', r;
    RETURN 'pushdown differs';
  END IF;
  RETURN CASE WHEN b IS DISTINCT FROM r THEN 'off differs' ELSE 'same' END;
END $$;

-- Whether the plan of q on m has a ColumnstoreAggregate.
CREATE FUNCTION pushed(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'm') LOOP
    IF line LIKE '%ColumnstoreAggregate%' THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;

CREATE TABLE queries (id serial, q text);
INSERT INTO queries (q) VALUES
  ('SELECT time_bucket(''6 hours'', time) b, dev, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''6 hours'', time) b, status, count(*), count(status), sum(v), min(time), max(v) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''6 hours'', time) b, dev, count(*), sum(v), min(v), max(time) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, dev, count(*), avg(v) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 day'', time, ''2024-01-01 03:00''::timestamptz) b, dev, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''6 hours'', ts) b, status, count(*), count(ts) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''6 hours'', time) b, dev, label, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''6 hours'', time) b, dev, status, count(*), sum(v) FROM %I WHERE v > 3 GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''6 hours'', time) b, status, count(*) FROM %I WHERE time >= ''2024-01-01 05:00'' AND time < ''2024-01-02 07:00'' GROUP BY 1, 2'),
  ('SELECT dev, status, count(*), max(v) FROM %I GROUP BY 1, 2'),
  ('SELECT status, count(*) FROM %I WHERE status IS NULL OR status = ''new'' GROUP BY 1');
SELECT id, agg_check(q), pushed(q) FROM queries ORDER BY id;

-- dev 0's first chunk: 17 batches, 14 of them inside one 6-hour bucket by their metadata (the rows
-- the DELETEs above took out of batches and the new rows are in the chunk's row part).
CREATE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line NOT LIKE '%Memory Usage%' THEN
      RETURN NEXT line;
    END IF;
  END LOOP;
END $$;
SELECT explain_analyze($$SELECT time_bucket('6 hours', time) b, status, count(*) FROM m
  WHERE dev = 0 AND time < '2024-01-02' GROUP BY 1, 2$$);

-- The Finalize Aggregate's estimate: at most the chunks' buckets times the other groups (was the
-- time column's distinct values, tens of thousands here).
CREATE FUNCTION plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT plan_rows($$SELECT time_bucket('6 hours', time) b, dev, status, count(*) FROM m GROUP BY 1, 2, 3$$) <= 200
  AS estimate_bounded;

-- Grouped by PostgreSQL's date_trunc() and date_bin() of a timestamptz or timestamp column, as by
-- time_bucket(). date_trunc of a timestamptz truncates in the session's TimeZone: the node calls
-- date_trunc itself (at execution, so a kept generic plan follows the zone) and takes a batch's
-- rows as runs of one bucket only where no UTC offset change of the zone lies between its min and
-- max (units of a day up to a year: from a unit and a day before to a day after). Every query
-- returns the same rows with the pushdown on and off and on a plain table, in zones with DST
-- changes (Los Angeles, Santiago at midnight, Lord Howe by 30 minutes), half- and three-quarter-
-- hour offsets (Kolkata, Kathmandu) and a local mean time of +00:19:32 changed to +00:20 in 1937
-- (Amsterdam), with batches across those changes.
CREATE SCHEMA cs_aggt;
SET search_path = cs_aggt, cs_aggb, public;

CREATE TABLE m (time timestamptz NOT NULL, dev int, ts timestamp, v int4);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '7 days'));
-- Two days from each start: dev 0 every 20 seconds (a batch spans 5.5 hours), dev 1 every 7
-- minutes (one batch spans both days).
INSERT INTO m
SELECT w + g * s, d, (w + g * s) AT TIME ZONE 'America/New_York', g % 7
FROM unnest(ARRAY['2024-03-09 00:00+00', '2024-11-02 00:00+00', '2024-04-06 00:00+00',
                  '1937-06-30 00:00+00', '1930-06-01 00:00+00']::timestamptz[]) w,
     (VALUES (0, interval '20 seconds', 8639), (1, interval '7 minutes', 411)) p(d, s, n),
     generate_series(0, n) g;
CREATE TABLE ref AS SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time DESC');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
ANALYZE m;
ANALYZE ref;

CREATE TABLE queries (id serial, q text);
INSERT INTO queries (q) VALUES
  ('SELECT date_trunc(''hour'', time) b, dev, count(*), sum(v), min(time), max(time) FROM %I GROUP BY 1, 2'),
  ('SELECT date_trunc(''minute'', time) b, count(*), avg(v) FROM %I GROUP BY 1'),
  ('SELECT date_trunc(''Second'', time) b, count(*) FROM %I WHERE dev = 1 GROUP BY 1'),
  ('SELECT date_trunc(''day'', time) b, dev, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT date_trunc(''week'', time) b, count(*), max(v) FROM %I GROUP BY 1'),
  ('SELECT date_trunc(''month'', time) b, dev, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT date_trunc(''hour'', time) b, dev, v, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT date_trunc(''hour'', time) b, count(*), sum(v) FROM %I WHERE v > 3 GROUP BY 1'),
  ('SELECT date_trunc(''hour'', ts) b, dev, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT date_trunc(''day'', ts) b, count(*), min(ts) FROM %I GROUP BY 1'),
  ('SELECT date_bin(''90 minutes'', time, ''2000-01-01 00:17:00+00'') b, dev, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT date_bin(''1 hour 1 second'', ts, ''2000-01-01'') b, count(*) FROM %I GROUP BY 1');
SELECT id, pushed(q) FROM queries ORDER BY id;
SELECT count(*) AS checks, count(*) FILTER (WHERE r <> 'same') AS differing
FROM (SELECT agg_check(q, z) r
      FROM queries, unnest(ARRAY['UTC', 'America/Los_Angeles', 'America/Santiago', 'Australia/Lord_Howe',
                                 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/Amsterdam']) z) s;

-- Not pushed down (PostgreSQL's own plans, same answers): date_trunc in a named zone, a unit
-- date_trunc rejects, a date_bin stride with months.
SELECT pushed($$SELECT date_trunc('hour', time, 'Asia/Kathmandu') b, count(*) FROM %I GROUP BY 1$$),
       agg_check($$SELECT date_trunc('hour', time, 'Asia/Kathmandu') b, count(*) FROM %I GROUP BY 1$$);
SELECT pushed($$SELECT date_trunc('timezone', time) b, count(*) FROM %I WHERE v > 10 GROUP BY 1$$),
       agg_check($$SELECT date_trunc('timezone', time) b, count(*) FROM %I WHERE v > 10 GROUP BY 1$$);
SELECT date_trunc('fortnight', time) b, count(*) FROM m GROUP BY 1;
SELECT pushed($$SELECT date_bin('1 month', ts, '2000-01-01') b, count(*) FROM %I WHERE v > 10 GROUP BY 1$$);

-- A generic plan keeps the unit, not the zone: one plan executed in four zones.
SET plan_cache_mode = force_generic_plan;
PREPARE p(int) AS
  SELECT date_trunc('hour', time) b, dev, count(*) n, sum(v) s FROM m WHERE dev >= $1 GROUP BY 1, 2;
PREPARE pr(int) AS
  SELECT date_trunc('hour', time) b, dev, count(*) n, sum(v) s FROM ref WHERE dev >= $1 GROUP BY 1, 2;
-- (its ColumnstoreAggregates, and whether the segment filter is the parameter)
CREATE FUNCTION generic_plan(OUT aggregates int, OUT parameter boolean) LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  aggregates := 0;
  parameter := false;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) EXECUTE p(0)' LOOP
    aggregates := aggregates + (line LIKE '%ColumnstoreAggregate%')::int;
    parameter := parameter OR line LIKE '%Segment Filter: %>= $1)%';
  END LOOP;
END $$;
SELECT * FROM generic_plan();
CREATE FUNCTION generic_differs(z text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM set_config('TimeZone', z, false);
  CREATE TEMP TABLE r_m AS EXECUTE p(0);
  CREATE TEMP TABLE r_ref AS EXECUTE pr(0);
  SELECT count(*) INTO n FROM ((TABLE r_m EXCEPT TABLE r_ref) UNION ALL (TABLE r_ref EXCEPT TABLE r_m)) d;
  DROP TABLE r_m, r_ref;
  RETURN n;
END $$;
SELECT z, generic_differs(z) FROM unnest(ARRAY['UTC', 'Asia/Kathmandu', 'America/Los_Angeles', 'Europe/Amsterdam']) z;
RESET plan_cache_mode;
SET TimeZone = 'UTC';

-- dev 0's batches (5.5 hours each) by day: in UTC, batches inside one day are one run by their
-- metadata ("Batches in One Bucket"); in Los Angeles, none is, all lying within days of the
-- change to daylight saving time (2024-03-10): their rows' days are computed one by one.
SELECT line FROM explain_analyze($$SELECT date_trunc('day', time) b, count(*) FROM m
  WHERE dev = 0 AND time >= '2024-03-09' AND time < '2024-03-12' GROUP BY 1$$) line
WHERE line LIKE '%One Bucket%' OR line LIKE '%Partial Groups%';
SET TimeZone = 'America/Los_Angeles';
SELECT line FROM explain_analyze($$SELECT date_trunc('day', time) b, count(*) FROM m
  WHERE dev = 0 AND time >= '2024-03-09' AND time < '2024-03-12' GROUP BY 1$$) line
WHERE line LIKE '%One Bucket%' OR line LIKE '%Partial Groups%';
SET TimeZone = 'UTC';

-- The Finalize Aggregate's estimate: at most the chunks' buckets times the other groups (was the
-- time column's distinct values).
SELECT plan_rows($$SELECT date_trunc('hour', time) b, dev, count(*) FROM m GROUP BY 1, 2$$) <= 2000 AS estimate_bounded;

-- A bucket's run in a batch sorted by time (either way) is found by doubling and halving steps;
-- a count(*) by one dictionary column of at most 64 entries counts codes without noting the new
-- ones. Runs of one row, runs up to the batch's end, rows not selected, a dictionary of 150
-- entries, batches not sorted by time: the same rows as a plain table (schema cs_aggr).
CREATE SCHEMA cs_aggr;
SET search_path = cs_aggr, cs_aggb, public;
CREATE TABLE ref AS
SELECT '2024-01-01'::timestamptz + g * interval '7 seconds' + d * interval '1 second' AS time, d AS dev,
       (ARRAY['ok', 'bad', 'idle'])[1 + (g * (d + 1)) % 3] AS status, 'l' || (g % 150) AS label, g % 7 AS v
FROM generate_series(0, 2) d, generate_series(0, 14999) g
WHERE g % 1000 NOT BETWEEN 100 + 100 * d AND 400;
CREATE FUNCTION runs_check(orderby text) RETURNS TABLE (id int, pushed boolean, r text) LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS cs_aggr.m;
  CREATE TABLE cs_aggr.m (LIKE cs_aggr.ref);
  PERFORM create_hypertable('cs_aggr.m', by_range('time', interval '1 day'));
  INSERT INTO cs_aggr.m SELECT * FROM cs_aggr.ref;
  EXECUTE format('ALTER TABLE cs_aggr.m SET (timescaledb.compress, timescaledb.compress_segmentby = ''dev'', '
                 'timescaledb.compress_orderby = %L)', orderby);
  PERFORM compress_chunk(c) FROM show_chunks('cs_aggr.m') c;
  ANALYZE cs_aggr.m;
  RETURN QUERY SELECT q.id, cs_aggb.pushed(q.q), agg_check(q.q) FROM (VALUES
    (1, 'SELECT time_bucket(''1 minute'', time) b, status, count(*) FROM %I GROUP BY 1, 2'),
    (2, 'SELECT time_bucket(''1 hour'', time) b, dev, status, count(*) FROM %I GROUP BY 1, 2, 3'),
    (3, 'SELECT time_bucket(''13 seconds'', time) b, dev, status, count(*) FROM %I GROUP BY 1, 2, 3'),
    (4, 'SELECT time_bucket(''1 hour'', time) b, dev, label, count(*) FROM %I GROUP BY 1, 2, 3'),
    (5, 'SELECT time_bucket(''1 hour'', time) b, status, count(*) FROM %I WHERE v <> 3 GROUP BY 1, 2'),
    (6, 'SELECT time_bucket(''1 day'', time) b, dev, status, count(*), sum(v) FROM %I GROUP BY 1, 2, 3')) q(id, q)
  ORDER BY 1;
END $$;
SELECT * FROM runs_check('time');
SELECT * FROM runs_check('time DESC');
SELECT * FROM runs_check('v, time');
SET search_path = cs_aggt, cs_aggb, public;
SET client_min_messages = warning;
DROP SCHEMA cs_aggr CASCADE;
RESET client_min_messages;

DROP SCHEMA cs_aggt CASCADE;
DROP SCHEMA cs_aggb CASCADE;
