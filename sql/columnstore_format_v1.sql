-- Chunks compressed in companion format version 1 (before shared dictionaries: no _strata_dict
-- column, no dictionary rows), as strata.compression_format_version = 1 writes them: they are
-- read, take direct COPY into their batches and segment-wise recompression (batch-local
-- dictionaries on both paths, which version 1 has), and stay version 1; a recompression that has
-- to rewrite the whole chunk (settings changed) writes the current version.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set format_v1 :tmpdir '/format_v1.csv'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_v1;
SET search_path = cs_v1, public;
SET max_parallel_workers_per_gather = 0;

SHOW strata.compression_format_version;
SET strata.compression_format_version = 3;
SET strata.compression_format_version = 0;

CREATE TABLE t (ts timestamptz NOT NULL, host text NOT NULL, v int, note text);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '10 days'));
INSERT INTO t SELECT '2026-01-01 00:00+00'::timestamptz + g * interval '1 minute', 'h' || (g % 4), g,
                     'note ' || (g % 7) FROM generate_series(0, 7999) g;
CREATE TABLE ref AS SELECT * FROM t;
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'ts');
SET strata.compression_format_version = 1;
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
RESET strata.compression_format_version;

SELECT format('%I.%I', cc.schema_name, cc.table_name) AS comp, cc.chunk_id
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
 WHERE ch.table_name = (SELECT relname FROM pg_class WHERE oid = (SELECT c FROM show_chunks('t') c LIMIT 1)) \gset
SELECT (SELECT c FROM show_chunks('t') c LIMIT 1) AS chunk \gset
SELECT format_version FROM _strata_catalog.compressed_chunk WHERE chunk_id = :chunk_id;
SELECT count(*) AS dict_columns FROM pg_attribute WHERE attrelid = :'comp'::regclass AND attname = '_strata_dict';
SELECT :'comp'::regclass::oid AS comp_oid \gset

CREATE FUNCTION same() RETURNS boolean LANGUAGE sql AS $$
  SELECT NOT EXISTS ((SELECT * FROM t EXCEPT ALL SELECT * FROM ref) UNION ALL (SELECT * FROM ref EXCEPT ALL SELECT * FROM t))
$$;
SELECT same();
SELECT host, count(*), sum(v) FROM t WHERE ts < '2026-01-03' GROUP BY host ORDER BY host;

-- Direct COPY into the version 1 chunk: the rows are written as batches (the row part stays empty).
COPY (SELECT '2026-01-05 00:00+00'::timestamptz + g * interval '1 second', 'h' || (g % 2), -g, NULL
        FROM generate_series(1, 3000) g) TO :'format_v1' WITH (FORMAT csv);
SET strata.enable_direct_compress_copy = on;
COPY t FROM :'format_v1' WITH (FORMAT csv);
RESET strata.enable_direct_compress_copy;
COPY ref FROM :'format_v1' WITH (FORMAT csv);
SELECT pg_relation_size(:'chunk') AS row_part_bytes;
SELECT count(*) AS batches, sum(_strata_count) AS rows FROM :comp;
SELECT same();

-- Rows into the row part, then compress_chunk: merged segment by segment (h1's batches and h3's
-- are left as they are: same row ids), the companion kept, still version 1.
INSERT INTO t VALUES ('2026-01-06 00:00+00', 'h0', 1, 'late'), ('2026-01-06 00:01+00', 'h2', 2, NULL);
INSERT INTO ref VALUES ('2026-01-06 00:00+00', 'h0', 1, 'late'), ('2026-01-06 00:01+00', 'h2', 2, NULL);
CREATE TABLE before AS SELECT ctid AS tid, host FROM :comp WHERE host IN ('h1', 'h3');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT :'comp'::regclass::oid = :comp_oid AS same_companion;
SELECT format_version FROM _strata_catalog.compressed_chunk WHERE chunk_id = :chunk_id;
SELECT count(*) AS untouched_batches_kept FROM before b JOIN :comp c ON c.ctid = b.tid AND c.host = b.host;
SELECT count(*) AS batches_of_untouched_segments FROM :comp WHERE host IN ('h1', 'h3');
SELECT pg_relation_size(:'chunk') AS row_part_bytes;
SELECT same();

-- DML on the version 1 chunk (a segment's batches moved and deleted: nothing to do for dictionaries).
DELETE FROM t WHERE host = 'h3';
DELETE FROM ref WHERE host = 'h3';
UPDATE t SET v = v + 1 WHERE host = 'h1' AND ts < '2026-01-02';
UPDATE ref SET v = v + 1 WHERE host = 'h1' AND ts < '2026-01-02';
SELECT same();

-- Settings changed: the whole chunk is compressed again, in the current version.
ALTER TABLE t SET (timescaledb.compress_orderby = 'ts DESC');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT format_version FROM _strata_catalog.compressed_chunk WHERE chunk_id = :chunk_id;
SELECT same();

DROP SCHEMA cs_v1 CASCADE;
