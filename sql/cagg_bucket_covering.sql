-- A chunk's restriction `time_bucket(width, time) OP const` of a fixed width (no months, strata's
-- time_bucket, no time zone) that all rows of the chunk's range satisfy is dropped from the chunk,
-- as `time OP const` is: a row's bucket lies in (time - width, time], so for a chunk of
-- [start, end) the buckets lie in [start - width + 1, end - 1]. A query over a real-time aggregate
-- pushes `bucket >= C` into the raw side as such a clause. Where the chunk's buckets may fall on
-- both sides of C, the clause stays.
SET timezone = 'UTC';
CREATE TABLE bc (time timestamptz NOT NULL, v int);
SELECT create_hypertable('bc', by_range('time', interval '1 hour')) IS NOT NULL AS created;
INSERT INTO bc SELECT '2026-01-01'::timestamptz + g * interval '10 minutes', g FROM generate_series(0, 35) g;
ANALYZE bc;
-- The chunks of 03:00 .. 05:00 drop the filter. The chunk of 02:00 keeps it: the bound is
-- conservative (its buckets are taken to start after 01:50, the bucket's alignment is not used).
EXPLAIN (COSTS OFF) SELECT * FROM bc WHERE time_bucket('10 minutes', time) >= '2026-01-01 02:00+00';
-- A bucket wider than the chunk: only the chunk of 05:00 (buckets after 03:30) drops it.
EXPLAIN (COSTS OFF) SELECT * FROM bc WHERE time_bucket('90 minutes', time) >= '2026-01-01 03:00+00';
-- Upper bounds: the chunk of 00:00, below C, drops `<`; the others keep it.
EXPLAIN (COSTS OFF) SELECT * FROM bc WHERE time_bucket('10 minutes', time) < '2026-01-01 01:30+00';
-- Months have no fixed width, a time zone makes local buckets: the filter stays on every chunk.
EXPLAIN (COSTS OFF) SELECT count(*) FROM bc WHERE time_bucket('1 month', time) >= '2025-12-01';
EXPLAIN (COSTS OFF) SELECT count(*) FROM bc WHERE time_bucket('10 minutes', time, 'Europe/Berlin') >= '2025-12-01';
-- Results are the same with and without the dropped clauses, for every boundary.
CREATE FUNCTION bc_same() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE c timestamptz; w interval; a bigint; b bigint;
BEGIN
  FOREACH w IN ARRAY ARRAY['10 minutes', '1 hour', '90 minutes', '1 day']::interval[] LOOP
    FOR c IN SELECT '2025-12-31 23:00+00'::timestamptz + g * interval '10 minutes' FROM generate_series(0, 48) g LOOP
      SELECT count(*) INTO a FROM bc WHERE time_bucket(w, time) >= c;
      SELECT count(*) INTO b FROM bc WHERE time_bucket(w, time + interval '0') >= c;
      IF a <> b THEN RAISE NOTICE '>= % %: % vs %', w, c, a, b; RETURN false; END IF;
      SELECT count(*) INTO a FROM bc WHERE time_bucket(w, time) < c;
      SELECT count(*) INTO b FROM bc WHERE time_bucket(w, time + interval '0') < c;
      IF a <> b THEN RAISE NOTICE '< % %: % vs %', w, c, a, b; RETURN false; END IF;
    END LOOP;
  END LOOP;
  RETURN true;
END $$;
SELECT bc_same();
-- Integer time: the chunks of 20 .. 39 (buckets from 16) drop it.
CREATE TABLE bi (t int NOT NULL, v int);
SELECT create_hypertable('bi', by_range('t', 10)) IS NOT NULL AS created;
INSERT INTO bi SELECT g, g FROM generate_series(0, 39) g;
ANALYZE bi;
EXPLAIN (COSTS OFF) SELECT * FROM bi WHERE time_bucket(5, t) >= 15;
SELECT count(*) FROM bi WHERE time_bucket(5, t) >= 15;
-- The real-time aggregate's raw side: its tail chunks lie above the queried bucket.
CREATE MATERIALIZED VIEW bc_rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('10 minutes', time) AS bucket, count(*) AS n, sum(v) AS s FROM bc GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('bc_rt', NULL, '2026-01-01 03:00+00');
EXPLAIN (COSTS OFF) SELECT * FROM bc_rt WHERE bucket >= '2026-01-01 02:00+00';
SELECT count(*), sum(n), sum(s) FROM bc_rt WHERE bucket >= '2026-01-01 02:00+00';
SELECT count(*), sum(v) FROM bc WHERE time >= '2026-01-01 02:00+00';
-- An interval offset with months or days is applied with calendar arithmetic (a month clamps to the
-- month's end; days follow the time zone's DST), so its bucket can lie more than a width below the
-- row's time: such clauses stay. A pure time offset and an origin keep the bound.
CREATE TABLE bo (time timestamptz NOT NULL, v int);
SELECT create_hypertable('bo', by_range('time', interval '1 day')) IS NOT NULL AS created;
INSERT INTO bo SELECT '2024-03-28'::timestamptz + g * interval '2 hours', g FROM generate_series(0, 71) g;
ANALYZE bo;
-- time_bucket('1 day', '2024-03-31 12:00', '1 month') is 2024-03-29: no row of the chunk of 03-31
-- has a bucket at or after 03-30.
SELECT time_bucket('1 day', '2024-03-31 12:00+00'::timestamptz, '1 month'::interval);
SELECT count(*) FROM bo WHERE time >= '2024-03-31' AND time_bucket('1 day', time, '1 month'::interval) >= '2024-03-30';
CREATE FUNCTION bo_same() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE c timestamptz; o interval; a bigint; b bigint;
BEGIN
  FOREACH o IN ARRAY ARRAY['1 month', '1 day', '-1 day', '2 hours', '-30 minutes']::interval[] LOOP
    FOR c IN SELECT '2024-03-27'::timestamptz + g * interval '6 hours' FROM generate_series(0, 28) g LOOP
      SELECT count(*) INTO a FROM bo WHERE time_bucket('1 day', time, o) >= c;
      SELECT count(*) INTO b FROM bo WHERE time_bucket('1 day', time + interval '0', o) >= c;
      IF a <> b THEN RAISE NOTICE '>= % %: % vs %', o, c, a, b; RETURN false; END IF;
      SELECT count(*) INTO a FROM bo WHERE time_bucket('1 day', time, o) < c;
      SELECT count(*) INTO b FROM bo WHERE time_bucket('1 day', time + interval '0', o) < c;
      IF a <> b THEN RAISE NOTICE '< % %: % vs %', o, c, a, b; RETURN false; END IF;
    END LOOP;
  END LOOP;
  FOR c IN SELECT '2024-03-27'::timestamptz + g * interval '6 hours' FROM generate_series(0, 28) g LOOP
    SELECT count(*) INTO a FROM bo WHERE time_bucket('1 day', time, '2024-01-01 05:00+00'::timestamptz) >= c;
    SELECT count(*) INTO b FROM bo WHERE time_bucket('1 day', time + interval '0', '2024-01-01 05:00+00'::timestamptz) >= c;
    IF a <> b THEN RAISE NOTICE 'origin >= %: % vs %', c, a, b; RETURN false; END IF;
  END LOOP;
  RETURN true;
END $$;
SELECT bo_same();
SET timezone = 'Europe/Berlin';
SELECT bo_same();
RESET timezone;
-- The month offset keeps its filter on every chunk; the pure time offset drops it on the later ones.
EXPLAIN (COSTS OFF) SELECT count(*) FROM bo WHERE time_bucket('1 day', time, '1 month'::interval) >= '2024-03-29 00:00+00';
EXPLAIN (COSTS OFF) SELECT count(*) FROM bo WHERE time_bucket('1 day', time, '2 hours'::interval) >= '2024-03-29 00:00+00';
