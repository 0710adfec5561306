-- strata.compression_encode_thread: compress_chunk encodes each batch on a worker thread while
-- the backend reads the next batch's rows, and writes batch N after handing batch N+1 to the
-- worker. The companion rows are the same, byte for byte, as when the backend encodes every
-- batch itself; decompression gives back the rows; recompression goes the same way.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_thread;
SET search_path = cs_thread, public;
SHOW strata.compression_encode_thread;

CREATE TABLE m (time timestamptz NOT NULL, host text, usage float8, code int, note text);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC', timescaledb.compress_index = 'bloom(note)');
-- three segments of 12,000 rows (12 batches each) and one NULL segment with a short batch
INSERT INTO m SELECT timestamptz '2026-01-01' + (g / 4) * interval '10 seconds',
                     CASE WHEN g % 4 = 3 AND g > 47000 THEN NULL ELSE 'h' || (g % 4) END,
                     CASE WHEN g % 97 = 0 THEN NULL ELSE 50 + ((g * 7919) % 641) / 16.0 END,
                     CASE WHEN (g / 4000) % 3 = 1 THEN 7 ELSE (g * 31) % 200 END,
                     'n' || ((g * 17) % 23)
  FROM generate_series(1, 48000) g;
CREATE TABLE m_expected AS SELECT * FROM m;
SELECT show_chunks('m') AS mchunk \gset

-- encoded by the backend
SET strata.compression_encode_thread = off;
SELECT compress_chunk(:'mchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS mcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'mchunk'::regclass \gset
CREATE TABLE m_backend AS SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1, _strata_bloom_1,
                                 md5(time::text) AS t, md5(usage::text) AS u, md5(code::text) AS c, md5(note::text) AS n,
                                 md5(_strata_dict::text) AS d
                            FROM :mcomp;
-- (note's 23 values repeat in every batch of a host: a shared dictionary per host, in a
-- dictionary row)
SELECT count(*) FILTER (WHERE _strata_count > 0) AS batches, count(*) FILTER (WHERE _strata_count = 0) AS dictionaries,
       sum(_strata_count) AS rows FROM m_backend;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;
SELECT decompress_chunk(:'mchunk') IS NOT NULL AS decompressed;

-- encoded on the worker thread: the same companion rows
RESET strata.compression_encode_thread;
SELECT compress_chunk(:'mchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS mcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'mchunk'::regclass \gset
SELECT count(*) AS companion_rows,
       count(*) FILTER (WHERE b.host IS NOT DISTINCT FROM c.host AND b._strata_count = c._strata_count
                          AND b._strata_min_1 IS NOT DISTINCT FROM c._strata_min_1
                          AND b._strata_max_1 IS NOT DISTINCT FROM c._strata_max_1
                          AND b._strata_bloom_1 IS NOT DISTINCT FROM c._strata_bloom_1
                          AND b.t IS NOT DISTINCT FROM md5(c.time::text) AND b.u IS NOT DISTINCT FROM md5(c.usage::text)
                          AND b.c IS NOT DISTINCT FROM md5(c.code::text) AND b.n IS NOT DISTINCT FROM md5(c.note::text)
                          AND b.d IS NOT DISTINCT FROM md5(c._strata_dict::text)) AS same
  FROM m_backend b FULL JOIN :mcomp c ON b.host IS NOT DISTINCT FROM c.host AND b._strata_seq = c._strata_seq;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;
SELECT host, count(*), min(time), max(time), sum(usage), sum(code) FROM m GROUP BY host ORDER BY host;

-- recompression of a partial chunk on the worker thread
INSERT INTO m VALUES ('2026-01-01 00:00:05', 'h1', 1.5, 3, 'new'), ('2026-01-02 12:00:00', 'h9', NULL, 4, 'new');
INSERT INTO m_expected VALUES ('2026-01-01 00:00:05', 'h1', 1.5, 3, 'new'), ('2026-01-02 12:00:00', 'h9', NULL, 4, 'new');
SELECT compress_chunk(:'mchunk') IS NOT NULL AS recompressed;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;
SELECT host, count(*) FILTER (WHERE _strata_count > 0) AS batches, sum(_strata_count) AS rows FROM :mcomp
  GROUP BY host ORDER BY host;
SELECT decompress_chunk(:'mchunk') IS NOT NULL AS decompressed;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;

-- a cancelled compression leaves the chunk as it was, and the next one succeeds. Each of the 48
-- batches waits 0.5 s before it is encoded (a test-only setting), so the 1 s timeout lands while
-- batches are being encoded, whatever the machine's speed, and a compression that did not stop
-- there would take at least 24 s.
CREATE TEMP TABLE cancel_target AS SELECT :'mchunk'::regclass AS c;
SET strata.compression_test_encode_delay = 500;
SET statement_timeout = '1s';
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM compress_chunk(c) FROM cancel_target;
  RAISE NOTICE 'compressed: not cancelled';
EXCEPTION WHEN query_canceled THEN
  RAISE NOTICE 'cancelled within 12 s: %', clock_timestamp() - t0 < interval '12 seconds';
END $$;
RESET statement_timeout;
RESET strata.compression_test_encode_delay;
SELECT _strata_internal.chunk_status(:'mchunk') AS status_after_cancel;
SELECT count(*) AS rows FROM m;
SELECT compress_chunk(:'mchunk') IS NOT NULL AS compressed;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;

DROP SCHEMA cs_thread CASCADE;
