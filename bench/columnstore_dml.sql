-- Benchmark of writes into compressed chunks (issue 17 targets), strata's columnstore against the
-- rowstore (the same hypertable, not compressed) in the same run: an UPDATE of 150,000 rows and an
-- upsert of 100,000 rows of which half conflict. Each figure is the median of :runs runs, each on
-- freshly loaded (and compressed) data. Run by bench/columnstore_dml.sh.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
CREATE TEMP TABLE timings (op text, store text, run int, ms float8);

CREATE OR REPLACE FUNCTION pg_temp.load(compressed bool) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS bench_cs;
  CREATE TABLE bench_cs (time timestamptz NOT NULL, device int NOT NULL, val float8, PRIMARY KEY (device, time));
  PERFORM create_hypertable('bench_cs', by_range('time', interval '7 days'));
  -- 300,000 rows: 100 devices, one reading a minute for 50 hours, in one chunk.
  INSERT INTO bench_cs SELECT '2024-01-01'::timestamptz + m * interval '1 min', d, m + d
    FROM generate_series(0, 2999) m, generate_series(1, 100) d;
  IF compressed THEN
    ALTER TABLE bench_cs SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                              timescaledb.compress_orderby = 'time');
    PERFORM compress_chunk(c) FROM show_chunks('bench_cs') c;
  END IF;
  ANALYZE bench_cs;
END $$;

CREATE OR REPLACE FUNCTION pg_temp.timed(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  EXECUTE q;
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;

DO $$
DECLARE
  upd text := 'UPDATE bench_cs SET val = val + 1 WHERE device <= 50';  -- 150,000 rows
  ups text := 'INSERT INTO bench_cs SELECT ''2024-01-01''::timestamptz + m * interval ''1 min'', d, -1 '
              || 'FROM generate_series(2000, 3999) m, generate_series(1, 50) d '               -- 100,000 rows,
              || 'ON CONFLICT (device, time) DO UPDATE SET val = excluded.val';                 -- 50,000 conflicting
  store text;
BEGIN
  FOR run IN 1..current_setting('bench.runs')::int LOOP
    FOREACH store IN ARRAY ARRAY['rowstore', 'columnstore'] LOOP
      PERFORM pg_temp.load(store = 'columnstore');
      INSERT INTO timings VALUES ('update 150k', store, run, pg_temp.timed(upd));
      PERFORM pg_temp.load(store = 'columnstore');
      INSERT INTO timings VALUES ('upsert 100k (half conflicting)', store, run, pg_temp.timed(ups));
    END LOOP;
  END LOOP;
  DROP TABLE bench_cs;
END $$;

SELECT op,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'rowstore')::numeric, 1) AS rowstore_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'columnstore')::numeric, 1) AS columnstore_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'columnstore') /
              percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE store = 'rowstore'))::numeric, 2) AS ratio
  FROM timings GROUP BY op ORDER BY op;
