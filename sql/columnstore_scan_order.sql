-- ColumnarScan ordered by segmentby columns then orderby columns: ORDER BY host, time DESC merges
-- the batches of each segment (no Sort), ORDER BY time, host merges every batch breaking ties of
-- time by host (no Sort), and DISTINCT ON (host) ... ORDER BY host, time DESC (the
-- "lastpoint" query) decodes one batch per segment and chunk, not all of them. Results against
-- the same rows in a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_order;
SET search_path = cs_order, public;

-- 2 daily chunks; 4 hosts and a NULL host, a row every 25 s each: 4 batches per segment and chunk.
CREATE TABLE t (time timestamptz NOT NULL, host text, val int, note text);
SELECT count(*) FROM create_hypertable('t', by_range('time', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01'::timestamptz + s * interval '25 seconds', h, (s * 7 + hn * 13) % 100, 'n' || (s % 10)
FROM generate_series(0, 2 * 3456 - 1) s,
     (VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, NULL)) AS hosts(hn, h);
CREATE TABLE ref AS SELECT * FROM t;
CREATE INDEX ON ref (host, time DESC);
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
ANALYZE t;
ANALYZE ref;

CREATE FUNCTION explained(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    RETURN NEXT line;
  END LOOP;
END $$;
-- Runs q on t and on ref ("%I" is the table) and says whether they return the same rows in the
-- same order.
CREATE FUNCTION same(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(x::text, E''\n''), '''') FROM (' || q || ') x', 't') INTO a;
  EXECUTE format('SELECT coalesce(string_agg(x::text, E''\n''), '''') FROM (' || q || ') x', 'ref') INTO b;
  IF a IS DISTINCT FROM b THEN
    RAISE NOTICE 'differs: %', q;
  END IF;
  RETURN a IS NOT DISTINCT FROM b;
END $$;

-- lastpoint: per chunk, 5 segments of 4 batches read from the companion, one batch decoded per
-- segment.
SELECT explained('SELECT DISTINCT ON (host) * FROM t ORDER BY host, time DESC');
SELECT DISTINCT ON (host) * FROM t ORDER BY host, time DESC;
-- Rows the quals reject do not end their segment (a vectorized filter, and one PostgreSQL
-- evaluates on the formed rows).
SELECT explained('SELECT DISTINCT ON (host) host, time, val FROM t WHERE val > 95 AND note <> ''n3'' AND val::text LIKE ''%7'' ORDER BY host, time DESC');
-- Ordered by segment then time without DISTINCT: the batches of each segment merged, no Sort.
SELECT explained('SELECT host, time FROM t ORDER BY host DESC, time LIMIT 3');

SELECT q, same(q) FROM (VALUES
  ('SELECT DISTINCT ON (host) * FROM %I ORDER BY host, time DESC'),
  ('SELECT DISTINCT ON (host) * FROM %I ORDER BY host DESC NULLS LAST, time DESC'),
  ('SELECT DISTINCT ON (host) host, time, val FROM %I ORDER BY host, time'),
  ('SELECT DISTINCT ON (host) host, time, val FROM %I WHERE val > 95 AND note <> ''n3'' AND val::text LIKE ''%%7'' ORDER BY host, time DESC'),
  ('SELECT DISTINCT ON (host) host, time, val FROM %I WHERE time < ''2024-01-01 12:00'' ORDER BY host, time DESC'),
  ('SELECT DISTINCT ON (host) host, time, val FROM %I WHERE host IN (''b'', ''c'') ORDER BY host, time DESC'),
  ('SELECT host, time, val FROM %I ORDER BY host, time DESC LIMIT 5000'),
  ('SELECT host, time, val FROM %I ORDER BY host DESC, time LIMIT 5000'),
  ('SELECT host, time FROM %I ORDER BY host NULLS FIRST, time DESC LIMIT 100')
) x(q);

-- Ordered by the orderby column then the segmentby column (high-cpu-all's ORDER BY time, host):
-- the merge breaks the ties of time (every host has a row at the same instants) by the host, no
-- Sort above the scans.
SELECT explained('SELECT * FROM t WHERE val > 90 ORDER BY time, host');
SELECT explained('SELECT time, host, val FROM t ORDER BY time DESC, host DESC LIMIT 7');
SELECT time, host, val FROM t ORDER BY time DESC, host DESC LIMIT 7;
SELECT q, same(q) FROM (VALUES
  ('SELECT * FROM %I WHERE val > 90 ORDER BY time, host'),
  ('SELECT time, host, val FROM %I ORDER BY time, host NULLS FIRST'),
  ('SELECT time, host, val FROM %I ORDER BY time DESC, host DESC LIMIT 3000'),
  ('SELECT time, host, val FROM %I ORDER BY time DESC, host LIMIT 3000'),
  ('SELECT time, host, val FROM %I WHERE host IN (''a'', ''d'') OR host IS NULL ORDER BY time, host DESC NULLS LAST'),
  ('SELECT time, host, val FROM %I WHERE time >= ''2024-01-01 20:00'' AND val < 20 ORDER BY time, host')
) x(q);

-- GROUP BY time_bucket ... ORDER BY it DESC LIMIT: chunks read newest first through their ordered
-- scans (as the rowstore reads its time indexes), only the newest batches of each segment decoded.
SELECT explained('SELECT time_bucket(''1 hour'', time) AS b, max(val) FROM t GROUP BY b ORDER BY b DESC LIMIT 3');
SELECT q, same(q) FROM (VALUES
  ('SELECT time_bucket(''1 hour'', time) AS b, max(val), count(*) FROM %I GROUP BY b ORDER BY b DESC LIMIT 3'),
  ('SELECT time_bucket(''1 hour'', time) AS b, max(val), count(*) FROM %I GROUP BY b ORDER BY b LIMIT 3')
) x(q);

-- A partial chunk: its row part holds the newest row of host b (a MergeAppend of the
-- ColumnarScan and the row part under the Unique).
INSERT INTO t VALUES ('2024-01-02 23:59:59', 'b', 1000, 'late'), ('2024-01-01 00:00:01', NULL, 1001, 'early');
INSERT INTO ref VALUES ('2024-01-02 23:59:59', 'b', 1000, 'late'), ('2024-01-01 00:00:01', NULL, 1001, 'early');
SELECT q, same(q) FROM (VALUES
  ('SELECT DISTINCT ON (host) * FROM %I ORDER BY host, time DESC'),
  ('SELECT DISTINCT ON (host) host, time, val FROM %I ORDER BY host, time'),
  ('SELECT host, time, val FROM %I ORDER BY host, time DESC LIMIT 5000'),
  ('SELECT time, host, val FROM %I ORDER BY time, host'),
  ('SELECT time, host, val FROM %I ORDER BY time DESC, host DESC LIMIT 10')
) x(q);
SELECT DISTINCT ON (host) host, time, val, note FROM t ORDER BY host, time DESC;

-- With the skip scan off, the same rows (every batch decoded).
SET strata.enable_skipscan = off;
SELECT same('SELECT DISTINCT ON (host) * FROM %I ORDER BY host, time DESC');
RESET strata.enable_skipscan;
DROP SCHEMA cs_order CASCADE;
