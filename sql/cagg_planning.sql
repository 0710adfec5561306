-- Planning a real-time continuous aggregate: the raw side's chunks below the watermark are
-- excluded when planning (the watermark never decreases), so the plan holds only the raw chunks
-- of the unmaterialized tail however many chunks lie below; the rest of the exclusion happens at
-- executor start, so a cached plan stays right after a refresh.
SET timezone = 'UTC';
CREATE TABLE m (time timestamptz NOT NULL, v int);
SELECT create_hypertable('m', by_range('time', interval '1 hour'));
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '1 hour', 1 FROM generate_series(0, 199) g;
CREATE MATERIALIZED VIEW rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n, sum(v) AS s FROM m GROUP BY 1 WITH NO DATA;
CREATE FUNCTION raw_chunks_planned(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE names text[] := '{}'; line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    names := names || (regexp_match(line, '_hyper_1_[0-9]+_chunk'))[1];
  END LOOP;
  RETURN (SELECT count(DISTINCT x) FROM unnest(names) x);
END $$;
-- Nothing materialized: every raw chunk.
SELECT raw_chunks_planned('SELECT * FROM rt');
-- Materialized up to the last 5 hours: 5 raw chunks planned, not 200.
CALL refresh_continuous_aggregate('rt', NULL, '2024-01-09 03:00+00');
SELECT raw_chunks_planned('SELECT * FROM rt');
-- The materialized side: chunks that end at or below the watermark hold `bucket <
-- cagg_watermark(...)` at every later execution (the watermark never decreases), so the clause is
-- dropped from them; only the chunk holding the watermark keeps it (here in the filter of its
-- seq scan: one line; the refresh built the chunks' indexes after their rows, which gave the
-- planner their exact sizes).
CREATE FUNCTION watermark_filters(query text) RETURNS TABLE (chunks bigint, filtered bigint) LANGUAGE plpgsql AS $$
DECLARE line text; c bigint := 0; f bigint := 0;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ 'Seq Scan on _hyper_2_' THEN c := c + 1; END IF;
    IF line ~ 'bucket < _strata_internal.cagg_watermark' THEN f := f + 1; END IF;
  END LOOP;
  RETURN QUERY SELECT c, f;
END $$;
SELECT * FROM watermark_filters('SELECT * FROM rt');
SELECT count(*), sum(n) FROM rt;
-- A generic plan made now stays right after a later refresh (the watermark is read at executor
-- start) and after new rows.
PREPARE q AS SELECT count(*), sum(n) FROM rt WHERE bucket >= $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE q('2024-01-01');
CALL refresh_continuous_aggregate('rt', NULL, NULL);
INSERT INTO m VALUES ('2024-01-09 08:30+00', 1), ('2024-01-20 00:00+00', 1);
EXECUTE q('2024-01-01');
-- The watermark does not go back when the newest buckets empty: rows deleted there are
-- logged and refreshed away; rows written there again are logged, and shown after a refresh.
SELECT _strata_internal.to_timestamptz(watermark) FROM _strata_catalog.continuous_agg;
DELETE FROM m WHERE time >= '2024-01-09 07:00';
CALL refresh_continuous_aggregate('rt', NULL, '2024-01-21');
SELECT _strata_internal.to_timestamptz(watermark) FROM _strata_catalog.continuous_agg;
EXECUTE q('2024-01-01');
INSERT INTO m VALUES ('2024-01-09 07:30+00', 5);
CALL refresh_continuous_aggregate('rt', NULL, '2024-01-21');
EXECUTE q('2024-01-01');
SELECT count(*), sum(n) FROM (SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM m GROUP BY 1) r;
