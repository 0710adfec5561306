-- strata.compression_progress: compress_chunk reports the sort and each tenth of the rows encoded
-- as NOTICEs (off by default: no NOTICE), for compression and for segment-wise recompression.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_pr;
SET search_path = cs_pr, public;

CREATE TABLE m (time timestamptz NOT NULL, host text, v int);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '10 days'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
INSERT INTO m SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 4), g
  FROM generate_series(1, 2500) g;
SELECT show_chunks('m') AS chunk \gset

-- Off (the default): no NOTICE.
SHOW strata.compression_progress;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;

-- On: the sort, then 10% ... 100%.
SET strata.compression_progress = on;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT count(*), sum(v) FROM m;

-- Recompression reports the rows it merges: the new ones and those of the batches it rewrites.
INSERT INTO m VALUES ('2026-01-02', 'h1', -1), ('2026-01-02 00:01', 'h1', -2), ('2026-01-02 00:02', 'h1', -3);
SELECT compress_chunk(:'chunk') IS NOT NULL AS recompressed;

-- Fewer rows than tenths: each NOTICE reports the last tenth reached.
CREATE TABLE s (time timestamptz NOT NULL, v int);
SELECT count(*) FROM create_hypertable('s', by_range('time', interval '10 days'));
ALTER TABLE s SET (timescaledb.compress, timescaledb.compress_orderby = 'time');
INSERT INTO s VALUES ('2026-01-01', 1), ('2026-01-02', 2), ('2026-01-03', 3);
SELECT count(compress_chunk(c)) FROM show_chunks('s') c;
SELECT count(*), sum(v) FROM s;

-- A btree index on (segmentby, orderby) in the compression's order: the rows are read through it
-- (no sort), and the batches are the ones the sort gives (same rows, values, seq and metadata).
CREATE TABLE x (time timestamptz NOT NULL, host text, v float8, note text);
SELECT count(*) FROM create_hypertable('x', by_range('time', interval '10 days'), create_default_indexes => false);
ALTER TABLE x SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
INSERT INTO x SELECT timestamptz '2026-01-01' + g * interval '1 minute',
                     CASE WHEN g % 5 = 0 THEN NULL ELSE 'h' || (g % 5) END, g / 8.0,
                     CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || (g % 7) END
  FROM generate_series(1, 8000) g;
CREATE TABLE x_expected AS SELECT * FROM x;
SELECT show_chunks('x') AS xchunk \gset
ANALYZE x;
-- The sort (no index yet).
SET strata.compression_progress = off;
SELECT compress_chunk(:'xchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS xcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'xchunk'::regclass \gset
CREATE TABLE sorted AS SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1,
                              md5(v::text) AS v, md5(note::text) AS note, md5(time::text) AS t FROM :xcomp;
SELECT decompress_chunk(:'xchunk') IS NOT NULL AS decompressed;
-- An index in another order (time ascending) is not used: still the sort.
CREATE INDEX x_host_time_asc ON x (host, time);
ANALYZE x;
SET strata.compression_progress = on;
SELECT compress_chunk(:'xchunk') IS NOT NULL AS compressed;
SELECT decompress_chunk(:'xchunk') IS NOT NULL AS decompressed;
DROP INDEX x_host_time_asc;
CREATE INDEX x_host_time ON x (host, time DESC);
ANALYZE x;
-- (with the pages kept pinned: copied rows are sorted in memory rather than read in index order)
SET strata.compression_copy_rows = off;
SELECT compress_chunk(:'xchunk') IS NOT NULL AS compressed;
RESET strata.compression_copy_rows;
SELECT format('%I.%I', c.schema_name, c.table_name) AS xcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'xchunk'::regclass \gset
SELECT count(*) AS batches,
       count(*) FILTER (WHERE s.host IS NOT DISTINCT FROM c.host AND s._strata_count = c._strata_count
                          AND s._strata_min_1 = c._strata_min_1 AND s._strata_max_1 = c._strata_max_1
                          AND s.v = md5(c.v::text) AND s.note = md5(c.note::text) AND s.t = md5(c.time::text)) AS same
  FROM sorted s FULL JOIN :xcomp c ON s.host IS NOT DISTINCT FROM c.host AND s._strata_seq = c._strata_seq;
SELECT count(*) AS differences
  FROM ((TABLE x EXCEPT ALL TABLE x_expected) UNION ALL (TABLE x_expected EXCEPT ALL TABLE x)) d;
-- strata.compression_index_scan = off: the sort again.
SELECT decompress_chunk(:'xchunk') IS NOT NULL AS decompressed;
SET strata.compression_index_scan = off;
SELECT compress_chunk(:'xchunk') IS NOT NULL AS compressed;
RESET strata.compression_index_scan;
SET strata.compression_progress = off;
SELECT count(*) AS differences
  FROM ((TABLE x EXCEPT ALL TABLE x_expected) UNION ALL (TABLE x_expected EXCEPT ALL TABLE x)) d;

RESET strata.compression_progress;
DROP SCHEMA cs_pr CASCADE;
