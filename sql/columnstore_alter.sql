-- Schema changes on a hypertable with compressed chunks (issue 17): ADD / DROP COLUMN, SET / DROP
-- DEFAULT, RENAME COLUMN (companions and settings follow), RENAME of the hypertable, NOT NULL /
-- CHECK / UNIQUE / FOREIGN KEY validated over compressed rows, ALTER COLUMN TYPE rewriting the
-- batches (failure half way loses nothing), CREATE INDEX adding minmax metadata for the next
-- compressions, changed segmentby/orderby. After every change the hypertable holds exactly what
-- a plain table given the same statements holds.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET check_function_bodies = off;
CREATE SCHEMA cs_alter;
CREATE SCHEMA cs_plain;  -- the plain twin cs_plain.m
SET search_path = cs_alter, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- Runs a statement on the hypertable m and on the plain table cs_plain.m; one result when both
-- give the same.
CREATE FUNCTION both_(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  a := err(replace(q, '%t', 'cs_alter.m'));
  b := err(replace(q, '%t', 'cs_plain.m'));
  RETURN CASE WHEN a = b THEN a ELSE 'hypertable: ' || a || ' / plain: ' || b END;
END $$;

-- Rows of m that the plain table does not have, and the other way round (0 0: the same).
CREATE FUNCTION differ() RETURNS text LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM (SELECT * FROM cs_alter.m EXCEPT ALL SELECT * FROM cs_plain.m) x) || ' ' ||
         (SELECT count(*) FROM (SELECT * FROM cs_plain.m EXCEPT ALL SELECT * FROM cs_alter.m) y)
$$;

CREATE FUNCTION chunk_states() RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(_strata_internal.chunk_status(c)::text, ',' ORDER BY c) FROM show_chunks('m') c
$$;

CREATE TABLE m (time timestamptz NOT NULL, dev int, val int, note text, f float4);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
CREATE TABLE cs_plain.m (time timestamptz NOT NULL, dev int, val int, note text, f float4);
INSERT INTO m SELECT '2024-01-01'::timestamptz + i * interval '1 minute', i % 4,
       CASE WHEN i % 500 = 7 THEN NULL ELSE i END, 'n' || (i % 50), i / 7.0
  FROM generate_series(1, 3000) i;
INSERT INTO cs_plain.m SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(val), bloom(note)');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT chunk_states(), differ();

-- ---- what works without rewriting anything ---------------------------------------------------
SELECT both_('ALTER TABLE %t ADD COLUMN a int');
SELECT both_('ALTER TABLE %t ADD COLUMN b int DEFAULT 7');
SELECT both_('ALTER TABLE %t ALTER COLUMN b SET DEFAULT 8');
SELECT both_('INSERT INTO %t (time, dev, val) VALUES (''2024-01-01 12:00:30'', 1, 5000)');
SELECT both_('ALTER TABLE %t ALTER COLUMN b DROP DEFAULT');
SELECT both_('ALTER TABLE %t DROP COLUMN a');
SELECT differ(), (SELECT sum(b) FROM m), (SELECT count(*) FROM m WHERE b = 8);
-- ADD COLUMN with a volatile default: PostgreSQL writes a value per row, compressed rows too
-- (their chunks are compressed again).
SELECT both_('ALTER TABLE %t ADD COLUMN vol float8 DEFAULT random()');
SELECT count(*) FILTER (WHERE vol IS NULL) AS null_vol, count(*) FROM m;
SELECT both_('ALTER TABLE %t DROP COLUMN vol');
SELECT chunk_states(), differ();

-- ---- RENAME COLUMN ------------------------------------------------------------------------------
SELECT both_('ALTER TABLE %t RENAME COLUMN val TO value');      -- minmax column
SELECT both_('ALTER TABLE %t RENAME COLUMN dev TO device');     -- segmentby column
SELECT both_('ALTER TABLE %t RENAME COLUMN note TO label');     -- bloom column
SELECT both_('ALTER TABLE %t RENAME COLUMN f TO ratio');        -- plain data column
SELECT segmentby, orderby, minmax, bloom FROM _strata_catalog.compression_settings;
SELECT DISTINCT segmentby, orderby, minmax, bloom FROM _strata_catalog.compressed_chunk;
SELECT err('ALTER TABLE m RENAME COLUMN value TO _strata_value');
SELECT differ();
-- Queries through segment, minmax and bloom filters on the renamed columns.
SELECT count(*), sum(value) FROM m WHERE device = 2 AND value BETWEEN 100 AND 900;
SELECT count(*), sum(value) FROM cs_plain.m WHERE device = 2 AND value BETWEEN 100 AND 900;
SELECT count(*) FROM m WHERE label = 'n7';
SELECT count(*) FROM cs_plain.m WHERE label = 'n7';
-- DML and recompression after the rename.
SELECT both_('UPDATE %t SET ratio = -1 WHERE value = 1234');
SELECT both_('DELETE FROM %t WHERE device = 3 AND value < 100');
SELECT both_('INSERT INTO %t (time, device, value, label) VALUES (''2024-01-02 01:00'', 9, 42, ''new'')');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT chunk_states(), differ();
-- RENAME of the hypertable.
ALTER TABLE m RENAME TO m_renamed;
SELECT count(*), sum(value) FROM m_renamed WHERE device = 1;
ALTER TABLE m_renamed RENAME TO m;
SELECT differ();

-- ---- constraints validated over compressed rows ---------------------------------------------
-- (value is NULL in some compressed rows; the row parts are empty)
SELECT both_('ALTER TABLE %t ALTER COLUMN value SET NOT NULL');
SELECT both_('ALTER TABLE %t ALTER COLUMN label SET NOT NULL');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT value_min CHECK (value > 10)');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT value_pos CHECK (value > 0)');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT value_small CHECK (value < 2000) NOT VALID');
SELECT both_('ALTER TABLE %t VALIDATE CONSTRAINT value_small');
SELECT both_('ALTER TABLE %t DROP CONSTRAINT value_small');
-- A column added NOT NULL without a default cannot be NULL in compressed rows either.
SELECT both_('ALTER TABLE %t ADD COLUMN nn int NOT NULL');
SELECT both_('ALTER TABLE %t ADD COLUMN nn int NOT NULL DEFAULT 1');
SELECT both_('ALTER TABLE %t DROP COLUMN nn');
-- UNIQUE / PRIMARY KEY: keys duplicated across the row part and compressed rows, and within
-- compressed rows, are found.
SELECT both_('INSERT INTO %t (time, device, value, label) VALUES (''2024-01-01 00:20'', 0, 20, ''n20'')');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT dup_key UNIQUE (time, label)');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT both_('CREATE UNIQUE INDEX dup_idx ON %t (label, time)');
SELECT both_('ALTER TABLE %t ADD PRIMARY KEY (time, label)');
SELECT both_('DELETE FROM %t WHERE time = ''2024-01-01 00:20'' AND device = 0');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT dup_key UNIQUE (time, label)');
SELECT both_('ALTER TABLE %t ADD CONSTRAINT u_key UNIQUE (time, device)');
SELECT both_('CREATE UNIQUE INDEX dup_idx ON %t (label, time) WHERE value > 0');
SELECT err('ALTER TABLE m ADD CONSTRAINT ex EXCLUDE USING btree (time WITH =, value WITH =)');
-- An inserted duplicate of a compressed row's key is refused.
SELECT both_('INSERT INTO %t (time, device, value, label) VALUES (''2024-01-01 00:10'', 2, 1, ''x'')');
-- FOREIGN KEY: validated over compressed rows (PostgreSQL's own check reads the row parts), with
-- PostgreSQL's error and detail (a chunk's name read as m). Each table references its own copy of
-- devices (%d).
CREATE TABLE devices (id int PRIMARY KEY);
CREATE TABLE cs_plain.devices (id int PRIMARY KEY);
CREATE FUNCTION fk_both(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text := 'ok'; b text := 'ok'; d text;
BEGIN
  BEGIN EXECUTE replace(replace(replace(q, '%t', 'cs_alter.m'), '%d', 'cs_alter.devices'), '%p', 'cs_alter.pairs');
  EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    a := regexp_replace(SQLSTATE || ': ' || SQLERRM || ' (' || d || ')', '_hyper_\d+_\d+_chunk', 'm', 'g');
  END;
  BEGIN EXECUTE replace(replace(replace(q, '%t', 'cs_plain.m'), '%d', 'cs_plain.devices'), '%p', 'cs_plain.pairs');
  EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    b := SQLSTATE || ': ' || SQLERRM || ' (' || d || ')';
  END;
  RETURN CASE WHEN a = b THEN a ELSE 'hypertable: ' || a || ' / plain: ' || b END;
END $$;
SELECT fk_both('INSERT INTO %d VALUES (0), (1), (2), (9)');  -- 3 is missing
SELECT chunk_states(), (SELECT count(*) FROM m WHERE device = 3) AS device_3_rows;
SELECT fk_both('ALTER TABLE %t ADD CONSTRAINT dev_fk FOREIGN KEY (device) REFERENCES %d (id)');
SELECT fk_both('ALTER TABLE %t ADD COLUMN dev2 int DEFAULT 3 REFERENCES %d (id)');
SELECT fk_both('INSERT INTO %d VALUES (3)');
SELECT fk_both('ALTER TABLE %t ADD CONSTRAINT dev_fk FOREIGN KEY (device) REFERENCES %d (id)');
SELECT chunk_states(), differ();
-- Enforced afterwards: new rows (the row parts of compressed chunks), and DELETE / UPDATE of a
-- referenced key whose rows are all compressed (the RI check reads the compressed rows).
SELECT fk_both('INSERT INTO %t (time, device, value) VALUES (''2024-01-01 00:10:30'', 5, 1)');
SELECT fk_both('DELETE FROM %d WHERE id = 3');
SELECT fk_both('UPDATE %d SET id = 33 WHERE id = 3');
SELECT fk_both('INSERT INTO %d VALUES (5)');
SELECT fk_both('INSERT INTO %t (time, device, value) VALUES (''2024-01-01 00:10:30'', 5, 1)');
SELECT fk_both('DELETE FROM %d WHERE id = 5');
SELECT fk_both('DELETE FROM %t WHERE device = 5');
SELECT fk_both('DELETE FROM %d WHERE id = 5');
SELECT chunk_states(), differ();
-- NOT VALID, then VALIDATE CONSTRAINT; MATCH FULL over two columns.
SELECT fk_both('ALTER TABLE %t DROP CONSTRAINT dev_fk');
SELECT fk_both('DELETE FROM %d WHERE id = 3');
SELECT fk_both('ALTER TABLE %t ADD CONSTRAINT dev_fk FOREIGN KEY (device) REFERENCES %d (id) NOT VALID');
SELECT fk_both('ALTER TABLE %t VALIDATE CONSTRAINT dev_fk');
SELECT fk_both('INSERT INTO %d VALUES (3)');
SELECT fk_both('ALTER TABLE %t VALIDATE CONSTRAINT dev_fk');
CREATE TABLE pairs (d int, v int, UNIQUE (d, v));
CREATE TABLE cs_plain.pairs (d int, v int, UNIQUE (d, v));
SELECT fk_both('INSERT INTO %p SELECT DISTINCT device, value FROM %t WHERE value IS NOT NULL');
SELECT count(*) FILTER (WHERE value IS NULL) AS null_values FROM m;
SELECT fk_both('ALTER TABLE %t ADD CONSTRAINT pair_fk FOREIGN KEY (device, value) REFERENCES %p (d, v) MATCH FULL');
SELECT fk_both('ALTER TABLE %t ADD CONSTRAINT pair_fk FOREIGN KEY (device, value) REFERENCES %p (d, v)');
SELECT fk_both('ALTER TABLE %t DROP CONSTRAINT pair_fk');
SELECT fk_both('ALTER TABLE %t DROP CONSTRAINT dev_fk');
-- Referential actions (CASCADE, SET NULL) write into compressed rows through DML on the chunks
-- (the batches holding the key are moved into their row parts first): as on a plain table.
CREATE TABLE fkd (id int PRIMARY KEY);
CREATE TABLE cs_plain.fkd (id int PRIMARY KEY);
INSERT INTO fkd SELECT generate_series(0, 5);
INSERT INTO cs_plain.fkd SELECT generate_series(0, 5);
CREATE TABLE fkc (time timestamptz NOT NULL, d int, v int);
SELECT count(*) FROM create_hypertable('fkc', by_range('time', interval '1 day'));
CREATE TABLE cs_plain.fkc (time timestamptz NOT NULL, d int, v int);
INSERT INTO fkc SELECT '2024-01-01'::timestamptz + i * interval '5 minutes', i % 6, i FROM generate_series(1, 1000) i;
INSERT INTO cs_plain.fkc SELECT * FROM fkc;
ALTER TABLE fkc SET (timescaledb.compress, timescaledb.compress_segmentby = 'd');
SELECT count(compress_chunk(c)) FROM show_chunks('fkc') c;
ALTER TABLE fkc ADD CONSTRAINT fkc_fk FOREIGN KEY (d) REFERENCES fkd (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE cs_plain.fkc ADD CONSTRAINT fkc_fk FOREIGN KEY (d) REFERENCES cs_plain.fkd (id) ON DELETE CASCADE ON UPDATE CASCADE;
DELETE FROM fkd WHERE id = 2;
DELETE FROM cs_plain.fkd WHERE id = 2;
UPDATE fkd SET id = 33 WHERE id = 3;
UPDATE cs_plain.fkd SET id = 33 WHERE id = 3;
ALTER TABLE fkc DROP CONSTRAINT fkc_fk;
ALTER TABLE cs_plain.fkc DROP CONSTRAINT fkc_fk;
SELECT count(compress_chunk(c, true)) FROM show_chunks('fkc') c;
ALTER TABLE fkc ADD CONSTRAINT fkc_fk FOREIGN KEY (d) REFERENCES fkd (id) ON DELETE SET NULL;
ALTER TABLE cs_plain.fkc ADD CONSTRAINT fkc_fk FOREIGN KEY (d) REFERENCES cs_plain.fkd (id) ON DELETE SET NULL;
DELETE FROM fkd WHERE id = 1;
DELETE FROM cs_plain.fkd WHERE id = 1;
SELECT d, count(*), sum(v) FROM fkc GROUP BY d ORDER BY d;
SELECT (SELECT count(*) FROM (TABLE fkc EXCEPT ALL TABLE cs_plain.fkc) x) AS only_ht,
       (SELECT count(*) FROM (TABLE cs_plain.fkc EXCEPT ALL TABLE fkc) y) AS only_plain;
DROP TABLE fkc, cs_plain.fkc;
SELECT chunk_states(), differ();
-- On a compressed chunk itself (pg_restore adds them so): validated over that chunk's rows only.
SELECT c AS chunk1 FROM show_chunks('m') c ORDER BY c LIMIT 1 \gset
SELECT err(format('ALTER TABLE %s ADD CONSTRAINT c CHECK (value < 1000 OR value = 5000)', :'chunk1'));
SELECT err(format('ALTER TABLE %s ADD CONSTRAINT c CHECK (value < 1440 OR value = 5000)', :'chunk1'));
SELECT err(format('ALTER TABLE %s DROP CONSTRAINT c', :'chunk1'));
-- A validated foreign key on a compressed chunk itself: PostgreSQL's check would read it by name.
SELECT err(format('ALTER TABLE %s ADD CONSTRAINT c_fk FOREIGN KEY (device) REFERENCES devices (id)', :'chunk1'));
SELECT chunk_states(), differ();

-- ---- ALTER COLUMN TYPE ----------------------------------------------------------------------------
-- A minmax column, int -> bigint: batches rewritten, metadata of the new type.
SELECT both_('ALTER TABLE %t ALTER COLUMN value TYPE bigint');
SELECT chunk_states(), differ();
SELECT DISTINCT a.attname, format_type(a.atttypid, a.atttypmod) FROM _strata_catalog.compressed_chunk cc
  JOIN pg_attribute a ON a.attrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass
 WHERE a.attname IN ('_strata_min_2', '_strata_max_2', 'device') ORDER BY 1;
SELECT count(*), sum(value), min(value), max(value) FROM m WHERE value BETWEEN 1000 AND 2000;
SELECT count(*), sum(value), min(value), max(value) FROM cs_plain.m WHERE value BETWEEN 1000 AND 2000;
SELECT both_('INSERT INTO %t (time, device, value) VALUES (''2024-01-01 03:00:30'', 1, 5000000000)');
SELECT count(*) FROM m WHERE value > 4000000000;
-- A USING expression over the column, and a conversion that fails half way (in a compressed
-- row; the row parts were converted already): nothing changed.
SELECT both_('ALTER TABLE %t ALTER COLUMN ratio TYPE numeric USING round(ratio::numeric, 1)');
SELECT both_('ALTER TABLE %t DROP CONSTRAINT value_pos');
SELECT both_('ALTER TABLE %t ALTER COLUMN value TYPE int USING 1000000 / (value - 2500)');
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'm'::regclass AND attname = 'value';
SELECT differ();
SELECT err('ALTER TABLE m ALTER COLUMN value TYPE int USING value + device');
-- A segmentby column: the companion's column changes type; with a conversion that may merge
-- or reorder values the chunks are compressed again.
SELECT both_('ALTER TABLE %t ALTER COLUMN device TYPE bigint');
SELECT count(*), sum(value) FROM m WHERE device = 2;
SELECT DISTINCT a.attname, format_type(a.atttypid, a.atttypmod) FROM _strata_catalog.compressed_chunk cc
  JOIN pg_attribute a ON a.attrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass
 WHERE a.attname = 'device';
SELECT both_('ALTER TABLE %t ALTER COLUMN device TYPE text USING ''d'' || (device % 2)');
SELECT device, count(*) FROM m GROUP BY 1 ORDER BY 1;
SELECT chunk_states(), differ();
-- The bloom column to another type keeps a bloom filter of the new type's hashes.
SELECT both_('ALTER TABLE %t ALTER COLUMN label TYPE varchar(10)');
SELECT count(*) FROM m WHERE label = 'n7';
SELECT differ();
-- An ADD COLUMN default read by compressed rows survives the rewrite.
SELECT both_('ALTER TABLE %t ADD COLUMN late int DEFAULT 11');
SELECT both_('ALTER TABLE %t ALTER COLUMN ratio TYPE float8');
SELECT count(*) FILTER (WHERE late = 11), count(*) FROM m;
SELECT chunk_states(), differ();

-- ---- CREATE INDEX: minmax metadata for new batches ---------------------------------------------
SELECT minmax FROM _strata_catalog.compression_settings;
CREATE INDEX ON m (ratio);
SELECT minmax FROM _strata_catalog.compression_settings;
-- Chunks compressed before keep theirs until they are compressed again.
SELECT DISTINCT minmax FROM _strata_catalog.compressed_chunk;
SELECT count(*) FROM m WHERE ratio > 300;
SELECT both_('INSERT INTO %t (time, device, value, ratio) VALUES (''2024-01-01 05:00:30'', ''d1'', 7, 999)');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT count(*) FROM _strata_catalog.compressed_chunk WHERE 'ratio' = ANY (minmax);
SELECT count(*) FROM m WHERE ratio > 300;
SELECT differ();

-- ---- segmentby / orderby changed with compressed chunks present --------------------------------
ALTER TABLE m SET (timescaledb.compress_segmentby = '', timescaledb.compress_orderby = 'value, time');
SELECT DISTINCT segmentby, orderby FROM _strata_catalog.compressed_chunk;
SELECT count(*), sum(value) FROM m WHERE device = 'd1';
SELECT count(*), sum(value) FROM cs_plain.m WHERE device = 'd1';
SELECT both_('INSERT INTO %t (time, device, value) VALUES (''2024-01-02 05:00:30'', ''d0'', 8)');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT segmentby, orderby, count(*) FROM _strata_catalog.compressed_chunk GROUP BY 1, 2 ORDER BY 1, 2;
SELECT chunk_states(), differ();
SELECT value FROM m WHERE value IS NOT NULL ORDER BY value, time LIMIT 3;
SELECT value FROM cs_plain.m WHERE value IS NOT NULL ORDER BY value, time LIMIT 3;

-- ALTER COLUMN TYPE of a column that orders one chunk's batches and has minmax metadata in the
-- others, with a conversion not known to keep the order: that chunk is compressed again, the
-- others' batches are converted.
SELECT both_('ALTER TABLE %t ALTER COLUMN value TYPE numeric');
SELECT chunk_states(), differ();
SELECT count(*), sum(value) FROM m WHERE value BETWEEN 100 AND 2000.5;
SELECT count(*), sum(value) FROM cs_plain.m WHERE value BETWEEN 100 AND 2000.5;

-- Decompressed, every row is what the plain table has.
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
SELECT chunk_states(), differ();
DROP SCHEMA cs_alter, cs_plain CASCADE;
