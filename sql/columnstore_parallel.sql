-- Parallel scans of compressed chunks: with parallel query forced, a compressed chunk is read by a
-- parallel-aware ColumnarScan under a Gather (its batches divided among the participants, each
-- decoded once), a partially compressed chunk's row part by its own parallel seq scan beside it,
-- and every query returns exactly what it returns on a plain table with the same rows, over
-- compressed, partially compressed and uncompressed chunks. strata.enable_columnstore_parallel_scan
-- turns it off.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
CREATE SCHEMA cs_par;
SET search_path = cs_par, public;
-- (Rows inserted into compressed chunks go to their row parts, never straight into batches.)
SET strata.direct_compress_copy_min_rows = 0;

CREATE TABLE m (time timestamptz NOT NULL, device int, host text COLLATE "C", val float8, ival int8);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
-- Five days, eight devices: two batches per device and day.
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '10 seconds', g % 8, 'host_' || (g % 5),
       CASE WHEN g % 23 = 0 THEN NULL ELSE (g % 1000) / 10.0 END, g
FROM generate_series(0, 43199) g;
CREATE TABLE ref AS SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                   timescaledb.compress_orderby = 'time DESC', timescaledb.compress_index = 'minmax(val)');
-- The first three chunks compressed, then rows arrive in the first two (partial); the last two
-- stay uncompressed.
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 LIMIT 3) s;
INSERT INTO m SELECT '2024-01-01 00:00:05'::timestamptz + g * interval '40 seconds', g % 11, 'late', g / 7.0, -g
FROM generate_series(0, 2999) g;
INSERT INTO ref SELECT '2024-01-01 00:00:05'::timestamptz + g * interval '40 seconds', g % 11, 'late', g / 7.0, -g
FROM generate_series(0, 2999) g;
ANALYZE m;
ANALYZE ref;
SELECT c.table_name, c.status FROM _strata_catalog.chunk c ORDER BY c.id;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;

-- Compressed chunks by a Parallel ColumnarScan, the row parts and uncompressed chunks by
-- parallel seq scans, all under one Parallel Append.
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE val > 50;
-- Through the companion's index (a segment filter), too.
EXPLAIN (COSTS OFF) SELECT time, val FROM m WHERE device = 3;

-- Runs q on m and on ref ("%I" is the table) and says whether they agree; ordered queries
-- compare in order.
CREATE FUNCTION same(q text, ordered boolean DEFAULT false) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  IF ordered THEN
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'm') INTO a;
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'ref') INTO b;
  ELSE
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'm') INTO a;
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'ref') INTO b;
  END IF;
  IF a IS DISTINCT FROM b THEN
    RAISE NOTICE 'differs: %', q;
  END IF;
  RETURN a IS NOT DISTINCT FROM b;
END $$;

-- The plan of q on m (EXPLAIN ANALYZE, JSON): whether it has a parallel-aware ColumnarScan under a
-- Gather that launched workers, and the batches its ColumnarScans decoded in all participants.
CREATE FUNCTION par(q text, OUT parallel_columnar boolean, OUT workers_launched boolean,
                    OUT batches_decoded bigint, OUT rows bigint) LANGUAGE plpgsql AS $$
DECLARE
  plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || format(q, 'm') INTO plan;
  SELECT bool_or(n->>'Custom Plan Provider' = 'ColumnarScan' AND (n->>'Parallel Aware')::boolean),
         bool_or((n->>'Workers Launched')::int > 0),
         sum((n->>'Batches Decoded')::bigint)
    INTO parallel_columnar, workers_launched, batches_decoded
    FROM jsonb_path_query(plan, 'strict $.**') n WHERE jsonb_typeof(n) = 'object';
  rows := (plan->0->'Plan'->>'Actual Rows')::bigint;
END $$;

-- Every batch is decoded exactly once over all participants: the same count as a serial scan
-- (with the leader not participating, every row comes from a worker).
SET parallel_leader_participation = off;
SELECT * FROM par('SELECT * FROM %I WHERE val > 50');
SELECT * FROM par('SELECT time, val FROM %I WHERE device = 3');
SET max_parallel_workers_per_gather = 0;
SELECT * FROM par('SELECT * FROM %I WHERE val > 50');
SELECT * FROM par('SELECT time, val FROM %I WHERE device = 3');
SET max_parallel_workers_per_gather = 2;
RESET parallel_leader_participation;

-- Results: the same as the plain table's, with the leader participating or not.
CREATE TABLE queries (q text, ordered boolean DEFAULT false);
INSERT INTO queries VALUES
  ('SELECT * FROM %I ORDER BY time DESC, ival LIMIT 20', true),
  ('SELECT * FROM %I WHERE val > 90 ORDER BY time, ival', true);
INSERT INTO queries (q) VALUES
  ('SELECT * FROM %I'),
  -- (float sums in a fixed order: numeric)
  ('SELECT count(*), count(val), sum(ival), sum(val::numeric), min(time), max(time) FROM %I'),
  ('SELECT device, count(*), sum(ival), max(host) FROM %I GROUP BY device'),
  ('SELECT * FROM %I WHERE val > 50'),
  ('SELECT * FROM %I WHERE device = 3'),
  ('SELECT * FROM %I WHERE device IN (1, 5, 9) AND time < ''2024-01-03'''),
  ('SELECT time, val FROM %I WHERE host = ''late'''),
  ('SELECT time, ival FROM %I WHERE val IS NULL'),
  ('SELECT date_trunc(''hour'', time) h, avg(val::numeric), count(*) FROM %I WHERE val < 20 GROUP BY h'),
  ('SELECT a.device, count(*) FROM %1$I a JOIN %1$I b ON a.time = b.time AND a.ival = b.ival GROUP BY a.device'),
  ('SELECT k, (SELECT count(*) FROM %I WHERE device = k AND val > k) FROM generate_series(0, 9) k');
SELECT q, same(q, ordered) FROM queries ORDER BY q;
SET parallel_leader_participation = off;
SELECT count(*) FILTER (WHERE same(q, ordered)) AS same, count(*) FROM queries;
RESET parallel_leader_participation;
-- (a partial Append that is not parallel-aware: each participant runs every scan's share)
SET enable_parallel_append = off;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE val > 50;
SELECT count(*) FILTER (WHERE same(q, ordered)) AS same, count(*) FROM queries;
RESET enable_parallel_append;
-- (the plans used)
SELECT count(*) FILTER (WHERE (par(q)).parallel_columnar) AS parallel, count(*) FROM queries;

-- A Gather rescanned (the inner side of a nested loop): the batches are claimed anew each time,
-- 16 per compressed chunk and loop.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
SET strata.enable_columnstore_agg_pushdown = off;
EXPLAIN (COSTS OFF)
WITH k AS MATERIALIZED (SELECT generate_series(1, 3) k)
SELECT k.k, count(*) FROM k JOIN m ON m.val > k.k * 30 GROUP BY k.k ORDER BY k.k;
SELECT * FROM par('WITH k AS MATERIALIZED (SELECT generate_series(1, 3) k)
                   SELECT k.k, count(*) FROM k JOIN %I m ON m.val > k.k * 30 GROUP BY k.k ORDER BY k.k');
SELECT same('WITH k AS MATERIALIZED (SELECT generate_series(1, 3) k)
             SELECT k.k, count(*) FROM k JOIN %I m ON m.val > k.k * 30 GROUP BY k.k', false);
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
RESET strata.enable_columnstore_agg_pushdown;

-- Aggregation pushdown still plans over the compressed chunks (ColumnstoreAggregate reads a
-- serial ColumnarScan) when it is cheaper.
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
EXPLAIN (COSTS OFF) SELECT count(*), max(val) FROM m WHERE time < '2024-01-04';
SELECT same('SELECT count(*), max(val) FROM %I WHERE time < ''2024-01-04''');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;

-- Writes and row locks never read a compressed chunk in parallel.
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE val > 50 FOR UPDATE;

-- Off: compressed chunks are read by one process each (a non-partial ColumnarScan).
SET strata.enable_columnstore_parallel_scan = off;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE val > 50;
SELECT same('SELECT * FROM %I WHERE val > 50');
RESET strata.enable_columnstore_parallel_scan;

DROP SCHEMA cs_par CASCADE;
