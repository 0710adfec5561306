-- hypertable_approximate_size and hypertable_approximate_detailed_size: page counts from pg_class,
-- summed like the exact sizes, without opening or locking any chunk.
CREATE TABLE s (time timestamptz NOT NULL, device int, note text);
SELECT create_hypertable('s', 'time', chunk_time_interval => interval '1 day');
CREATE INDEX s_device ON s (device, time);
INSERT INTO s SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g % 50, repeat('x', CASE WHEN g % 500 = 0 THEN 5000 ELSE 20 END)
  FROM generate_series(0, 40 * 1440 - 1) g;
SELECT count(*) AS chunks FROM show_chunks('s');
-- Before any VACUUM/ANALYZE the page counts are not known yet.
SELECT * FROM hypertable_approximate_detailed_size('s');
VACUUM ANALYZE s;
-- After VACUUM: the main forks of the heaps, their indexes and TOAST tables exactly.
WITH a AS (SELECT * FROM hypertable_approximate_detailed_size('s')),
     e AS (SELECT sum(pg_relation_size(c)) AS heap, sum(pg_indexes_size(c)) AS idx,
                  sum(pg_total_relation_size(NULLIF((SELECT reltoastrelid FROM pg_class WHERE oid = c), 0))) AS toast
             FROM (SELECT 's'::regclass AS c UNION ALL SELECT show_chunks('s')) r)
SELECT a.table_bytes = e.heap AS heap_exact, a.index_bytes = e.idx AS indexes_exact,
       a.toast_bytes = e.toast AS toast_exact, a.total_bytes = a.table_bytes + a.index_bytes + a.toast_bytes AS total_adds_up,
       a.total_bytes <= (SELECT total_bytes FROM hypertable_detailed_size('s')) AS at_most_exact
  FROM a, e;
SELECT hypertable_approximate_size('s') = (SELECT total_bytes FROM hypertable_approximate_detailed_size('s')) AS same_total;
-- No lock on any chunk.
BEGIN;
SELECT hypertable_approximate_size('s') > 0 AS approximate;
SELECT count(*) AS chunk_locks FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND c.relname LIKE '\_hyper\_%';
COMMIT;
-- Compressed chunks count their companion tables.
ALTER TABLE s SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
SELECT count(compress_chunk(c)) FROM show_chunks('s') c;
VACUUM ANALYZE s;
SELECT a.total_bytes > 0 AND a.total_bytes <= e.total_bytes AS counted_compressed
  FROM hypertable_approximate_detailed_size('s') a, hypertable_detailed_size('s') e;
-- Not a hypertable: no row, or NULL.
CREATE TABLE plain (x int);
SELECT * FROM hypertable_approximate_detailed_size('plain');
SELECT hypertable_approximate_size('plain');
SELECT hypertable_approximate_size(NULL);
