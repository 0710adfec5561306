-- compress_chunk / decompress_chunk round trip: after decompression every row, every NULL and
-- every value is identical to before, for every built-in type family, with batches cut at 1,000
-- rows and at segment changes, NULL segments, NULL-heavy columns, and columns dropped and added
-- before and after compression. Also the catalog rows, the companion table's layout, status
-- flags, if_not_compressed / if_compressed, the procedures, recompression of a partial chunk,
-- errors, and that a plain scan of a compressed chunk is refused rather than missing rows.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
CREATE SCHEMA cs_rt;
SET search_path = cs_rt, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);

CREATE TABLE t (
  time timestamptz NOT NULL,
  id int NOT NULL,
  device int,
  gone1 text,
  i2 int2, i4 int4, i8 int8,
  f4 float4, f8 float8,
  num numeric, num2 numeric(12,3),
  txt text COLLATE "C", txt_posix text COLLATE "POSIX", vc varchar(20), bt bytea,
  flag bool, d date, ts timestamp, tstz timestamptz, iv interval, u uuid,
  j json, jb jsonb, ia int[], ta text[],
  dom posint, en mood, comp pair, ip inet, m money, tm time, tmz timetz,
  ch "char", nm name, o oid, pt point,
  sparse int
);
SELECT count(*) FROM create_hypertable('t', by_range('time', interval '10 days'));

-- 2,600 rows in one chunk: devices 1..2 and NULL, special values in the first rows.
INSERT INTO t
SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g % 2 + 1 END,
       'x',
       (g % 32767)::int2, g * 7, g::int8 * 1000000007,
       g / 7.0::float4, g / 3.0::float8,
       g / 7.0, (g / 9.0)::numeric(12,3),
       'text ' || g, 'posix ' || (g % 13), left('vc' || g, 20), decode(lpad(to_hex(g), 8, '0'), 'hex'),
       g % 3 = 0, '2020-01-01'::date + g, '2020-01-01'::timestamp + g * interval '1 second',
       '2020-01-01'::timestamptz + g * interval '1 hour', g * interval '1 minute 3 seconds',
       md5(g::text)::uuid,
       json_build_object('g', g, 'ws', 'a  b'), jsonb_build_object('g', g, 'arr', jsonb_build_array(g, g + 1)),
       ARRAY[g, NULL, g + 1], ARRAY['a' || g, NULL],
       g, (ARRAY['sad', 'ok', 'happy']::mood[])[g % 3 + 1], ROW(g, 'p' || g)::pair,
       ('10.0.' || (g % 256) || '.' || (g % 7) || '/32')::inet, (g * 1.25)::money,
       '00:00'::time + g * interval '1 second', ('00:00+0' || (g % 9))::timetz + g * interval '1 second',
       chr(65 + g % 26)::"char", ('name' || g)::name, g::oid, point(g, -g),
       CASE WHEN g % 97 = 0 THEN g END
  FROM generate_series(1, 2600) g;
-- Special values.
UPDATE t SET f4 = 'NaN', f8 = 'NaN', num = 'NaN' WHERE id = 1;
UPDATE t SET f4 = 'Infinity', f8 = '-Infinity', num = 1e300 * 1e300 WHERE id = 2;
UPDATE t SET f4 = '-0', f8 = '-0', num = '1.000000', num2 = -0.0 WHERE id = 3;
UPDATE t SET f4 = '-Infinity', f8 = 'Infinity', num = -123456789012345678901234567890.123456789 WHERE id = 4;
UPDATE t SET ts = 'infinity', tstz = '-infinity', d = '-infinity' WHERE id = 5;
UPDATE t SET ts = '-infinity', tstz = 'infinity', d = 'infinity', iv = '-178000000 years' WHERE id = 6;
UPDATE t SET txt = '', vc = '', bt = '', ta = '{}', ia = '{}', j = '[]', jb = '{}' WHERE id = 7;
UPDATE t SET txt = repeat('long ', 5000), bt = decode(repeat('ab', 9000), 'hex'), jb = jsonb_build_object('big', repeat('z', 10000)) WHERE id = 8;
UPDATE t SET i2 = -32768, i4 = -2147483648, i8 = -9223372036854775808 WHERE id = 9;
UPDATE t SET i2 = 32767, i4 = 2147483647, i8 = 9223372036854775807 WHERE id = 10;
UPDATE t SET num = 1.0 WHERE id = 11;
UPDATE t SET num = 1.00 WHERE id = 12;
UPDATE t SET i2 = NULL, i4 = NULL, i8 = NULL, f4 = NULL, f8 = NULL, num = NULL, num2 = NULL, txt = NULL,
             txt_posix = NULL, vc = NULL, bt = NULL, flag = NULL, d = NULL, ts = NULL, tstz = NULL, iv = NULL, u = NULL,
             j = NULL, jb = NULL, ia = NULL, ta = NULL, dom = NULL, en = NULL, comp = NULL, ip = NULL, m = NULL,
             tm = NULL, tmz = NULL, ch = NULL, nm = NULL, o = NULL, pt = NULL
 WHERE id BETWEEN 20 AND 25;
-- A column dropped before compression, one added (with a default) before compression.
ALTER TABLE t DROP COLUMN gone1;
ALTER TABLE t ADD COLUMN added_before int DEFAULT 42;

CREATE TABLE before AS SELECT * FROM t;
SELECT count(*) FROM before;

ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                   timescaledb.compress_orderby = 'time DESC', timescaledb.compress_index = 'bloom(u), minmax(i4)');
SELECT show_chunks('t') AS chunk \gset
SELECT chunk_schema, chunk_name, is_compressed FROM strata_information.chunks WHERE hypertable_name = 't';

-- Compress.
SELECT compress_chunk(:'chunk') = :'chunk'::regclass AS same_chunk;
SELECT _strata_internal.chunk_status(:'chunk');
SELECT is_compressed FROM strata_information.chunks WHERE hypertable_name = 't';
SELECT pg_relation_size(:'chunk') AS row_part_bytes;
SELECT cc.table_name, cc.segmentby, cc.orderby, cc.orderby_desc, cc.minmax, cc.bloom, cc.format_version,
       cc.uncompressed_rows, cc.compressed_rows
  FROM _strata_catalog.compressed_chunk cc;
-- The companion: one row per batch (device 1: 1040 rows, device 2: 1040, NULL: 520).
SELECT device, _strata_count, _strata_seq,
       _strata_min_1 <= _strata_max_1 AS min_le_max, _strata_nulls_1, _strata_bloom_1 IS NOT NULL AS has_bloom
  FROM _strata_internal._hyper_1_1_cs ORDER BY device NULLS LAST, _strata_seq;
SELECT attname, format_type(atttypid, atttypmod), attstorage
  FROM pg_attribute WHERE attrelid = '_strata_internal._hyper_1_1_cs'::regclass AND attnum > 0 AND NOT attisdropped
 ORDER BY attnum;
SELECT indexdef FROM pg_indexes WHERE tablename = '_hyper_1_1_cs';
SELECT relowner = (SELECT relowner FROM pg_class WHERE oid = :'chunk'::regclass) AS same_owner
  FROM pg_class WHERE oid = '_strata_internal._hyper_1_1_cs'::regclass;

-- Through the hypertable, ColumnarScan reads the compressed chunk; reading it any other way is
-- refused, never silently short.
SELECT err('SELECT count(*) FROM t');
SELECT err(format('SELECT count(*) FROM %s', :'chunk'));
-- UPDATE and DELETE move the batches they touch to the row part (columnstore_dml); rolled back
-- here to keep the data of the round trip.
BEGIN;
SELECT err('DELETE FROM t WHERE id = 1');
SELECT err('UPDATE t SET i4 = 0 WHERE id = 1');
ROLLBACK;

-- Again: a NOTICE with if_not_compressed (the default), an error without.
SELECT compress_chunk(:'chunk') IS NOT NULL;
SELECT err(format('SELECT compress_chunk(%L, if_not_compressed => false)', :'chunk'));
-- TRUNCATE of a compressed chunk is refused (RENAME COLUMN and ALTER COLUMN TYPE: columnstore_alter).
SELECT err(format('TRUNCATE %s', :'chunk'));

-- A column added after compression: decompressed rows get its default.
ALTER TABLE t ADD COLUMN added_after text DEFAULT 'dflt';

-- Decompress and compare.
SELECT decompress_chunk(:'chunk') = :'chunk'::regclass AS same_chunk;
SELECT _strata_internal.chunk_status(:'chunk'), (SELECT count(*) FROM _strata_catalog.compressed_chunk) AS catalog_rows,
       to_regclass('_strata_internal._hyper_1_1_cs') AS companion;
SELECT count(*) FROM t;
SELECT count(*) AS differ_text FROM before b FULL JOIN t a USING (id)
 WHERE a IS NULL OR b IS NULL
    OR (b.time, b.device, b.i2, b.i4, b.i8, b.f4, b.f8, b.num, b.num2, b.txt, b.txt_posix, b.vc, b.bt, b.flag, b.d, b.ts,
        b.tstz, b.iv, b.u, b.jb, b.ia, b.ta, b.dom, b.en, b.comp, b.ip, b.m, b.tm, b.tmz, b.ch, b.nm, b.o, b.sparse,
        b.added_before)::text
       IS DISTINCT FROM
       (a.time, a.device, a.i2, a.i4, a.i8, a.f4, a.f8, a.num, a.num2, a.txt, a.txt_posix, a.vc, a.bt, a.flag, a.d, a.ts,
        a.tstz, a.iv, a.u, a.jb, a.ia, a.ta, a.dom, a.en, a.comp, a.ip, a.m, a.tm, a.tmz, a.ch, a.nm, a.o, a.sparse,
        a.added_before)::text
    OR b.j::text IS DISTINCT FROM a.j::text OR b.pt::text IS DISTINCT FROM a.pt::text
    OR a.added_after IS DISTINCT FROM 'dflt';
SELECT count(*) AS differ_values FROM before b JOIN t a USING (id)
 WHERE NOT ((b.time, b.device, b.i2, b.i4, b.i8, b.f4, b.f8, b.num, b.num2, b.txt, b.txt_posix, b.vc, b.bt, b.flag, b.d,
             b.ts, b.tstz, b.iv, b.u, b.jb, b.ia, b.ta, b.dom, b.en, b.comp, b.ip, b.m, b.tm, b.tmz, b.ch, b.nm, b.o,
             b.sparse, b.added_before)
            IS NOT DISTINCT FROM
            (a.time, a.device, a.i2, a.i4, a.i8, a.f4, a.f8, a.num, a.num2, a.txt, a.txt_posix, a.vc, a.bt, a.flag, a.d,
             a.ts, a.tstz, a.iv, a.u, a.jb, a.ia, a.ta, a.dom, a.en, a.comp, a.ip, a.m, a.tm, a.tmz, a.ch, a.nm, a.o,
             a.sparse, a.added_before));
-- Binary identity of the values whose text could hide a difference.
SELECT count(*) AS differ_binary FROM before b JOIN t a USING (id)
 WHERE float4send(b.f4) IS DISTINCT FROM float4send(a.f4) OR float8send(b.f8) IS DISTINCT FROM float8send(a.f8)
    OR numeric_send(b.num) IS DISTINCT FROM numeric_send(a.num) OR jsonb_send(b.jb) IS DISTINCT FROM jsonb_send(a.jb);
SELECT id, f4, f8, left(num::text, 40) AS num, num2 FROM t WHERE id <= 4 OR id IN (11, 12) ORDER BY id;

-- Not compressed any more: a NOTICE with if_compressed (the default), an error without.
SELECT decompress_chunk(:'chunk') IS NOT NULL;
SELECT err(format('SELECT decompress_chunk(%L, if_compressed => false)', :'chunk'));

-- The procedures, and recompression of a partial chunk.
CALL convert_to_columnstore(:'chunk');
SELECT _strata_internal.chunk_status(:'chunk');
INSERT INTO t (time, id, device, i4) VALUES ('2024-01-01 00:00:30', 100000, 1, 5), ('2024-01-01 00:00:40', 100001, 7, 6);
SELECT _strata_internal.chunk_status(:'chunk') AS partial;
SELECT pg_relation_size(:'chunk') AS row_part_bytes;
COPY t (time, id, device, i4) FROM STDIN;
2024-01-01 00:00:50	100002	2	7
\.
SELECT _strata_internal.chunk_status(:'chunk') AS still_partial;
SELECT compress_chunk(:'chunk') IS NOT NULL;
SELECT _strata_internal.chunk_status(:'chunk') AS recompressed;
SELECT pg_relation_size(:'chunk') AS row_part_bytes;
SELECT sum(_strata_count) AS rows, count(*) AS batches FROM _strata_internal._hyper_1_1_cs;
CALL convert_to_rowstore(:'chunk');
SELECT count(*) FROM t;
SELECT count(*) AS differ FROM before b JOIN t a USING (id) WHERE b::text IS DISTINCT FROM
  (a.time, a.id, a.device, a.i2, a.i4, a.i8, a.f4, a.f8, a.num, a.num2, a.txt, a.txt_posix, a.vc, a.bt, a.flag, a.d,
   a.ts, a.tstz, a.iv, a.u, a.j, a.jb, a.ia, a.ta, a.dom, a.en, a.comp, a.ip, a.m, a.tm, a.tmz, a.ch, a.nm, a.o,
   a.pt, a.sparse, a.added_before)::text;

-- Errors.
SELECT err('SELECT compress_chunk(NULL)');
SELECT err($$SELECT compress_chunk('before')$$);
CREATE TABLE off (time timestamptz NOT NULL, v int);
SELECT count(*) FROM create_hypertable('off', by_range('time'));
INSERT INTO off VALUES ('2024-01-01', 1);
SELECT err($$SELECT compress_chunk(c) FROM show_chunks('off') c$$);
CREATE ROLE cs_rt_user;
GRANT USAGE ON SCHEMA cs_rt, _strata_internal TO cs_rt_user;
SET ROLE cs_rt_user;
SELECT err(format('SELECT compress_chunk(%L)', :'chunk'));
RESET ROLE;
REVOKE USAGE ON SCHEMA _strata_internal FROM cs_rt_user;

-- An error in the middle of compression leaves the chunk as it was.
BEGIN;
SELECT compress_chunk(:'chunk') IS NOT NULL;
SELECT _strata_internal.chunk_status(:'chunk');
ROLLBACK;
SELECT _strata_internal.chunk_status(:'chunk'), count(*) FROM t GROUP BY 1;

-- An empty chunk compresses to an empty companion.
DELETE FROM t;
SELECT count(*) FROM t;
-- DROP TABLE of a compressed chunk's hypertable takes companion and catalog rows along.
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('t') c;
SELECT count(*) FROM _strata_internal._hyper_1_1_cs;
DROP TABLE t;
SELECT count(*) FROM _strata_catalog.compressed_chunk;
SELECT to_regclass('_strata_internal._hyper_1_1_cs');

DROP SCHEMA cs_rt CASCADE;
DROP ROLE cs_rt_user;
