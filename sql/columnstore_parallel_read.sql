-- strata.compression_parallel_read: when a chunk's rows are copied into memory, a parallel worker
-- copies the upper half of its pages while compress_chunk copies the lower half, and the worker's
-- rows are taken after the backend's in page order. The batches are then the serial read's,
-- byte for byte, with rows the snapshot must not see on both halves (an aborted insert, deleted
-- and updated rows, an aborted delete) and rows inserted and deleted by the compressing
-- transaction itself; decompression gives the rows back.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_par;
SET search_path = cs_par, public;
SHOW strata.compression_parallel_read;  -- (off by default)
SET strata.compression_parallel_read = on;
SET strata.compression_parallel_read_min_pages = 0;  -- (the default leaves chunks under 16 MB alone)
SET max_parallel_maintenance_workers = 2;

CREATE TABLE p (time timestamptz NOT NULL, host text, k int, note text, v float8);
SELECT count(*) FROM create_hypertable('p', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE p SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC, k');
-- (the chunk made first and kept from autovacuum, so that its pages are the same in every run;
-- half-filled pages keep the updated rows on their pages whether or not the update could prune
-- the deleted ones, which depends on the transactions of tests running beside this one)
INSERT INTO p VALUES ('2026-01-01 00:00:00+00', 'h0', 0, NULL, 0);
SELECT show_chunks('p') AS chunk \gset
ALTER TABLE :chunk SET (autovacuum_enabled = off, fillfactor = 50);
INSERT INTO p SELECT timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute', 'h' || (g % 7), g % 13,
                     CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('n', g % 40) END, g / 8.0
  FROM generate_series(1, 20000) g;
-- an aborted insert (at the end: the worker's pages), committed deletes and updates on both
-- halves, an aborted delete of rows on both halves
BEGIN;
INSERT INTO p SELECT time + interval '1 second', host, k, note, v FROM p WHERE k = 1;
ROLLBACK;
DELETE FROM p WHERE k = 2 AND v::int % 3 = 0;
UPDATE p SET note = 'updated', v = -v WHERE k = 4 AND v::int % 2 = 0;
BEGIN;
DELETE FROM p WHERE k = 5;
ROLLBACK;
SELECT pg_relation_size(:'chunk') / 8192 AS pages;

CREATE FUNCTION companion_md5(chunk regclass) RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT md5(string_agg(c::text, %L ORDER BY c.host, c._strata_seq)) FROM %I.%I c', '|',
                c.schema_name, c.table_name)
    FROM _strata_catalog.compressed_chunk c JOIN _strata_catalog.chunk k ON k.id = c.chunk_id
   WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = chunk
$$;

BEGIN;
-- the compressing transaction's own rows: one inserted (the worker's pages), rows of both halves
-- deleted, an inserted row deleted again
INSERT INTO p VALUES ('2026-01-05 00:00:30+00', 'h1', 99, 'own', 1.5), ('2026-01-05 00:00:40+00', 'h2', 98, 'own', 2.5);
DELETE FROM p WHERE k = 6 AND v::int % 4 = 0;
DELETE FROM p WHERE k = 98;
CREATE TEMP TABLE expected AS SELECT * FROM p;
SAVEPOINT s;
SET LOCAL strata.compression_parallel_read = off;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) AS serial_md5 \gset
ROLLBACK TO SAVEPOINT s;
-- (strata.compression_progress reports the worker's pages)
SET LOCAL strata.compression_progress = on;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SET LOCAL strata.compression_progress = off;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) = :'serial_md5' AS same_batches;
SELECT count(*) AS differences
  FROM ((TABLE p EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE p)) d;
COMMIT;
SELECT count(*) AS rows, count(*) FILTER (WHERE note = 'own') AS own, count(*) FILTER (WHERE note = 'updated') AS updated
  FROM p;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
SELECT count(*) AS differences
  FROM ((TABLE p EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE p)) d;

-- A chunk under the setting's minimum is read by the backend alone (no report of a worker's
-- pages); so is one when no parallel worker may be used. The same batches again.
SET strata.compression_progress = on;
RESET strata.compression_parallel_read_min_pages;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
SET strata.compression_parallel_read_min_pages = 0;
SET max_parallel_maintenance_workers = 0;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
RESET strata.compression_progress;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) = :'serial_md5' AS same_batches;
RESET max_parallel_maintenance_workers;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;

-- The shared memory for the worker's rows cannot be created (/dev/shm full, which the test
-- setting pretends): its error is rolled back, the backend reads every page, the same batches;
-- the transaction goes on, and its next compression has its worker again.
BEGIN;
SET LOCAL strata.compression_parallel_read_fail_memory = on;
SET LOCAL strata.compression_progress = on;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) = :'serial_md5' AS same_batches;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
SET LOCAL strata.compression_parallel_read_fail_memory = off;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) = :'serial_md5' AS same_batches;
-- no parallel worker free: the shared memory is let go, the backend reads every page
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
SET LOCAL max_parallel_workers = 0;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT companion_md5(:'chunk') AS q \gset
SELECT (:q) = :'serial_md5' AS same_batches;
COMMIT;

-- Two chunks in one statement: the second compression takes the shared memory the first one
-- kept; the batches are the serial read's.
CREATE TABLE q (LIKE p);
SELECT count(*) FROM create_hypertable('q', by_range('time', interval '10 days'), create_default_indexes => false);
ALTER TABLE q SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC, k');
INSERT INTO q SELECT * FROM p WHERE time < '2026-01-11 00:00:00+00';
INSERT INTO q SELECT time + interval '10 days', host, k, note, v FROM p WHERE time < '2026-01-11 00:00:00+00';
CREATE FUNCTION all_md5(ht regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE c regclass; q text; m text; r text := '';
BEGIN
  FOR c IN SELECT show_chunks(ht) ORDER BY 1 LOOP
    q := companion_md5(c);
    EXECUTE q INTO m;
    r := r || m;
  END LOOP;
  RETURN md5(r);
END $$;
SET strata.compression_progress = on;
SET client_min_messages = notice;
SELECT count(compress_chunk(c)) FROM show_chunks('q') c;
RESET strata.compression_progress;
SELECT all_md5('q') AS parallel_md5 \gset
SELECT count(decompress_chunk(c)) FROM show_chunks('q') c;
SET strata.compression_parallel_read = off;
SELECT count(compress_chunk(c)) FROM show_chunks('q') c;
SET strata.compression_parallel_read = on;
SELECT all_md5('q') = :'parallel_md5' AS same_batches;

-- Statistics that undercount the rows (ANALYZE at 1,000 rows): the memory runs out while the
-- worker's rows are taken, and every row goes to the tuplesort; the same rows and batches.
CREATE TABLE sp (LIKE p);
SELECT count(*) FROM create_hypertable('sp', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE sp SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                    timescaledb.compress_orderby = 'time DESC, k');
INSERT INTO sp SELECT timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute', 'h' || (g % 7), g % 13, NULL, g
  FROM generate_series(1, 1000) g;
SELECT show_chunks('sp') AS spchunk \gset
ALTER TABLE :spchunk SET (autovacuum_enabled = off);
ANALYZE sp;
INSERT INTO sp SELECT timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute', 'h' || (g % 7), g % 13, NULL, g
  FROM generate_series(1001, 40000) g;
CREATE TEMP TABLE sp_expected AS SELECT * FROM sp;
SET maintenance_work_mem = '3MB';
SET strata.compression_progress = on;
SELECT count(compress_chunk(c)) FROM show_chunks('sp') c;
RESET strata.compression_progress;
SELECT all_md5('sp') AS parallel_md5 \gset
SELECT count(*) AS differences
  FROM ((TABLE sp EXCEPT ALL TABLE sp_expected) UNION ALL (TABLE sp_expected EXCEPT ALL TABLE sp)) d;
SELECT count(decompress_chunk(c)) FROM show_chunks('sp') c;
SET strata.compression_parallel_read = off;
SELECT count(compress_chunk(c)) FROM show_chunks('sp') c;
SET strata.compression_parallel_read = on;
RESET maintenance_work_mem;
SELECT all_md5('sp') = :'parallel_md5' AS same_batches;

DROP SCHEMA cs_par CASCADE;
