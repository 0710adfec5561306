-- ColumnstoreAggregate grouped by PostgreSQL's date_trunc() and date_bin() of a timestamptz or
-- timestamp column, as by time_bucket(). date_trunc of a timestamptz truncates in the session's
-- TimeZone: the node calls date_trunc itself (at execution, so a kept generic plan follows the
-- zone) and takes a batch's rows as runs of one bucket only where no UTC offset change of the
-- zone lies inside the batch (units below a day; a day or longer goes row by row). Every query
-- returns the same rows with the pushdown on and off and on a plain table, in zones with DST
-- changes (Los Angeles, Santiago at midnight, Lord Howe by 30 minutes), half- and three-quarter-
-- hour offsets (Kolkata, Kathmandu) and a local mean time of +00:19:32 changed to +00:20 in 1937
-- (Amsterdam), with batches across those changes.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_aggt;
SET search_path = cs_aggt, public;

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

-- Runs q ("%I" is the table) on m with the pushdown on and off and on ref, in TimeZone z:
-- 'same' when all agree.
CREATE FUNCTION agg_check(z text, q text) RETURNS text LANGUAGE plpgsql AS $$
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
    RAISE NOTICE '% %: pushdown differs', z, q;
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
FROM (SELECT agg_check(z, q) r
      FROM queries, unnest(ARRAY['UTC', 'America/Los_Angeles', 'America/Santiago', 'Australia/Lord_Howe',
                                 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/Amsterdam']) z) s;

-- Not pushed down (PostgreSQL's own plans, same answers): date_trunc in a named zone, a unit
-- date_trunc rejects, a date_bin stride with months.
SELECT pushed($$SELECT date_trunc('hour', time, 'Asia/Kathmandu') b, count(*) FROM %I GROUP BY 1$$),
       agg_check('UTC', $$SELECT date_trunc('hour', time, 'Asia/Kathmandu') b, count(*) FROM %I GROUP BY 1$$);
SELECT pushed($$SELECT date_trunc('timezone', time) b, count(*) FROM %I WHERE v > 10 GROUP BY 1$$),
       agg_check('UTC', $$SELECT date_trunc('timezone', time) b, count(*) FROM %I WHERE v > 10 GROUP BY 1$$);
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
CREATE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line LIKE '%Batches in One Bucket%' OR line LIKE '%Partial Groups%' THEN
      RETURN NEXT line;
    END IF;
  END LOOP;
END $$;
SELECT explain_analyze($$SELECT date_trunc('day', time) b, count(*) FROM m
  WHERE dev = 0 AND time >= '2024-03-09' AND time < '2024-03-12' GROUP BY 1$$);
SET TimeZone = 'America/Los_Angeles';
SELECT explain_analyze($$SELECT date_trunc('day', time) b, count(*) FROM m
  WHERE dev = 0 AND time >= '2024-03-09' AND time < '2024-03-12' GROUP BY 1$$);
SET TimeZone = 'UTC';

-- The Finalize Aggregate's estimate: at most the chunks' buckets times the other groups (was the
-- time column's distinct values).
CREATE FUNCTION plan_rows(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT plan_rows($$SELECT date_trunc('hour', time) b, dev, count(*) FROM m GROUP BY 1, 2$$) <= 2000 AS estimate_bounded;

DROP SCHEMA cs_aggt CASCADE;
