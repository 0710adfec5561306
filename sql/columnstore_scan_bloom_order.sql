-- An ordered ColumnarScan checks a batch's bloom filters, and its min/max of types passed by
-- reference (text), when its merge reaches the batch, not while it reads every batch's metadata:
-- an ordered LIMIT that stops in the newest batch deserializes no other filter and compares no
-- other text bound, and the batches it never reaches are not counted as skipped. By-value bounds
-- (a time range, an integer) still keep batches out of the merge when it is set up.
-- Five batches of one segment; the device 'x' is in the newest and the oldest only.
SET timezone = 'UTC';
CREATE TABLE bo (time timestamptz NOT NULL, seg int, dev text, v int);
SELECT create_hypertable('bo', 'time', chunk_time_interval => interval '30 days',
                         create_default_indexes => false) IS NOT NULL AS created;
INSERT INTO bo
SELECT '2026-01-01'::timestamptz + n * interval '60 s', 1,
       CASE WHEN n % 1000 = 7 AND n / 1000 IN (0, 4) THEN 'x' ELSE 'd' || (n / 1000) || '_' || (n % 50) END, n
  FROM generate_series(0, 4999) n;
ALTER TABLE bo SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                    timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'bloom(dev)');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('bo') c;
ANALYZE bo;
-- The LIMIT stops in the newest batch: one batch decoded, none skipped (before: the three in
-- between were checked and counted as skipped while the merge was set up).
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM bo WHERE dev = 'x' ORDER BY time DESC LIMIT 1;
SELECT time, v FROM bo WHERE dev = 'x' ORDER BY time DESC LIMIT 1;
-- Read to the end, the merge reaches every batch: the three without 'x' are skipped by their
-- bloom filters, two decoded.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM bo WHERE dev = 'x' ORDER BY time DESC LIMIT 10;
SELECT time, v FROM bo WHERE dev = 'x' ORDER BY time DESC LIMIT 10;
DROP TABLE bo;

-- Text min/max: ten batches of one segment, each of one name (n0 oldest to n9 newest), and v
-- increasing with time. The LIMIT finds n6 in the fourth batch it reaches: the three newer ones
-- are skipped when reached, the six older never looked at (before: nine skipped at the set-up).
CREATE TABLE mo (time timestamptz NOT NULL, seg int, name text, v int);
SELECT create_hypertable('mo', 'time', chunk_time_interval => interval '30 days',
                         create_default_indexes => false) IS NOT NULL AS created;
INSERT INTO mo SELECT '2026-01-08'::timestamptz + n * interval '60 s', 1, 'n' || (n / 1000), n
  FROM generate_series(0, 9999) n;
CREATE TABLE mo_plain AS SELECT * FROM mo;
ALTER TABLE mo SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                    timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(name), minmax(v)');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('mo') c;
ANALYZE mo;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM mo WHERE name = 'n6' ORDER BY time DESC LIMIT 2;
SELECT time, v FROM mo WHERE name = 'n6' ORDER BY time DESC LIMIT 2;
-- Without a LIMIT the planner passes to the scan (here behind an OFFSET 0 fence) the merge is
-- expected to reach most batches: the text bounds are checked at the set-up again (a batch they
-- exclude stays out of the merge), nine skipped there though two rows are read.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM (SELECT time, v FROM mo WHERE name = 'n6' ORDER BY time DESC OFFSET 0) x LIMIT 2;
-- A by-value bound (v) still excludes batches at the set-up: eight skipped, whatever the LIMIT.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM mo WHERE v BETWEEN 2500 AND 3500 ORDER BY time DESC LIMIT 2;
-- Read to the end, both ways, with text bounds that exclude most batches: the same rows as the
-- plain table.
SELECT count(*) AS differ FROM (
  ((SELECT time, v FROM mo WHERE name IN ('n2', 'n7') ORDER BY time LIMIT 1500)
   EXCEPT ALL (SELECT time, v FROM mo_plain WHERE name IN ('n2', 'n7') ORDER BY time LIMIT 1500))
  UNION ALL
  ((SELECT time, v FROM mo WHERE name > 'n7' ORDER BY time DESC)
   EXCEPT ALL (SELECT time, v FROM mo_plain WHERE name > 'n7'))) d;
SELECT count(*), min(v), max(v) FROM (SELECT v FROM mo WHERE name < 'n3' AND name >= 'n1' ORDER BY time DESC) x;
-- and in the same order (the times as returned, not sorted again)
SELECT (SELECT md5(string_agg(time::text, '|')) FROM (SELECT time FROM mo WHERE name IN ('n2', 'n7') ORDER BY time LIMIT 1500) x)
     = (SELECT md5(string_agg(time::text, '|')) FROM (SELECT time FROM mo_plain WHERE name IN ('n2', 'n7') ORDER BY time LIMIT 1500) x)
       AS same_order_asc,
       (SELECT md5(string_agg(time::text, '|')) FROM (SELECT time FROM mo WHERE name > 'n7' ORDER BY time DESC) x)
     = (SELECT md5(string_agg(time::text, '|')) FROM (SELECT time FROM mo_plain WHERE name > 'n7' ORDER BY time DESC) x)
       AS same_order_desc;
DROP TABLE mo;
DROP TABLE mo_plain;
