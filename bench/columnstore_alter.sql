-- Benchmark of ALTER COLUMN TYPE int -> bigint on a compressed hypertable (issue 17 target: <= 2x
-- the same ALTER on the rowstore), strata's columnstore against the rowstore (the same hypertable,
-- not compressed) in the same run: a data column with minmax metadata (every batch decoded,
-- converted and encoded again) and a segmentby column (a plain type change of the companion's
-- column). Each figure is the median of :runs runs, each on freshly loaded (and compressed)
-- data. Run by bench/columnstore_alter.sh.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE TEMP TABLE timings (op text, store text, run int, ms float8);

CREATE OR REPLACE FUNCTION pg_temp.load(compressed bool) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS bench_alter;
  CREATE TABLE bench_alter (time timestamptz NOT NULL, device int NOT NULL, cpu int, mem float8);
  PERFORM create_hypertable('bench_alter', by_range('time', interval '1 day'));
  -- 1,000,000 rows: 100 devices, one reading a minute for ~7 days (8 chunks).
  INSERT INTO bench_alter SELECT '2024-01-01'::timestamptz + m * interval '1 min', d, (m * 7 + d) % 100, m / 3.0
    FROM generate_series(0, 9999) m, generate_series(1, 100) d;
  IF compressed THEN
    ALTER TABLE bench_alter SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                                 timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(cpu)');
    PERFORM compress_chunk(c) FROM show_chunks('bench_alter') c;
  END IF;
  ANALYZE bench_alter;
END $$;

CREATE OR REPLACE FUNCTION pg_temp.timed(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  EXECUTE q;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

DO $$
DECLARE store text;
BEGIN
  FOR run IN 1..current_setting('bench.runs')::int LOOP
    FOREACH store IN ARRAY ARRAY['rowstore', 'columnstore'] LOOP
      PERFORM pg_temp.load(store = 'columnstore');
      INSERT INTO timings VALUES ('int -> bigint, data column (1M rows)', store, run,
                                  pg_temp.timed('ALTER TABLE bench_alter ALTER COLUMN cpu TYPE bigint'));
      INSERT INTO timings VALUES ('int -> bigint, segmentby column (1M rows)', store, run,
                                  pg_temp.timed('ALTER TABLE bench_alter ALTER COLUMN device TYPE bigint'));
      IF (SELECT count(*) FROM bench_alter WHERE cpu = 42) <> 10000 THEN
        RAISE EXCEPTION 'wrong result after ALTER on the %', store;
      END IF;
    END LOOP;
  END LOOP;
  DROP TABLE bench_alter;
END $$;

SELECT op,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'rowstore')::numeric, 1) AS rowstore_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'columnstore')::numeric, 1) AS columnstore_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'columnstore') /
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'rowstore'))::numeric, 2) AS ratio
  FROM timings GROUP BY op ORDER BY op;
