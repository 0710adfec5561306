-- The raw tail of a real-time continuous aggregate read by parallel workers: the chunks at or above
-- the watermark are excluded at executor start (cagg_watermark() is read then, in every
-- participant alike), and with strata.enable_parallel_chunk_append a partial ChunkAppend over the
-- chunks' parallel scans lets the tail's aggregation run as a Partial HashAggregate under a Gather.
SET timezone = 'UTC';
CREATE TABLE pt (time timestamptz NOT NULL, dev int, v int);
SELECT create_hypertable('pt', by_range('time', interval '1 day'));
INSERT INTO pt SELECT '2024-01-01'::timestamptz + g * interval '10 seconds', d, (g + d) % 7
  FROM generate_series(0, 3 * 8640 - 1) g, generate_series(1, 4) d;
CREATE MATERIALIZED VIEW pt_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS s FROM pt GROUP BY 1, 2 WITH NO DATA;
-- Materialized up to the last day: the tail is one raw chunk.
CALL refresh_continuous_aggregate('pt_hourly', NULL, '2024-01-03');
ANALYZE;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
-- (PostgreSQL's partial aggregation over the partial ChunkAppend: RowstoreAggregate's is cagg_rowagg_tail's)
SET strata.rowstore_agg_realtime = off;
CREATE FUNCTION tail_plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ '(Gather|Partial|ChunkAppend\) on pt|Parallel|Seq Scan on _hyper_1_)' THEN
      RETURN NEXT regexp_replace(line, '_hyper_1_[0-9]+_chunk( pt_[0-9]+)?', '<chunk>');
    END IF;
  END LOOP;
END $$;
SELECT * FROM tail_plan('SELECT bucket, sum(n) FROM pt_hourly GROUP BY 1');
-- The same results as the raw aggregation, with the tail read by the workers.
CREATE VIEW raw_hourly AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS s FROM pt GROUP BY 1, 2;
SELECT count(*) FROM pt_hourly;
SELECT count(*) FROM ((TABLE pt_hourly EXCEPT ALL TABLE raw_hourly) UNION ALL (TABLE raw_hourly EXCEPT ALL TABLE pt_hourly)) d;
-- A generic plan: the chunks are still excluded at executor start, in every participant, and stay
-- right after a refresh moves the watermark and new rows arrive.
PREPARE q AS SELECT count(*), sum(n), sum(s) FROM pt_hourly WHERE bucket >= $1;
SET plan_cache_mode = force_generic_plan;
SELECT * FROM tail_plan('EXECUTE q(''2024-01-01'')');
EXECUTE q('2024-01-01');
SELECT count(*), sum(n), sum(s) FROM raw_hourly;
CALL refresh_continuous_aggregate('pt_hourly', NULL, '2024-01-03 12:00');
-- (the late row below the watermark shows after the next refresh, the one in the tail at once)
INSERT INTO pt VALUES ('2024-01-03 20:00:05+00', 1, 100), ('2024-01-02 10:00:05+00', 2, 100);
EXECUTE q('2024-01-01');
SELECT count(*), sum(n), sum(s) FROM raw_hourly;
CALL refresh_continuous_aggregate('pt_hourly', NULL, NULL);
EXECUTE q('2024-01-01');
SELECT count(*), sum(n), sum(s) FROM raw_hourly;
RESET plan_cache_mode;
-- The partial aggregation's group estimate over the tail: at most the buckets its chunk's range
-- holds per device (the three chunks planned, the older two excluded at executor start: 3 x 25
-- hourly buckets, 4 devices), not PostgreSQL's tenth of the input.
CREATE FUNCTION partial_rows(query text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || query LOOP
    IF line ~ 'Partial HashAggregate' THEN RETURN (regexp_match(line, 'rows=([0-9]+)'))[1]::float8; END IF;
  END LOOP;
  RETURN NULL;
END $$;
SELECT partial_rows('SELECT time_bucket(''1 hour'', time), dev, count(*) FROM pt WHERE time >= now() - (now() - ''2024-01-03''::timestamptz) GROUP BY 1, 2') <= 300 AS capped;
-- Off: the tail is read serially (no partial ChunkAppend).
SET strata.enable_parallel_chunk_append = off;
SELECT * FROM tail_plan('SELECT bucket, sum(n) FROM pt_hourly GROUP BY 1');
