-- RowstoreAggregate's bitmap tail (strata.rowstore_agg_tail) never takes a ChunkAppend with plan
-- copies (the tiny real-time tail's, strata.enable_chunk_plan_copies): the copies have no paths,
-- so the children it would read itself are only the planned ones. Here the raw tail of a
-- real-time aggregate has a template chunk read by a sequential scan, a copy of it for the next
-- chunk, and a chunk of another layout (created after a DROP COLUMN) planned on its own with a
-- bitmap heap scan (wide rows, an index of its own, random_page_cost low). Without copies (every
-- child planned) RowstoreAggregate reads the tail; with them PostgreSQL aggregates it; the rows are
-- the raw aggregation's either way. (This case does not show the guard by itself: without it the
-- path over the copies loses on cost here too.)
SET timezone = 'UTC';
CREATE TABLE tr (time timestamptz NOT NULL, x int, v int, pad text);
SELECT create_hypertable('tr', by_range('time', interval '1 hour'), create_default_indexes => false) IS NOT NULL AS created;
-- Six rows an hour over 00:00 .. 04:50 in the first layout (v from 1000 up: all match the
-- aggregate's WHERE), then, without x, 800 rows over 05:00 .. 05:53 (v a permutation of 0..799).
INSERT INTO tr SELECT '2026-01-01'::timestamptz + g * interval '10 minutes', 0, 1000 + g, 'p' FROM generate_series(0, 29) g;
ALTER TABLE tr DROP COLUMN x;
INSERT INTO tr SELECT '2026-01-01 05:00'::timestamptz + g * interval '4 seconds', (g * 37) % 800, repeat('z', 1500)
  FROM generate_series(0, 799) g;
CREATE MATERIALIZED VIEW tr_rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('10 minutes', time) AS bucket, count(*) AS n, sum(v) AS s FROM tr WHERE v >= 600 GROUP BY 1
  WITH NO DATA;
-- Materialized up to 03:30: the raw tail is the chunk of 03:00 (the template), that of 04:00 (its
-- copy) and that of 05:00 (the other layout), with an index on v of its own.
CALL refresh_continuous_aggregate('tr_rt', NULL, '2026-01-01 03:30+00');
SELECT c AS last_chunk FROM show_chunks('tr') c ORDER BY c DESC LIMIT 1 \gset
CREATE INDEX tr_last_v ON :last_chunk (v);
ANALYZE tr;
SET random_page_cost = 1.1;
SET enable_indexscan = off;
SET enable_hashagg = off;
SET enable_sort = off;
-- The aggregation nodes and scans of the plan.
CREATE FUNCTION tr_plan() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXPLAIN (COSTS OFF) SELECT * FROM tr_rt LOOP
    IF line ~ 'Aggregate|Scan on _hyper_1_' THEN
      RETURN NEXT regexp_replace(line, '^\s*(->\s*)?', '');
    END IF;
  END LOOP;
END $$;
CREATE FUNCTION tr_same() RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT array_agg(row(bucket, n, s) ORDER BY bucket) FROM tr_rt) =
         (SELECT array_agg(row(b, n, s) ORDER BY b)
            FROM (SELECT time_bucket('10 minutes', time) AS b, count(*) AS n, sum(v) AS s FROM tr WHERE v >= 600 GROUP BY 1) r)
$$;
-- Without copies: RowstoreAggregate over the three planned chunks.
SET strata.enable_chunk_plan_copies = off;
SELECT tr_plan();
SELECT tr_same();
-- With copies: PostgreSQL's aggregation over the ChunkAppend with the copy.
RESET strata.enable_chunk_plan_copies;
SELECT tr_plan();
SELECT tr_same();
SELECT count(*), sum(n), sum(s) FROM tr_rt WHERE bucket >= '2026-01-01 03:00+00';
RESET random_page_cost;
RESET enable_indexscan;
RESET enable_hashagg;
RESET enable_sort;
DROP MATERIALIZED VIEW tr_rt;
DROP TABLE tr;
