-- The raw tail of a real-time continuous aggregate aggregated by parallel RowstoreAggregates
-- (strata.rowstore_agg_realtime) under the partial ChunkAppend: each chunk at or above the watermark
-- drops its `time >= cagg_watermark(...)` filter at executor start (its range satisfies it) and its
-- heap pages are read directly; a chunk the watermark cuts is read directly too, each row's time
-- checked against the watermark. Results equal the raw aggregation's in both cases, with generic
-- plans across refreshes too.
SET timezone = 'UTC';
CREATE TABLE rt (time timestamptz NOT NULL, dev int, v int, tag text);
SELECT create_hypertable('rt', by_range('time', interval '1 day'));
INSERT INTO rt SELECT '2024-01-01'::timestamptz + g * interval '10 seconds', d, (g + d) % 7,
                      CASE WHEN d % 2 = 0 THEN 'even' ELSE 'odd' END
  FROM generate_series(0, 3 * 8640 - 1) g, generate_series(1, 4) d;
CREATE MATERIALIZED VIEW rt_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, tag, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
  FROM rt GROUP BY 1, 2, 3 WITH NO DATA;
CREATE VIEW rt_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, tag, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
  FROM rt GROUP BY 1, 2, 3;
-- Materialized up to the last day: the tail is one whole raw chunk.
CALL refresh_continuous_aggregate('rt_hourly', NULL, '2024-01-03');
ANALYZE;
-- Parallel plans whatever the sizes and costs.
SELECT count(set_config(name, value, false)) FROM (VALUES ('max_parallel_workers_per_gather', '2'),
  ('parallel_setup_cost', '0'), ('parallel_tuple_cost', '0'), ('min_parallel_table_scan_size', '0')) s(name, value);
CREATE FUNCTION rt_explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query; END $$;
CREATE FUNCTION rt_plan(query text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(line, '_hyper_1_[0-9]+_chunk', '<chunk>') FROM rt_explain(query) line
  WHERE line ~ '(Gather|Aggregate|ChunkAppend|Filter|Heap Pages|Seq Scan on _hyper_1_)'
$$;
CREATE FUNCTION rt_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((TABLE rt_hourly EXCEPT ALL TABLE rt_raw) UNION ALL (TABLE rt_raw EXCEPT ALL TABLE rt_hourly)) d
$$;
SELECT * FROM rt_plan('SELECT bucket, dev, sum(n) FROM rt_hourly GROUP BY 1, 2');
SELECT count(*) FROM rt_hourly;
SELECT rt_diff();
SELECT bucket, sum(n), sum(s), min(lo), max(hi) FROM rt_hourly WHERE bucket >= '2024-01-03 22:00' GROUP BY 1 ORDER BY 1;
-- A generic plan: the filter dropped at one execution, checked per row at the next after a refresh
-- moved the watermark inside the tail's chunk, with late rows (one at the watermark, one just below).
PREPARE q AS SELECT count(*), sum(n), sum(s), min(lo), max(hi) FROM rt_hourly;
SET plan_cache_mode = force_generic_plan;
SELECT * FROM rt_plan('EXECUTE q');
EXECUTE q;
SELECT count(*), sum(n), sum(s), min(lo), max(hi) FROM rt_raw;
CALL refresh_continuous_aggregate('rt_hourly', NULL, '2024-01-03 12:00');
SELECT * FROM rt_plan('EXECUTE q');
EXECUTE q;
SELECT rt_diff();
INSERT INTO rt VALUES ('2024-01-03 20:00:05+00', 1, 100, 'odd'), ('2024-01-03 12:00:00+00', 2, -5, 'even');
EXECUTE q;
SELECT count(*), sum(n), sum(s), min(lo), max(hi) FROM rt_raw;
INSERT INTO rt VALUES ('2024-01-03 11:59:59.999999+00', 3, 100, 'odd'), ('2024-01-01 10:00:05+00', 3, 100, 'odd');
CALL refresh_continuous_aggregate('rt_hourly', NULL, '2024-01-03 12:00');
EXECUTE q;
SELECT count(*), sum(n), sum(s), min(lo), max(hi) FROM rt_raw;
RESET plan_cache_mode;
SELECT rt_diff();
-- Off: PostgreSQL's partial aggregation reads the tail.
SET strata.rowstore_agg_realtime = off;
SELECT * FROM rt_plan('SELECT bucket, dev, sum(n) FROM rt_hourly GROUP BY 1, 2');
SELECT rt_diff();
RESET strata.rowstore_agg_realtime;
-- Without parallel workers: a serial RowstoreAggregate per chunk under the ChunkAppend.
SET max_parallel_workers_per_gather = 0;
SELECT * FROM rt_plan('SELECT bucket, dev, sum(n) FROM rt_hourly GROUP BY 1, 2');
SELECT rt_diff();
-- Two chunks in the tail: the one the watermark cuts checks its rows, the newer one drops the filter.
INSERT INTO rt SELECT '2024-01-04'::timestamptz + g * interval '10 seconds', d, g % 5, 'new'
  FROM generate_series(0, 359) g, generate_series(1, 2) d;
SELECT * FROM rt_plan('SELECT bucket, dev, sum(n) FROM rt_hourly GROUP BY 1, 2');
SELECT rt_diff();
RESET max_parallel_workers_per_gather;
-- A compressed chunk in the tail is left to the columnstore's scan (no RowstoreAggregate of its heap).
ALTER TABLE rt SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
SELECT count(compress_chunk(c)) FROM show_chunks('rt') c WHERE c::text LIKE '%_3_chunk';
SELECT * FROM rt_plan('SELECT bucket, dev, sum(n) FROM rt_hourly GROUP BY 1, 2') WHERE rt_plan ~ 'RowstoreAggregate';
SELECT rt_diff();
-- A date time column, its values before 2000-01-01 negative Datums: the chunk the watermark cuts
-- (1999-12-25 to 2000-01-04) is read directly by the parallel participants, each row's date
-- checked against the watermark. A generic plan made with the watermark in an older chunk leaves
-- that chunk out at executor start once a refresh moved the watermark past it.
CREATE TABLE rd (day date NOT NULL, dev int, v int);
SELECT create_hypertable('rd', by_range('day', interval '10 days'));
INSERT INTO rd SELECT date '1999-12-12' + g, d, (g * d) % 11 FROM generate_series(0, 29) g, generate_series(1, 200) d;
CREATE MATERIALIZED VIEW rd_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', day) AS bucket, dev, count(*) AS n, sum(v) AS s FROM rd GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW rd_raw AS SELECT time_bucket('1 day', day) AS bucket, dev, count(*) AS n, sum(v) AS s FROM rd GROUP BY 1, 2;
CALL refresh_continuous_aggregate('rd_daily', NULL, '1999-12-20'::date);
ANALYZE rd;
CREATE FUNCTION rd_plan(query text) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(regexp_replace(line, '_hyper_[0-9]+_[0-9]+_chunk', '<chunk>'), ' \(actual[^)]*\)', '')
  FROM rt_explain(query) line
  WHERE line ~ '(Gather|Workers Launched|Aggregate|ChunkAppend|Filter:|excluded|Heap Pages|Seq Scan on _hyper_)'
    AND line !~ '_materialized_hypertable_|Rows Removed|Rows Aggregated'
$$;
CREATE FUNCTION rd_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((TABLE rd_daily EXCEPT ALL TABLE rd_raw) UNION ALL (TABLE rd_raw EXCEPT ALL TABLE rd_daily)) d
$$;
-- The plan of qd after a refresh, without the count of chunks excluded at startup: PostgreSQL may
-- plan a cached plan again at any time (a backend that falls behind on other sessions'
-- invalidation messages, as under the parallel test schedule, resets all its plans), and the plan
-- made before the refresh excludes the chunk below the new watermark at startup, one made after
-- it while planning. The chunks scanned are the same either way.
-- (How many workers launch depends on the free worker slots that the tests beside this one
-- share, none at times: the results are checked against rd_raw.)
CREATE FUNCTION qd_plan() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(p, 'Launched: [0-9]+', 'Launched: some') FROM rd_plan('EXECUTE qd') p
  WHERE p !~ 'Chunks excluded during startup'
$$;
PREPARE qd AS SELECT count(*), sum(n), sum(s) FROM rd_daily;
SET plan_cache_mode = force_generic_plan;
EXECUTE qd;
CALL refresh_continuous_aggregate('rd_daily', NULL, '1999-12-29'::date);
SELECT * FROM qd_plan();
EXECUTE qd;
SELECT count(*), sum(n), sum(s) FROM rd_raw;
-- EXPLAIN ANALYZE: the workers launched, the cut chunk's rows checked per row.
CREATE OR REPLACE FUNCTION rt_explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN RETURN QUERY EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query; END $$;
SELECT * FROM qd_plan();
RESET plan_cache_mode;
DROP FUNCTION qd_plan();
SELECT rd_diff();
SELECT bucket, sum(n), sum(s) FROM rd_daily WHERE bucket BETWEEN '1999-12-27' AND '2000-01-02' GROUP BY 1 ORDER BY 1;
-- A smallint time column (2-byte Datums, negative values in the cut chunk [-100, 0)).
CREATE TABLE ri (t smallint NOT NULL, dev int, v int);
SELECT create_hypertable('ri', by_range('t', 100));
INSERT INTO ri SELECT t, d, (t * d) % 13 FROM generate_series(-300, 199) t, generate_series(1, 20) d;
CREATE FUNCTION ri_now() RETURNS smallint LANGUAGE sql STABLE AS $$ SELECT 200::smallint $$;
SELECT set_integer_now_func('ri', 'ri_now');
CREATE MATERIALIZED VIEW ri_tens WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket(10::smallint, t) AS bucket, dev, count(*) AS n, sum(v) AS s FROM ri GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('ri_tens', NULL, -50);
ANALYZE ri;
SELECT * FROM rd_plan('SELECT count(*), sum(n), sum(s) FROM ri_tens') WHERE rd_plan !~ 'Launched';
SELECT count(*), sum(n), sum(s), min(bucket), max(bucket) FROM ri_tens WHERE bucket >= -60;
SELECT count(*), sum(n), sum(s), min(bucket), max(bucket) FROM
  (SELECT time_bucket(10::smallint, t) AS bucket, dev, count(*) AS n, sum(v) AS s FROM ri GROUP BY 1, 2) r WHERE bucket >= -60;
