-- A compressed batch row keeps its data columns inline in the companion's heap page when the row
-- fits one (the companion's toast_tuple_target is PostgreSQL's largest, 8160): no TOAST tuple,
-- TOAST index entry or pointer per value. A row too wide for a page still has its largest values
-- TOASTed out of line, uncompressed (STORAGE EXTERNAL). Both read back identically, through the
-- ColumnarScan, after decompress_chunk, and after a recompression of a partial chunk.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_inline;
SET search_path = cs_inline, public;

-- Eight int4 columns of hash values below 2^16: about 2 KB a column in a batch of 1,000 rows.
-- The narrow chunk (day 1) fills three of them (a ~6 KB batch row, which the default
-- toast_tuple_target of 2032 bytes would have moved out of line), the wide chunk (day 3) all
-- eight (~16 KB: more than a page).
CREATE TABLE t (time timestamptz NOT NULL, dev int, a int, b int, c int, d int, e int, f int, g int, h int);
SELECT count(*) FROM create_hypertable('t', by_range('time', interval '1 day'));
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time');
CREATE FUNCTION v(i int, k int) RETURNS int LANGUAGE sql IMMUTABLE
  RETURN hashint4(i * 16 + k) & 65535;
INSERT INTO t SELECT timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', i % 2,
                     v(i, 1), v(i, 2), v(i, 3), NULL, NULL, NULL, NULL, NULL
  FROM generate_series(0, 3999) i;
INSERT INTO t SELECT timestamptz '2026-01-03 00:00:00+00' + i * interval '1 second', i % 2,
                     v(i, 1), v(i, 2), v(i, 3), v(i, 4), v(i, 5), v(i, 6), v(i, 7), v(i, 8)
  FROM generate_series(0, 3999) i;
CREATE TABLE before AS SELECT * FROM t;

SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT ch.table_name, cc.table_name AS companion, cl.reloptions
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
  JOIN pg_class cl ON cl.relname = cc.table_name
 ORDER BY ch.id;

-- TOASTed values per companion: none for the narrow chunk, some (not all) for the wide one.
CREATE FUNCTION toasted(companion regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(DISTINCT chunk_id) FROM %s',
                 (SELECT reltoastrelid::regclass FROM pg_class WHERE oid = companion)) INTO n;
  RETURN n;
END $$;
SELECT toasted('_strata_internal._hyper_1_1_cs') AS narrow,
       toasted('_strata_internal._hyper_1_2_cs') BETWEEN 1 AND
         (SELECT 8 * count(*) - 1 FROM _strata_internal._hyper_1_2_cs) AS wide_partly_toasted;
-- the narrow companion's heap holds the data: more than a page per two full batches
SELECT pg_relation_size('_strata_internal._hyper_1_1_cs') >= 4 * 8192 AS data_inline;

-- Same rows through the ColumnarScan, with a filter and a single column.
SELECT (SELECT count(*) FROM t) AS rows_,
       (SELECT count(*) FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM before) x) AS extra,
       (SELECT count(*) FROM (SELECT * FROM before EXCEPT ALL SELECT * FROM t) x) AS missing;
SELECT sum(h::bigint) = (SELECT sum(h::bigint) FROM before WHERE a > 30000) AS same_sum
  FROM t WHERE a > 30000;

-- A partial chunk recompressed, then everything decompressed: the same rows again.
INSERT INTO t VALUES ('2026-01-01 12:00:00.5+00', 1, 1, 2, 3, 4, 5, 6, 7, 8);
INSERT INTO before VALUES ('2026-01-01 12:00:00.5+00', 1, 1, 2, 3, 4, 5, 6, 7, 8);
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT count(*) = 0 AS same_after_recompress
  FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM before UNION ALL
        (SELECT * FROM before EXCEPT ALL SELECT * FROM t)) x;
SELECT count(decompress_chunk(c)) FROM show_chunks('t') c;
SELECT count(*) = 0 AS same_after_decompress
  FROM (SELECT * FROM t EXCEPT ALL SELECT * FROM before UNION ALL
        (SELECT * FROM before EXCEPT ALL SELECT * FROM t)) x;

RESET search_path;
DROP SCHEMA cs_inline CASCADE;
