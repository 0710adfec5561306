-- Segment-wise recompression (issue 17): compress_chunk on a partial chunk merges the rows of its
-- row part into the batches of the segments they belong to, rewriting only those segments'
-- batches; the batches of every other segment stay the same rows (same ctid and xmin). Falls
-- back to recompressing the whole chunk when the settings or the columns changed since.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_rc;
SET search_path = cs_rc, public;

CREATE TABLE m (time timestamptz NOT NULL, host text, v int, note text);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '10 days'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
-- 4 hosts; h0 has 2,500 rows (3 batches), the others 600 (1 batch each); one chunk.
INSERT INTO m SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h0', g, 'n' || (g % 7)
  FROM generate_series(1, 2500) g;
INSERT INTO m SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (1 + g % 3), g, NULL
  FROM generate_series(1, 1800) g;
SELECT show_chunks('m') AS chunk \gset
CREATE TABLE expected AS SELECT * FROM m;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;

-- The companion and its rows as they are now.
SELECT format('%I.%I', schema_name, table_name) AS companion FROM _strata_catalog.compressed_chunk \gset
SELECT :'companion'::regclass::oid AS companion_oid \gset
CREATE TABLE before AS SELECT host, _strata_seq, _strata_count, ctid AS tid, xmin::text AS xid FROM :companion;
SELECT host, count(*) AS batches, sum(_strata_count) AS rows FROM before GROUP BY host ORDER BY host;

-- New rows for h1 (inside its time range and after it) and for a new segment h9.
INSERT INTO m VALUES ('2026-01-01 00:30:30', 'h1', -1, 'late'), ('2026-01-02 12:00', 'h1', -2, NULL),
                     ('2026-01-02', 'h9', -3, 'new host');
INSERT INTO expected VALUES ('2026-01-01 00:30:30', 'h1', -1, 'late'), ('2026-01-02 12:00', 'h1', -2, NULL),
                            ('2026-01-02', 'h9', -3, 'new host');
SELECT _strata_internal.chunk_status(:'chunk') AS status;
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
SELECT _strata_internal.chunk_status(:'chunk') AS status;

-- Same companion table; h0, h2, h3 batches untouched; h1 rewritten (one batch, 602 rows), h9 new.
SELECT :'companion'::regclass::oid = :companion_oid AS same_companion;
SELECT c.host, count(*) AS batches, sum(c._strata_count) AS rows,
       bool_and(b.tid IS NOT NULL) AS untouched
  FROM :companion c LEFT JOIN before b ON b.tid = c.ctid AND b.xid = c.xmin::text
 GROUP BY c.host ORDER BY c.host;
-- The new batch of h1 is in orderby order (time DESC): its min/max cover the merged rows.
SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1 FROM :companion
 WHERE host IN ('h1', 'h9') ORDER BY host, _strata_seq;
-- Same rows as a plain table, compressed and after decompression.
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;
SELECT time, v FROM m WHERE host = 'h1' ORDER BY time DESC LIMIT 3;
SELECT uncompressed_rows, compressed_rows FROM _strata_catalog.compressed_chunk;

-- Rows for every segment: every batch rewritten.
INSERT INTO m SELECT '2026-01-05', 'h' || g, 100 + g, NULL FROM generate_series(0, 3) g;
INSERT INTO expected SELECT '2026-01-05', 'h' || g, 100 + g, NULL FROM generate_series(0, 3) g;
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
SELECT count(*) FILTER (WHERE b.tid IS NOT NULL) AS untouched_batches, count(*) AS batches
  FROM :companion c LEFT JOIN before b ON b.tid = c.ctid AND b.xid = c.xmin::text;
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;

-- Changed settings: the whole chunk is recompressed with the new ones (a new companion).
ALTER TABLE m SET (timescaledb.compress_orderby = 'time');
INSERT INTO m VALUES ('2026-01-03', 'h2', -4, NULL);
INSERT INTO expected VALUES ('2026-01-03', 'h2', -4, NULL);
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
SELECT orderby_desc FROM _strata_catalog.compressed_chunk;
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;

-- A column added since compression: the whole chunk is recompressed, the new column included.
SELECT format('%I.%I', schema_name, table_name) AS companion FROM _strata_catalog.compressed_chunk \gset
SELECT :'companion'::regclass::oid AS companion_oid \gset
ALTER TABLE m ADD COLUMN extra int DEFAULT 7;
ALTER TABLE expected ADD COLUMN extra int DEFAULT 7;
INSERT INTO m VALUES ('2026-01-03', 'h3', -5, NULL, 8);
INSERT INTO expected VALUES ('2026-01-03', 'h3', -5, NULL, 8);
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
SELECT :'companion'::regclass::oid <> :companion_oid AS new_companion;
SELECT count(*) FILTER (WHERE attname = 'extra') AS extra_column
  FROM _strata_catalog.compressed_chunk cc
  JOIN pg_attribute a ON a.attrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass AND a.attnum > 0;
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;

-- Recompression in a transaction that is rolled back leaves the chunk partial and every row there.
SELECT format('%I.%I', schema_name, table_name) AS companion FROM _strata_catalog.compressed_chunk \gset
INSERT INTO m VALUES ('2026-01-04', 'h0', -6, NULL, 1);
INSERT INTO expected VALUES ('2026-01-04', 'h0', -6, NULL, 1);
BEGIN;
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
ROLLBACK;
SELECT _strata_internal.chunk_status(:'chunk') AS status;
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
SELECT count(*) AS differences FROM ((TABLE m EXCEPT ALL TABLE expected) UNION ALL (TABLE expected EXCEPT ALL TABLE m)) d;

DROP SCHEMA cs_rc CASCADE;
