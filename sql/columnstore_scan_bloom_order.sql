-- An ordered ColumnarScan checks a batch's bloom filters when its merge reaches the batch, not
-- while it reads every batch's metadata: an ordered LIMIT that stops in the newest batch
-- deserializes no other filter, and the batches it never reaches are not counted as skipped.
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
