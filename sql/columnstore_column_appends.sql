-- strata.compression_column_appends: compress_chunk keeps a batch's rows column by column and
-- hands each column to the batch builder every 128 rows, when the batch is cut and when a
-- dictionary group starts, instead of handing the builder each row as it comes. The batches
-- (companion rows) are the same bytes either way, whatever the types, NULLs, toasted values,
-- dropped and added columns, blooms, min/max and shared dictionaries; and the rows come back as
-- they were.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_colapp;
SET search_path = cs_colapp, public;
SHOW strata.compression_column_appends;

-- The companion table of compressed chunk `ch`.
CREATE FUNCTION companion(ch regclass) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', c.schema_name, c.table_name) FROM _strata_catalog.compressed_chunk c
    JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = ch $$;
-- Compresses every chunk of `tab` with the setting off (rows handed over one by one), keeps the
-- companions' rows as text, decompresses, compresses again with it on: the batches, dictionary
-- rows, and companion rows that differ (byte for byte).
CREATE FUNCTION on_off(tab regclass, OUT batches bigint, OUT dictionary_rows bigint, OUT differences bigint)
LANGUAGE plpgsql AS $$
DECLARE
  ch regclass;
  comp text;
  n bigint;
BEGIN
  batches := 0;
  dictionary_rows := 0;
  differences := 0;
  FOR ch IN SELECT show_chunks(tab) LOOP
    PERFORM set_config('strata.compression_column_appends', 'off', true);
    PERFORM compress_chunk(ch);
    comp := cs_colapp.companion(ch);
    EXECUTE format('CREATE TEMP TABLE rows_off AS SELECT c::text AS row FROM %s c', comp);
    PERFORM decompress_chunk(ch);
    PERFORM set_config('strata.compression_column_appends', 'on', true);
    PERFORM compress_chunk(ch);
    comp := cs_colapp.companion(ch);
    EXECUTE format('SELECT count(*) FILTER (WHERE _strata_count > 0), count(*) FILTER (WHERE _strata_count = 0) FROM %s', comp)
      INTO STRICT batches, n;
    dictionary_rows := dictionary_rows + n;
    EXECUTE format('SELECT count(*) FROM ((SELECT c::text FROM %s c EXCEPT ALL SELECT row FROM rows_off)
                    UNION ALL (SELECT row FROM rows_off EXCEPT ALL SELECT c::text FROM %s c)) d', comp, comp) INTO n;
    differences := differences + n;
    DROP TABLE rows_off;
  END LOOP;
END $$;

-- Every codec type family, NULLs in every column, NaN and infinities, a value long enough to be
-- compressed in its row and one stored out of line (detoasted copies the pending cells point
-- into), a bloom and min/max columns, two segments of 2,500 and 1,700 rows (partial last batches).
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
CREATE TABLE t (time timestamptz NOT NULL, seg text, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
                b bool, d date, ts timestamp, u uuid, txt text, num numeric, j jsonb, arr int4[], m mood,
                p posint, big text, drop_me int4);
SELECT count(*) FROM create_hypertable('t', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                   timescaledb.compress_orderby = 'time DESC',
                   timescaledb.compress_index = 'bloom(txt), minmax(num), minmax(i4)');
ALTER TABLE t ALTER COLUMN big SET STORAGE EXTENDED;
INSERT INTO t
SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second',
       CASE WHEN g % 5 < 3 THEN 'a' ELSE 'b' END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 30000)::int2 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE g * 3 END,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g::int8 * 1000003 END,
       CASE WHEN g % 17 = 0 THEN NULL WHEN g % 101 = 0 THEN 'NaN'::float4 ELSE g / 7.0 END,
       CASE WHEN g % 19 = 0 THEN NULL WHEN g % 103 = 0 THEN 'NaN'::float8 WHEN g % 107 = 0 THEN '-Infinity'::float8
            ELSE g / 16.0 END,
       CASE WHEN g % 23 = 0 THEN NULL ELSE g % 2 = 0 END,
       CASE WHEN g % 29 = 0 THEN NULL ELSE date '2026-01-01' + g % 400 END,
       CASE WHEN g % 31 = 0 THEN NULL ELSE timestamp '2026-01-01 00:00:00' + g * interval '1 minute' END,
       CASE WHEN g % 37 = 0 THEN NULL ELSE md5(g::text)::uuid END,
       CASE WHEN g % 41 = 0 THEN NULL ELSE 'dev_' || (g % 9) END,
       CASE WHEN g % 43 = 0 THEN NULL WHEN g % 2 = 0 THEN 1.0 ELSE (g / 3.0)::numeric(12, 4) END,
       CASE WHEN g % 47 = 0 THEN NULL ELSE jsonb_build_object('k', g % 5, 'v', g) END,
       CASE WHEN g % 53 = 0 THEN NULL ELSE ARRAY[g, g + 1] END,
       CASE WHEN g % 59 = 0 THEN NULL ELSE (ARRAY['sad', 'ok', 'happy'])[g % 3 + 1]::mood END,
       CASE WHEN g % 61 = 0 THEN NULL ELSE g END,
       CASE WHEN g % 250 = 0 THEN repeat('compressible ', 400) || g
            WHEN g % 251 = 0 THEN (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 200) k)
            WHEN g % 3 = 0 THEN NULL ELSE 'v' || g END,
       g
  FROM generate_series(1, 4200) g;
-- a dropped column, and one added with a default after the rows (its value is the default's,
-- held in the catalog: the rows have no such attribute)
ALTER TABLE t DROP COLUMN drop_me;
ALTER TABLE t ADD COLUMN added text DEFAULT 'added default';
-- (the long values: one compressed in its row, one out of line)
SELECT count(*) FILTER (WHERE pg_column_compression(big) IS NOT NULL) > 0 AS compressed_values,
       count(*) FILTER (WHERE octet_length(big) > 6000) > 0 AS long_values FROM t;
ANALYZE t;
CREATE TABLE expected AS SELECT * FROM t;
SELECT * FROM on_off('t');
SELECT count(*) AS differences FROM ((SELECT * FROM t EXCEPT ALL SELECT * FROM expected)
                                     UNION ALL (SELECT * FROM expected EXCEPT ALL SELECT * FROM t)) d;
SELECT count(*) AS rows, count(*) FILTER (WHERE added = 'added default') AS defaults, count(DISTINCT big) AS bigs FROM t;

-- Shared dictionaries (a segment of more than a batch, a few values per text column, as fleet's
-- status), a segment of a single row, and a column of NULLs only.
CREATE TABLE fleet (time timestamptz NOT NULL, account text, device text, status text, nothing text, v float8);
SELECT count(*) FROM create_hypertable('fleet', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE fleet SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                       timescaledb.compress_orderby = 'time, device', timescaledb.compress_index = 'bloom(device)');
INSERT INTO fleet
SELECT timestamptz '2026-02-01 00:00:00+00' + (g / 50) * interval '2 minutes', 'acct_' || (g % 3),
       'device_' || lpad((g % 50)::text, 4, '0'), (ARRAY['online', 'offline', 'updating'])[g % 3 + 1], NULL, g
  FROM generate_series(0, 8999) g;
INSERT INTO fleet VALUES (timestamptz '2026-02-01 00:00:00+00', 'lonely', 'device_x', 'online', NULL, 1);
ANALYZE fleet;
CREATE TABLE fleet_expected AS SELECT * FROM fleet;
SELECT batches > 9 AS several_batches, dictionary_rows > 0 AS shared_dictionaries, differences FROM on_off('fleet');
SELECT count(*) AS differences FROM ((SELECT * FROM fleet EXCEPT ALL SELECT * FROM fleet_expected)
                                     UNION ALL (SELECT * FROM fleet_expected EXCEPT ALL SELECT * FROM fleet)) d;
SELECT count(*) AS device_7_rows FROM fleet WHERE device = 'device_0007';
-- The same without NULLs (fleet's `nothing` gives every row one): the dictionaries' planning pass
-- and the sort keys after a text column deform the rows from the compact plan too, and through
-- the slot with the setting off; a misread value there changes the dictionaries or the order.
CREATE TABLE fleet2 (time timestamptz NOT NULL, account text, device text, reading int8, status text, v float8);
SELECT count(*) FROM create_hypertable('fleet2', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE fleet2 SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                        timescaledb.compress_orderby = 'time, device, reading DESC');
INSERT INTO fleet2
SELECT timestamptz '2026-02-01 00:00:00+00' + (g / 50) * interval '2 minutes', 'acct_' || repeat('x', g % 3),
       'device_' || lpad((g % 50)::text, 4 + g % 2, '0'), g % 7, (ARRAY['online', 'offline', 'updating'])[g % 3 + 1], g
  FROM generate_series(0, 8999) g;
ANALYZE fleet2;
CREATE TABLE fleet2_expected AS SELECT * FROM fleet2;
SELECT batches >= 9 AS several_batches, dictionary_rows > 0 AS shared_dictionaries, differences FROM on_off('fleet2');
SELECT count(*) AS differences FROM ((SELECT * FROM fleet2 EXCEPT ALL SELECT * FROM fleet2_expected)
                                     UNION ALL (SELECT * FROM fleet2_expected EXCEPT ALL SELECT * FROM fleet2)) d;

-- Rows without NULLs that hold every attribute are deformed without the slot (compress.cpp,
-- deform_plain): every alignment and length (1-, 2-, 4-, 8-byte by value, fixed-length by
-- reference, short and long varlenas, a column dropped while its values stay in the rows), and
-- rows with NULLs among them (deformed through the slot) in the same batches.
CREATE TABLE plain (time timestamptz NOT NULL, seg text, ch "char", i2 int2, t1 text, i4 int4, b bool, i8 int8,
                    nm name, f4 float4, iv interval, gone int8, u uuid, long text, f8 float8, n numeric, pt point,
                    d date, ts timestamp);
SELECT count(*) FROM create_hypertable('plain', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE plain SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                       timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(t1), bloom(nm)');
INSERT INTO plain
SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 's' || (g % 2), chr(65 + g % 26)::"char",
       (g % 1000)::int2, repeat('t', g % 5) || g, g * 7, g % 3 = 0, g::int8 << 20, 'name_' || (g % 11),
       g / 3.0, make_interval(days => g % 40, secs => g), g * 11, md5(g::text)::uuid,
       repeat('long text ', 20 + g % 7) || g, g / 8.0, (g / 7.0)::numeric(14, 5), point(g, -g),
       date '2026-01-01' + g % 300, timestamp '2026-01-01 00:00:00' + g * interval '1 second'
  FROM generate_series(1, 2600) g;
UPDATE plain SET f8 = NULL, t1 = NULL WHERE i4 % 97 = 0;
ALTER TABLE plain DROP COLUMN gone;
SELECT count(*) AS rows, count(*) FILTER (WHERE f8 IS NULL) AS rows_with_nulls FROM plain;
ANALYZE plain;
CREATE TABLE plain_expected AS SELECT * FROM plain;
SELECT * FROM on_off('plain');
SELECT count(*) AS differences FROM ((SELECT p::text FROM plain p EXCEPT ALL SELECT e::text FROM plain_expected e)
                                     UNION ALL (SELECT e::text FROM plain_expected e EXCEPT ALL SELECT p::text FROM plain p)) d;
SELECT count(*) AS name_5_rows FROM plain WHERE nm = 'name_5';

RESET search_path;
DROP SCHEMA cs_colapp CASCADE;
