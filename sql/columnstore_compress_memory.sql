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

-- The failure path: a compression that fails half way while it holds the transaction's row
-- memory (here a minmax metadata column's comparison raises an error on a row of the last
-- segment, after batches of the other segments were encoded, by the encoder thread too). Its
-- blocks are not handed out again: after ROLLBACK TO SAVEPOINT the compressions left in the
-- transaction, and after a ROLLBACK the next transaction's, give the batches of compressions
-- that each get fresh memory; the failed compression left its chunk as it was.
CREATE FUNCTION cmp_or_fail(a int4, b int4) RETURNS int4 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF (a = -1 OR b = -1) AND current_setting('cs_mem.fail', true) = 'on' THEN
    RAISE EXCEPTION 'comparison with -1 refused';
  END IF;
  RETURN btint4cmp(a, b);
END $$;
CREATE OPERATOR CLASS int4_fail_ops FOR TYPE int4 USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 cmp_or_fail(int4, int4);
CREATE TYPE int4_fail_range AS RANGE (subtype = int4, subtype_opclass = int4_fail_ops);
CREATE TABLE f (time timestamptz NOT NULL, host text, v float8, r int4_fail_range);
SELECT count(*) FROM create_hypertable('f', by_range('time', interval '1 day'), create_default_indexes => false);
ALTER TABLE f SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC', timescaledb.compress_index = 'minmax(r)');
INSERT INTO f SELECT timestamptz '2026-04-01' + d * interval '1 day' + g * interval '1 second', 'h' || (g % 5),
                     g * d / 7.0, int4range(g % 1000, g % 1000 + d + 1)::text::int4_fail_range
  FROM (VALUES (0, 9000), (1, 6000), (2, 7000)) AS s(d, n), generate_series(1, n) g;
-- one row of the last segment of chunks 2 and 3 whose r compares with -1
UPDATE f SET r = '[-1,5)' WHERE host = 'h4' AND time IN ('2026-04-02 01:00:04', '2026-04-03 01:00:04');
ANALYZE f;
CREATE TABLE f_expected AS SELECT time, host, v, r::text AS r FROM f;
CREATE VIEW f_differences AS
  SELECT count(*) AS differences
    FROM ((SELECT time, host, v, r::text FROM f EXCEPT ALL TABLE f_expected)
          UNION ALL (TABLE f_expected EXCEPT ALL SELECT time, host, v, r::text FROM f)) d;
SELECT c AS f1 FROM show_chunks('f') c ORDER BY c::text LIMIT 1 \gset
SELECT c AS f2 FROM show_chunks('f') c ORDER BY c::text LIMIT 1 OFFSET 1 \gset
SELECT c AS f3 FROM show_chunks('f') c ORDER BY c::text LIMIT 1 OFFSET 2 \gset
SET maintenance_work_mem = '2MB';
SET strata.compression_reuse_memory = off;
SELECT count(compress_chunk(c)) FROM show_chunks('f') c;
SELECT batches_digest('f') AS fresh_f \gset
SELECT count(decompress_chunk(c)) FROM show_chunks('f') c;
RESET strata.compression_reuse_memory;
-- The memory kept by the transaction ("columnstore row memory", under TopTransactionContext):
-- after chunk 1 (9,000 rows) it holds chunk 1's blocks; chunk 3 (7,000 rows) takes them again, so
-- it does not grow; chunk 2 fails while it holds them (in a savepoint), and the compressions left
-- get fresh memory of their own (it still does not grow); the transaction's end frees it.
CREATE VIEW row_memory AS
  SELECT coalesce(sum(total_bytes), 0) AS bytes FROM pg_backend_memory_contexts WHERE name = 'columnstore row memory';
BEGIN;
SELECT compress_chunk(:'f1') IS NOT NULL AS compressed;
SELECT bytes AS kept FROM row_memory \gset
SELECT :kept > 500000 AS kept_blocks;
SELECT compress_chunk(:'f3') IS NOT NULL AS compressed;
SELECT bytes = :kept AS same_blocks FROM row_memory;
SAVEPOINT s;
SET LOCAL cs_mem.fail = on;
SELECT compress_chunk(:'f2') IS NOT NULL AS compressed;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS compressed_chunks FROM _strata_catalog.compressed_chunk c JOIN _strata_catalog.chunk k ON k.id = c.chunk_id
 WHERE format('%I.%I', k.schema_name, k.table_name)::regclass IN (SELECT show_chunks('f'));
SELECT bytes = :kept AS same_blocks FROM row_memory;
SELECT compress_chunk(:'f2') IS NOT NULL AS compressed;
SELECT bytes = :kept AS same_blocks FROM row_memory;
COMMIT;
SELECT bytes AS kept_after_commit FROM row_memory;
SELECT batches_digest('f') = :'fresh_f' AS same_batches;
SELECT * FROM f_differences;
-- a transaction whose compression fails and is rolled back, then a new one
SELECT count(decompress_chunk(c)) FROM show_chunks('f') c;
BEGIN;
SELECT compress_chunk(:'f1') IS NOT NULL AS compressed;
SET LOCAL cs_mem.fail = on;
SELECT compress_chunk(:'f3') IS NOT NULL AS compressed;
ROLLBACK;
SELECT bytes AS kept_after_rollback FROM row_memory;
SELECT * FROM f_differences;
SELECT count(compress_chunk(c)) FROM show_chunks('f') c;
SELECT batches_digest('f') = :'fresh_f' AS same_batches;
SELECT * FROM f_differences;
-- the failure with the rows gathered in fresh memory (setting off), then reused memory
SELECT count(decompress_chunk(c)) FROM show_chunks('f') c;
BEGIN;
SET LOCAL strata.compression_reuse_memory = off;
SET LOCAL cs_mem.fail = on;
SAVEPOINT t;
SELECT compress_chunk(:'f2') IS NOT NULL AS compressed;
ROLLBACK TO SAVEPOINT t;
SET LOCAL strata.compression_reuse_memory = on;
SET LOCAL cs_mem.fail = off;
SELECT count(compress_chunk(c)) FROM show_chunks('f') c;
COMMIT;
SELECT batches_digest('f') = :'fresh_f' AS same_batches;
SELECT * FROM f_differences;
RESET maintenance_work_mem;

-- strata.compression_prefault_memory: the large allocations of a compression (here the ~9 MB of
-- tuple copies of an 80,000-row chunk and its row arrays) faulted in by short-lived threads while
-- the heap is read. The same batches as without; a compression that fails (the threads stopped
-- and joined when its memory goes), then the same chunk again, in fresh and in reused memory.
CREATE TABLE g (LIKE f);
ALTER TABLE g ADD COLUMN pad text;
SELECT count(*) FROM create_hypertable('g', by_range('time', interval '10 days'), create_default_indexes => false);
ALTER TABLE g SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC', timescaledb.compress_index = 'minmax(r)');
INSERT INTO g SELECT timestamptz '2026-04-01' + g * interval '1 second', 'h' || (g % 5), g / 7.0,
                     int4range(g % 1000, g % 1000 + 2)::text::int4_fail_range, repeat(md5(g::text), 2)
  FROM generate_series(1, 80000) g;
UPDATE g SET r = '[-1,5)' WHERE time = '2026-04-01 20:00:00';
SELECT c AS g1 FROM show_chunks('g') c \gset
SET strata.compression_prefault_memory = off;
SELECT compress_chunk(:'g1') IS NOT NULL AS compressed;
SELECT batches_digest('g') AS fresh_g \gset
SELECT decompress_chunk(:'g1') IS NOT NULL AS decompressed;
RESET strata.compression_prefault_memory;
SHOW strata.compression_prefault_memory;
SELECT compress_chunk(:'g1') IS NOT NULL AS compressed;
SELECT batches_digest('g') = :'fresh_g' AS same_batches;
SELECT decompress_chunk(:'g1') IS NOT NULL AS decompressed;
BEGIN;
SET LOCAL cs_mem.fail = on;
SAVEPOINT u;
SELECT compress_chunk(:'g1') IS NOT NULL AS compressed;
ROLLBACK TO SAVEPOINT u;
SET LOCAL cs_mem.fail = off;
SELECT compress_chunk(:'g1') IS NOT NULL AS compressed;
SELECT decompress_chunk(:'g1') IS NOT NULL AS decompressed;
SELECT compress_chunk(:'g1') IS NOT NULL AS compressed;
COMMIT;
SELECT batches_digest('g') = :'fresh_g' AS same_batches;
SELECT count(*) AS rows, count(DISTINCT pad) AS pads FROM g;

-- One segment whose value is stored inline compressed in one row (the toaster compressed it to
-- fit the row) and plain in the others: grouped into one segment by its bytes, one batch.
CREATE TABLE s (time timestamptz NOT NULL, seg text, pad text);
SELECT create_hypertable('s', 'time', chunk_time_interval => interval '1 day');
ALTER TABLE s SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                   timescaledb.compress_orderby = 'time');
INSERT INTO s VALUES ('2026-05-01 00:00:00+00', repeat('ab', 800), 'short'),
                     ('2026-05-01 01:00:00+00', repeat('ab', 800),
                      (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 30) g)),
                     ('2026-05-01 02:00:00+00', repeat('ab', 800), 'short'),
                     ('2026-05-01 03:00:00+00', 'other', 'short');
SELECT c AS s1 FROM show_chunks('s') c \gset
SELECT count(*) FILTER (WHERE pg_column_compression(seg) IS NOT NULL) AS compressed_values,
       count(*) FILTER (WHERE pg_column_compression(seg) IS NULL) AS plain_values
  FROM s WHERE seg <> 'other';
SELECT compress_chunk(:'s1') IS NOT NULL AS compressed;
SELECT cc.uncompressed_rows, cc.compressed_rows
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk k ON k.id = cc.chunk_id
 WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'s1'::regclass;
SELECT time, length(seg) AS seg_length, length(pad) AS pad_length FROM s ORDER BY time;

-- Copy mode reads the chunk's pages itself, without setting hint bits: the rows a heap scan
-- would see, and only those (committed rows no scan has seen yet, rows of an aborted insert,
-- deleted and updated rows, a row inserted and one deleted by the compressing transaction).
CREATE TABLE v (time timestamptz NOT NULL, dev int, val int);
SELECT create_hypertable('v', 'time', chunk_time_interval => interval '1 day');
ALTER TABLE v SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time');
INSERT INTO v SELECT timestamptz '2026-06-01 00:00:00+00' + g * interval '1 second', g % 4, g
  FROM generate_series(1, 2000) g;
DELETE FROM v WHERE val % 10 = 0;
UPDATE v SET val = val + 100000 WHERE val % 10 = 5;
CREATE TABLE v_expected AS SELECT * FROM v;
INSERT INTO v SELECT timestamptz '2026-06-01 03:00:00+00' + g * interval '1 second', 5, 10000 + g
  FROM generate_series(1, 1000) g;
INSERT INTO v_expected SELECT timestamptz '2026-06-01 03:00:00+00' + g * interval '1 second', 5, 10000 + g
  FROM generate_series(1, 1000) g;
BEGIN;
INSERT INTO v SELECT timestamptz '2026-06-01 05:00:00+00' + g * interval '1 second', 9, -g
  FROM generate_series(1, 500) g;
ROLLBACK;
BEGIN;
INSERT INTO v VALUES ('2026-06-01 02:00:00+00', 7, 7);
INSERT INTO v_expected VALUES ('2026-06-01 02:00:00+00', 7, 7);
DELETE FROM v WHERE time = timestamptz '2026-06-01 00:00:01+00';
DELETE FROM v_expected WHERE time = timestamptz '2026-06-01 00:00:01+00';
SELECT c AS v1 FROM show_chunks('v') c \gset
SELECT compress_chunk(:'v1') IS NOT NULL AS compressed;
SELECT (SELECT count(*) FROM (SELECT * FROM v EXCEPT ALL SELECT * FROM v_expected) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM v_expected EXCEPT ALL SELECT * FROM v) d) AS missing,
       (SELECT count(*) FROM v) AS rows;
COMMIT;
SELECT (SELECT count(*) FROM (SELECT * FROM v EXCEPT ALL SELECT * FROM v_expected) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM v_expected EXCEPT ALL SELECT * FROM v) d) AS missing,
       (SELECT count(*) FROM v) AS rows, (SELECT count(*) FROM v WHERE dev = 9) AS aborted_rows;
-- the same batches as from the heap scan of the pinned-pages mode
SELECT batches_digest('v') AS fresh_v \gset
SELECT decompress_chunk(:'v1') IS NOT NULL AS decompressed;
SET strata.compression_copy_rows = off;
SELECT compress_chunk(:'v1') IS NOT NULL AS compressed;
RESET strata.compression_copy_rows;
SELECT batches_digest('v') = :'fresh_v' AS same_batches;

DROP SCHEMA cs_mem CASCADE;
