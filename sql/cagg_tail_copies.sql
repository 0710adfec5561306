-- Planning a real-time continuous aggregate with a tiny raw tail (strata.enable_chunk_plan_copies):
-- the first raw chunk at or above the watermark is planned as usual and, read best by a sequential
-- scan, is the template; each further raw chunk gets a copy of that scan (its own chunk, the rows
-- scaled by its size) instead of a RelOptInfo, statistics lookups and paths of its own. And the
-- materialized side, when all its chunks end at or below the watermark, is a plain Append: the
-- watermark clause would exclude none of them at any later execution.
SET timezone = 'UTC';
-- (Siblings planned on their own would take the first planned chunk's estimates with path
-- cloning: off, so that the estimates tell copies from chunks planned on their own.)
SET strata.enable_chunk_path_cloning = off;
CREATE TABLE tc (time timestamptz NOT NULL, v int);
SELECT create_hypertable('tc', by_range('time', interval '1 hour')) IS NOT NULL AS created;
-- Six rows an hour, every 10 minutes, over 2026-01-01 00:00 .. 05:50.
INSERT INTO tc SELECT '2026-01-01'::timestamptz + g * interval '10 minutes', g FROM generate_series(0, 35) g;
CREATE MATERIALIZED VIEW tc_rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('10 minutes', time) AS bucket, count(*) AS n, sum(v) AS s FROM tc GROUP BY 1 WITH NO DATA;
-- Materialized up to 03:30: the raw tail is the chunk of 03:00 (its upper half) and those of 04:00
-- and 05:00.
CALL refresh_continuous_aggregate('tc_rt', NULL, '2026-01-01 03:30+00');
ANALYZE tc;
-- The estimated rows of each raw chunk's scan, in reading order.
CREATE FUNCTION tc_rows(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || q LOOP
    IF line ~ 'Scan.* on _hyper_1_' THEN
      RETURN NEXT substring(line from '(_hyper_\d+_\d+_chunk) ') || ' rows=' || substring(line from 'rows=(\d+)');
    END IF;
  END LOOP;
END $$;
-- The template (03:00) keeps half of its rows; the chunks of 04:00 and 05:00 are copies of its
-- scan: 3 rows each, where planned on their own they estimate all 6 of theirs.
SELECT tc_rows('SELECT * FROM tc_rt');
SET strata.enable_chunk_plan_copies = off;
SELECT tc_rows('SELECT * FROM tc_rt');
RESET strata.enable_chunk_plan_copies;
EXPLAIN (COSTS OFF) SELECT * FROM tc_rt WHERE bucket >= '2026-01-01 02:00+00';
-- The rows are the raw aggregation's.
CREATE FUNCTION tc_same() RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT array_agg(row(bucket, n, s) ORDER BY bucket) FROM tc_rt) =
         (SELECT array_agg(row(b, n, s) ORDER BY b)
            FROM (SELECT time_bucket('10 minutes', time) AS b, count(*) AS n, sum(v) AS s FROM tc GROUP BY 1) r)
$$;
SELECT tc_same();
-- A generic plan made now (copies and all) stays right after a refresh that moves the watermark
-- into the copied chunks, and after new rows there.
PREPARE tq AS SELECT count(*), sum(n), sum(s) FROM tc_rt WHERE bucket >= $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE tq('2026-01-01');
CALL refresh_continuous_aggregate('tc_rt', NULL, '2026-01-01 04:20+00');
EXECUTE tq('2026-01-01');
INSERT INTO tc VALUES ('2026-01-01 05:55+00', 100), ('2026-01-01 04:45+00', 1000);
EXECUTE tq('2026-01-01');
SELECT count(*), sum(v) FROM tc;
RESET plan_cache_mode;
SELECT tc_same();
-- A bigger tail (over 1,000 rows estimated) keeps its chunks planned one by one: with 1,000 more
-- rows in the chunk of 04:00 (the first of the tail now), the chunk of 05:00 estimates its own 7
-- rows, not the 1,006 of a copy.
INSERT INTO tc SELECT '2026-01-01 04:50+00', 1 FROM generate_series(1, 1000);
ANALYZE tc;
SELECT tc_rows('SELECT * FROM tc_rt');
SELECT tc_same();
-- The materialized side (chunks of 10 hours, from 2025-12-31 18:00): materialized up to 04:00, its
-- one chunk ends at the watermark, so no ChunkAppend on it; a generic plan made then stays right
-- when a refresh fills the next chunk (a new chunk invalidates the plan), which holds the watermark
-- and is read under the ChunkAppend again.
CREATE MATERIALIZED VIEW tc_rt4 WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('10 minutes', time) AS bucket, count(*) AS n FROM tc GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('tc_rt4', NULL, '2026-01-01 04:00+00');
CREATE FUNCTION tc_mat_appends(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; r text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line ~ '(Append|_materialized_hypertable_3)' THEN r := r || trim(line) || '; '; END IF;
  END LOOP;
  RETURN r;
END $$;
SELECT tc_mat_appends('SELECT * FROM tc_rt4');
PREPARE tq4 AS SELECT count(*), sum(n) FROM tc_rt4 WHERE bucket >= $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE tq4('2026-01-01');
CALL refresh_continuous_aggregate('tc_rt4', NULL, '2026-01-01 04:20+00');
EXECUTE tq4('2026-01-01');
RESET plan_cache_mode;
SELECT tc_mat_appends('SELECT * FROM tc_rt4');
SELECT count(*), sum(n) FROM tc_rt4;
