-- DROP COLUMN on a hypertable with compressed chunks (issue 17, schema changes). The companions
-- find data columns and min/max / bloom metadata by name: a column dropped and added again under
-- the same name must read its missing value (ADD COLUMN's default) in old batches, never the old
-- column's values or metadata. Segmentby and orderby columns cannot be dropped (0A000).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dc;
SET search_path = cs_dc, public;
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN EXECUTE q; RETURN 'ok';
EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE m (time timestamptz NOT NULL, dev int NOT NULL, v int, w int, note text, tag text);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 'time DESC, v',
                   timescaledb.compress_index = 'minmax(w), bloom(tag)');
INSERT INTO m SELECT timestamptz '2024-01-01' + g * interval '10 minutes', g % 3, g, g, 'n' || g, 't' || (g % 50)
  FROM generate_series(1, 400) g;
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;

-- Segmentby and orderby columns stay.
SELECT err('ALTER TABLE m DROP COLUMN dev');
SELECT err('ALTER TABLE m DROP COLUMN v');

-- A data column dropped and added again: the old batches read the new column's default.
ALTER TABLE m DROP COLUMN note;
ALTER TABLE m ADD COLUMN note text;
SELECT count(note) AS notes FROM m;
ALTER TABLE m DROP COLUMN note;
ALTER TABLE m ADD COLUMN note int DEFAULT 7;
SELECT count(*) AS rows, sum(note) AS notes FROM m;

-- A min/max column: its metadata must not skip batches for the new column.
ALTER TABLE m DROP COLUMN w;
ALTER TABLE m ADD COLUMN w int DEFAULT 1000000;
SELECT count(*) AS matching FROM m WHERE w = 1000000;
SELECT count(*) AS matching FROM m WHERE w < 1000;
-- A bloom column: likewise.
ALTER TABLE m DROP COLUMN tag;
ALTER TABLE m ADD COLUMN tag text DEFAULT 't7';
SELECT count(*) AS matching FROM m WHERE tag = 't7';
-- The settings no longer name the dropped columns; the chunks' settings hold a reserved name.
SELECT segmentby, orderby, minmax, bloom FROM _strata_catalog.compression_settings s
  JOIN _strata_catalog.hypertable h ON h.id = s.hypertable_id WHERE h.table_name = 'm';
SELECT DISTINCT minmax, bloom FROM _strata_catalog.compressed_chunk;
-- The companions lost the dropped data columns.
SELECT count(*) AS old_columns FROM pg_attribute a JOIN _strata_catalog.compressed_chunk cc
    ON a.attrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass
  WHERE a.attname IN ('note', 'w', 'tag') AND NOT a.attisdropped;

-- Writes, recompression and decompression go on with the new columns.
INSERT INTO m (time, dev, v, note, w, tag) VALUES ('2024-01-01 00:05', 1, -1, 1, 1, 'x');
UPDATE m SET note = 8 WHERE dev = 2 AND time < '2024-01-01 06:00';
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT count(*) AS rows, sum(note) AS notes, count(*) FILTER (WHERE w = 1000000) AS w_default,
       count(*) FILTER (WHERE tag = 't7') AS tag_default FROM m;
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
SELECT count(*) AS rows, sum(note) AS notes, count(*) FILTER (WHERE w = 1000000) AS w_default,
       count(*) FILTER (WHERE tag = 't7') AS tag_default FROM m;
-- Compressing again with the current settings works (the dropped names are gone from them).
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT count(*) AS rows, sum(note) AS notes FROM m;

-- A column that a chunk was compressed with as segmentby, after the settings changed: refused
-- until that chunk is recompressed.
ALTER TABLE m ADD COLUMN grp int DEFAULT 1;
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
ALTER TABLE m SET (timescaledb.compress_segmentby = 'grp');
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
ALTER TABLE m SET (timescaledb.compress_segmentby = 'dev');
SELECT err('ALTER TABLE m DROP COLUMN grp');

-- No compressed chunk yet: the settings follow the drop all the same (a sparse index column
-- leaves them; segmentby and orderby columns are refused).
CREATE TABLE n (t timestamptz NOT NULL, dev int, v float8, w int);
SELECT create_hypertable('n', 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok;
ALTER TABLE n SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                   timescaledb.compress_orderby = 't DESC', timescaledb.compress_index = 'minmax(w), bloom(v)');
INSERT INTO n VALUES ('2025-01-01', 1, 1.5, 2);
SELECT err('ALTER TABLE n DROP COLUMN dev');
SELECT err('ALTER TABLE n DROP COLUMN t');
ALTER TABLE n DROP COLUMN w, DROP COLUMN v;
SELECT segmentby, orderby, minmax, bloom FROM _strata_catalog.compression_settings s
  JOIN _strata_catalog.hypertable h ON h.id = s.hypertable_id WHERE h.table_name = 'n';
ALTER TABLE n ADD COLUMN w int DEFAULT 5;
SELECT count(compress_chunk(c)) FROM show_chunks('n') c;
SELECT * FROM n WHERE w = 5;
RESET search_path;
DROP SCHEMA cs_dc CASCADE;
