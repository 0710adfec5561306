-- Columnstore settings: ALTER TABLE ... SET (timescaledb.compress, ...) in every spelling, the
-- defaults, what is stored, and every validation error with its SQLSTATE; turning the
-- columnstore off again (refused while compressed chunks exist).
SET TimeZone = 'UTC';
CREATE SCHEMA cs_settings;
SET search_path = cs_settings, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION settings(ht regclass) RETURNS TABLE (state smallint, segmentby name[], orderby name[],
    orderby_desc boolean[], orderby_nullsfirst boolean[], minmax name[], bloom name[])
  LANGUAGE sql STABLE AS $$
  SELECT h.compression_state, s.segmentby, s.orderby, s.orderby_desc, s.orderby_nullsfirst, s.minmax, s.bloom
    FROM _strata_catalog.hypertable h LEFT JOIN _strata_catalog.compression_settings s ON s.hypertable_id = h.id
   WHERE format('%I.%I', h.schema_name, h.table_name)::regclass = ht
$$;

CREATE TABLE metrics (time timestamptz NOT NULL, device_id int, host text, cpu float8, tags json,
                      PRIMARY KEY (device_id, time));
SELECT count(*) FROM create_hypertable('metrics', by_range('time'));
SELECT * FROM settings('metrics');

-- Defaults: segment by the primary key's columns before time, order by time DESC.
ALTER TABLE metrics SET (timescaledb.compress);
SELECT * FROM settings('metrics');
SELECT hypertable_name, compression_enabled FROM strata_information.hypertables WHERE hypertable_name = 'metrics';

-- Every spelling of every option, with either prefix.
ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'host');
SELECT segmentby, orderby FROM settings('metrics');
ALTER TABLE metrics SET (timescaledb.segmentby = 'device_id', timescaledb.orderby = 'time ASC');
SELECT segmentby, orderby, orderby_desc, orderby_nullsfirst FROM settings('metrics');
ALTER TABLE metrics SET (timescaledb.segment_by = '"host"', timescaledb.order_by = 'time DESC NULLS LAST, cpu');
SELECT segmentby, orderby, orderby_desc, orderby_nullsfirst, minmax FROM settings('metrics');
ALTER TABLE metrics SET (strata.compress_segmentby = '', strata.compress_orderby = 'time');
SELECT segmentby, orderby FROM settings('metrics');
ALTER TABLE metrics SET (timescaledb.compress_index = 'bloom(host), minmax(cpu)');
SELECT minmax, bloom FROM settings('metrics');
ALTER TABLE metrics SET (timescaledb.sparse_index = 'bloom(device_id)');
SELECT minmax, bloom FROM settings('metrics');
ALTER TABLE metrics SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'device_id');
ALTER TABLE metrics SET (timescaledb.columnstore, timescaledb.compress_orderby = 'time desc');
SELECT * FROM settings('metrics');
-- Columnstore options mixed with a storage parameter: both apply.
ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'device_id', fillfactor = 90);
SELECT reloptions FROM pg_class WHERE oid = 'metrics'::regclass;

-- Errors.
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'nosuch')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_orderby = 'nosuch')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_index = 'bloom(nosuch)')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'host')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_orderby = 'time sideways')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_orderby = 'time DESC NULLS')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'a,,b')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_orderby = 'tags')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'tags')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_index = 'minmax(tags)')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_index = 'bloom(device_id)', timescaledb.compress_segmentby = 'device_id')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_index = 'hash(cpu)')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress = 'maybe')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.no_such_option = 1)$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'host', timescaledb.segmentby = 'host')$$);
SELECT err($$ALTER TABLE metrics RESET (timescaledb.compress_segmentby)$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_chunk_time_interval = '1 day')$$);
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress = false, timescaledb.compress_segmentby = 'host')$$);
-- A failed statement changes nothing.
SELECT segmentby, orderby FROM settings('metrics');

-- A plain table.
CREATE TABLE plain (time timestamptz, v int);
SELECT err($$ALTER TABLE plain SET (timescaledb.compress)$$);
-- Settings on a hypertable whose columnstore is not enabled need timescaledb.compress.
CREATE TABLE other (time timestamptz NOT NULL, v int);
SELECT count(*) FROM create_hypertable('other', by_range('time'));
SELECT err($$ALTER TABLE other SET (timescaledb.compress_segmentby = 'v')$$);
-- Reserved column names.
CREATE TABLE reserved (time timestamptz NOT NULL, _strata_count int);
SELECT count(*) FROM create_hypertable('reserved', by_range('time'));
SELECT err($$ALTER TABLE reserved SET (timescaledb.compress)$$);
-- Only the owner.
CREATE ROLE cs_settings_user;
GRANT USAGE ON SCHEMA cs_settings TO cs_settings_user;
SET ROLE cs_settings_user;
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress_segmentby = 'host')$$);
RESET ROLE;

-- Without a unique index: no segmentby; minmax also for columns leading a btree index.
CREATE INDEX ON other (v);
ALTER TABLE other SET (timescaledb.compress);
SELECT * FROM settings('other');

-- Turning it off: allowed without compressed chunks, refused with one.
ALTER TABLE other SET (timescaledb.compress = false);
SELECT * FROM settings('other');
INSERT INTO metrics VALUES ('2024-01-01', 1, 'a', 1.0, '{}');
SELECT count(*) FROM (SELECT compress_chunk(c) FROM show_chunks('metrics') c) s;
SELECT err($$ALTER TABLE metrics SET (timescaledb.compress = false)$$);
SELECT count(*) FROM (SELECT decompress_chunk(c) FROM show_chunks('metrics') c) s;
ALTER TABLE metrics SET (timescaledb.compress = false);
SELECT * FROM settings('metrics');

-- Dropping the hypertable removes its settings row.
ALTER TABLE metrics SET (timescaledb.compress);
DROP TABLE metrics;
SELECT count(*) FROM _strata_catalog.compression_settings s
  WHERE NOT EXISTS (SELECT FROM _strata_catalog.hypertable h WHERE h.id = s.hypertable_id);

-- Types of the user's schema as segmentby (an enum), orderby (a domain) and minmax (a range)
-- columns: the companion holds them by their qualified names (its DDL runs with search_path
-- pg_catalog), the rows come back, segmentby and minmax filters work; ALTER COLUMN TYPE to another
-- of the schema's types.
CREATE TYPE color AS ENUM ('red', 'green', 'blue');
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN bigposint AS bigint CHECK (VALUE > 0);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE typed (time timestamptz NOT NULL, c color, k posint, r floatrange, n int);
SELECT count(*) FROM create_hypertable('typed', by_range('time', interval '1 day'));
ALTER TABLE typed SET (timescaledb.compress, timescaledb.compress_segmentby = 'c',
                       timescaledb.compress_orderby = 'k, time', timescaledb.compress_index = 'minmax(r)');
INSERT INTO typed SELECT timestamptz '2024-01-01' + g * interval '1 minute', (ARRAY['red', 'green', 'blue'])[g % 3 + 1]::color,
                         g % 50 + 1, floatrange(g, g + 0.5), g
  FROM generate_series(1, 3000) g;
CREATE TABLE typed_expected AS SELECT * FROM typed;
SELECT count(compress_chunk(c)) FROM show_chunks('typed') c;
CREATE VIEW typed_companion AS
  SELECT DISTINCT a.attname, format_type(a.atttypid, a.atttypmod)
    FROM _strata_catalog.compressed_chunk cc JOIN pg_class k ON k.relname = cc.table_name
    JOIN pg_attribute a ON a.attrelid = k.oid
   WHERE a.attnum > 0 AND a.attname IN ('c', '_strata_min_1', '_strata_max_3') ORDER BY 1, 2;
SELECT * FROM typed_companion;
SELECT count(*) AS differences
  FROM ((TABLE typed EXCEPT ALL TABLE typed_expected) UNION ALL (TABLE typed_expected EXCEPT ALL TABLE typed)) d;
SELECT c, count(*), min(k), max(n) FROM typed WHERE c = 'green' GROUP BY c;
SELECT count(*) FROM typed WHERE r && floatrange(100, 200);
ALTER TABLE typed ALTER COLUMN k TYPE bigposint;
SELECT * FROM typed_companion;
SELECT count(*) AS differences
  FROM ((SELECT time, c, k::bigint, r, n FROM typed EXCEPT ALL SELECT time, c, k, r, n FROM typed_expected)
        UNION ALL (SELECT time, c, k, r, n FROM typed_expected EXCEPT ALL SELECT time, c, k::bigint, r, n FROM typed)) d;
SELECT count(*), min(k), max(k) FROM typed WHERE c = 'blue';

DROP SCHEMA cs_settings CASCADE;
DROP ROLE cs_settings_user;
