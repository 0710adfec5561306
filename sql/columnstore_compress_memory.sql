-- strata.compression_sort_in_memory: a chunk whose rows fit in memory is read once, in heap
-- order, and its rows put in the compression's order there (by the index's TIDs when a btree
-- index matches segmentby and orderby, else by a sort of row numbers). The batches are the ones
-- the tuplesort gives: same rows, values, seq and metadata; decompression gives the same rows.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_mem;
SET search_path = cs_mem, public;
SHOW strata.compression_sort_in_memory;

-- Rows in no particular order, NULL segments, NULLs in the orderby columns (NULLS FIRST), ties
-- on the first orderby column, a text orderby column with the database collation.
CREATE TABLE r (time timestamptz NOT NULL, host text, k int, note text, v float8);
SELECT count(*) FROM create_hypertable('r', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE r SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'k DESC NULLS FIRST, note, time');
INSERT INTO r SELECT timestamptz '2026-01-01' + ((g * 7919) % 5000) * interval '1 minute',
                     CASE WHEN g % 7 = 0 THEN NULL ELSE 'h' || (g % 6) END,
                     CASE WHEN g % 11 = 0 THEN NULL ELSE (g * 31) % 50 END,
                     CASE WHEN g % 13 = 0 THEN NULL ELSE 'n' || ((g * 17) % 9) END, g / 4.0
  FROM generate_series(1, 5000) g;
CREATE TABLE r_expected AS SELECT * FROM r;
-- the same rows in the same heap order in a second hypertable, compressed with the tuplesort
CREATE TABLE r2 (LIKE r);
SELECT count(*) FROM create_hypertable('r2', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE r2 SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                    timescaledb.compress_orderby = 'k DESC NULLS FIRST, note, time');
INSERT INTO r2 SELECT * FROM r_expected;
SELECT show_chunks('r') AS rchunk \gset
SELECT show_chunks('r2') AS r2chunk \gset
SET strata.compression_sort_in_memory = off;
SELECT compress_chunk(:'r2chunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS r2comp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'r2chunk'::regclass \gset
CREATE TABLE r_sorted AS SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1,
                                md5(v::text) AS v, md5(note::text) AS note, md5(time::text) AS t, md5(k::text) AS k
                           FROM :r2comp;
-- in memory, from the rows in their insertion order
RESET strata.compression_sort_in_memory;
SELECT compress_chunk(:'rchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS rcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'rchunk'::regclass \gset
SELECT count(*) AS batches,
       count(*) FILTER (WHERE s.host IS NOT DISTINCT FROM c.host AND s._strata_count = c._strata_count
                          AND s._strata_min_1 IS NOT DISTINCT FROM c._strata_min_1
                          AND s._strata_max_1 IS NOT DISTINCT FROM c._strata_max_1
                          AND s.v = md5(c.v::text) AND s.note = md5(c.note::text) AND s.t = md5(c.time::text)
                          AND s.k = md5(c.k::text)) AS same
  FROM r_sorted s FULL JOIN :rcomp c ON s.host IS NOT DISTINCT FROM c.host AND s._strata_seq = c._strata_seq;
SELECT count(*) AS rows, count(DISTINCT host) AS segments FROM r;
SELECT count(*) AS differences
  FROM ((TABLE r EXCEPT ALL TABLE r_expected) UNION ALL (TABLE r_expected EXCEPT ALL TABLE r)) d;
-- The rows of a segment in the order the scan returns them (orderby k DESC NULLS FIRST, note, time).
SELECT k, note, time FROM r WHERE host = 'h1' ORDER BY k DESC NULLS FIRST, note, time LIMIT 4;

-- Rows loaded in time order, orderby time DESC (each segment's rows in reverse), and an index on
-- (segmentby, orderby): its TIDs give the order.
CREATE TABLE d (time timestamptz NOT NULL, host text, v int);
SELECT count(*) FROM create_hypertable('d', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE d SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
INSERT INTO d SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 3), g FROM generate_series(1, 3000) g;
CREATE INDEX d_host_time ON d (host, time DESC);
-- a HOT update: the new row version's TID is not in the index (the rows are then sorted)
UPDATE d SET v = -v WHERE v % 500 = 0;
CREATE TABLE d_expected AS SELECT * FROM d;
SELECT show_chunks('d') AS dchunk \gset
SELECT compress_chunk(:'dchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS dcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'dchunk'::regclass \gset
SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1 FROM :dcomp ORDER BY host, _strata_seq;
SELECT count(*) AS differences
  FROM ((TABLE d EXCEPT ALL TABLE d_expected) UNION ALL (TABLE d_expected EXCEPT ALL TABLE d)) d;
SELECT time, v FROM d WHERE host = 'h2' ORDER BY time DESC LIMIT 3;
-- without the HOT update, through the index
SELECT decompress_chunk(:'dchunk') IS NOT NULL AS decompressed;
SELECT compress_chunk(:'dchunk') IS NOT NULL AS compressed;
SELECT format('%I.%I', c.schema_name, c.table_name) AS dcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'dchunk'::regclass \gset
SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1 FROM :dcomp ORDER BY host, _strata_seq;
SELECT count(*) AS differences
  FROM ((TABLE d EXCEPT ALL TABLE d_expected) UNION ALL (TABLE d_expected EXCEPT ALL TABLE d)) d;

-- the same with every page kept pinned (strata.compression_copy_rows off; by default the tuples
-- are copied out of a ring of buffers and the rows sorted): through the index
SELECT decompress_chunk(:'dchunk') IS NOT NULL AS decompressed;
SET strata.compression_copy_rows = off;
SELECT compress_chunk(:'dchunk') IS NOT NULL AS compressed;
RESET strata.compression_copy_rows;
SELECT format('%I.%I', c.schema_name, c.table_name) AS dcomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'dchunk'::regclass \gset
SELECT host, _strata_seq, _strata_count, _strata_min_1, _strata_max_1 FROM :dcomp ORDER BY host, _strata_seq;
SELECT count(*) AS differences
  FROM ((TABLE d EXCEPT ALL TABLE d_expected) UNION ALL (TABLE d_expected EXCEPT ALL TABLE d)) d;

-- Copied tuples with statistics that count too few rows: the heap fits beside the row arrays the
-- statistics ask for, but the arrays outgrow the memory; the rows copied so far go to the
-- tuplesort with the rest.
CREATE TABLE n (time timestamptz NOT NULL, host int, v int);
SELECT count(*) FROM create_hypertable('n', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE n SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
INSERT INTO n SELECT timestamptz '2026-01-01' + g * interval '1 second', g % 4, g FROM generate_series(1, 1000) g;
ANALYZE n;
INSERT INTO n SELECT timestamptz '2026-01-02' + g * interval '1 second', g % 4, -g FROM generate_series(1, 11000) g;
CREATE TABLE n_expected AS SELECT * FROM n;
SELECT show_chunks('n') AS nchunk \gset
SET maintenance_work_mem = '1MB';
SELECT compress_chunk(:'nchunk') IS NOT NULL AS compressed;
RESET maintenance_work_mem;
SELECT format('%I.%I', c.schema_name, c.table_name) AS ncomp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'nchunk'::regclass \gset
SELECT host, count(*) AS batches, sum(_strata_count) AS rows, min(_strata_min_1), max(_strata_max_1)
  FROM :ncomp GROUP BY host ORDER BY host;
SELECT count(*) AS differences
  FROM ((TABLE n EXCEPT ALL TABLE n_expected) UNION ALL (TABLE n_expected EXCEPT ALL TABLE n)) d;
SELECT time, v FROM n WHERE host = 1 ORDER BY time DESC LIMIT 3;

-- More rows than the memory holds: those gathered so far go to the tuplesort with the rest (the
-- statistics said 5,000 rows, so the rows were gathered), then too little memory from the start.
SELECT decompress_chunk(:'rchunk') IS NOT NULL AS decompressed;
ANALYZE r;
SET maintenance_work_mem = '1MB';
INSERT INTO r SELECT timestamptz '2026-02-01' + g * interval '1 second', 'h' || (g % 6), g % 50, 'x', g
  FROM generate_series(1, 20000) g;
INSERT INTO r_expected SELECT timestamptz '2026-02-01' + g * interval '1 second', 'h' || (g % 6), g % 50, 'x', g
  FROM generate_series(1, 20000) g;
SELECT compress_chunk(:'rchunk') IS NOT NULL AS compressed;
SELECT count(*) AS differences
  FROM ((TABLE r EXCEPT ALL TABLE r_expected) UNION ALL (TABLE r_expected EXCEPT ALL TABLE r)) d;
SELECT decompress_chunk(:'rchunk') IS NOT NULL AS decompressed;
ANALYZE r;
SELECT compress_chunk(:'rchunk') IS NOT NULL AS compressed;
RESET maintenance_work_mem;
SELECT count(*) AS differences
  FROM ((TABLE r EXCEPT ALL TABLE r_expected) UNION ALL (TABLE r_expected EXCEPT ALL TABLE r)) d;

-- strata.compression_reuse_memory: the compressions of one transaction hand the memory the rows
-- were gathered in (tuple copies, row and key arrays) to the next one, which overwrites it. Chunks
-- of growing and shrinking sizes, NULLs, a maintenance_work_mem small enough that the memory kept
-- is trimmed between compressions: the batches are byte for byte those of compressions that each
-- get fresh memory, and decompression gives the rows back.
CREATE TABLE m (time timestamptz NOT NULL, host text, v float8, note text);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'), create_default_indexes => false);
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
INSERT INTO m SELECT timestamptz '2026-03-01' + d * interval '1 day' + g * interval '1 second',
                     CASE WHEN g % 9 = 0 THEN NULL ELSE 'h' || ((g * 7) % (3 + d)) END,
                     CASE WHEN g % 5 = 0 THEN NULL ELSE g * d / 3.0 END,
                     repeat('n', (g * d) % 40)
  FROM (VALUES (0, 2000), (1, 9000), (2, 300), (3, 4000), (4, 9500)) AS s(d, n),
       generate_series(1, n) g;
ANALYZE m;
CREATE TABLE m_expected AS SELECT * FROM m;
CREATE FUNCTION batches_digest(ht regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record; d text; acc text := '';
BEGIN
  FOR r IN SELECT format('%I.%I', c.schema_name, c.table_name) AS comp
             FROM _strata_catalog.compressed_chunk c JOIN _strata_catalog.chunk k ON k.id = c.chunk_id
            WHERE format('%I.%I', k.schema_name, k.table_name)::regclass IN (SELECT show_chunks(ht))
            ORDER BY k.id
  LOOP
    EXECUTE format('SELECT md5(string_agg(t::text, '','' ORDER BY t::text)) FROM %s t', r.comp) INTO d;
    acc := acc || d;
  END LOOP;
  RETURN md5(acc);
END $$;
SET maintenance_work_mem = '2MB';
SET strata.compression_reuse_memory = off;
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT batches_digest('m') AS fresh \gset
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
RESET strata.compression_reuse_memory;
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT batches_digest('m') = :'fresh' AS same_batches;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;
-- in one transaction, the two largest chunks first, then the next one compressed and rolled back
-- to a savepoint, then all of them
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
BEGIN;
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY pg_relation_size(c) DESC LIMIT 2) s;
SAVEPOINT a;
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY pg_relation_size(c) DESC LIMIT 1) s;
ROLLBACK TO SAVEPOINT a;
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
COMMIT;
SELECT batches_digest('m') = :'fresh' AS same_batches;
SELECT count(*) AS differences
  FROM ((TABLE m EXCEPT ALL TABLE m_expected) UNION ALL (TABLE m_expected EXCEPT ALL TABLE m)) d;
RESET maintenance_work_mem;

DROP SCHEMA cs_mem CASCADE;
