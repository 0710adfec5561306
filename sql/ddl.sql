-- DDL on a hypertable reaches every chunk: indexes, constraints, columns, triggers, privileges and
-- owner. Chunk names depend on ids, so chunks are summarised: each definition with the chunk and
-- index names masked, and how many chunks carry it.
SET client_min_messages = warning;
-- Everything here lives in its own schema, apart from the other tests' tables.
CREATE SCHEMA ddl_test;
SET search_path = ddl_test, public;

CREATE FUNCTION ddl_mask(def text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT regexp_replace(regexp_replace(def, 'INDEX \S+ ON (ONLY )?\S+', 'INDEX ON tbl'),
                        '_strata_internal\._hyper_\d+_\d+_chunk', 'tbl', 'g')
$$;
CREATE FUNCTION ddl_chunks(ht regclass) RETURNS SETOF regclass LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', c.schema_name, c.table_name)::regclass
    FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
   WHERE format('%I.%I', h.schema_name, h.table_name)::regclass = ht
$$;
-- Indexes of the hypertable (chunks = 0) and, masked, of its chunks with how many carry each.
CREATE FUNCTION ddl_indexes(ht regclass) RETURNS TABLE(chunks bigint, def text) LANGUAGE sql STABLE AS $$
  SELECT 0::bigint, ddl_mask(pg_get_indexdef(indexrelid)) FROM pg_index WHERE indrelid = ht
  UNION ALL
  SELECT count(*), ddl_mask(pg_get_indexdef(i.indexrelid))
    FROM ddl_chunks(ht) c JOIN pg_index i ON i.indrelid = c GROUP BY 2
  ORDER BY 2, 1
$$;
-- Constraints other than each chunk's own range check.
CREATE FUNCTION ddl_constraints(ht regclass) RETURNS TABLE(chunks bigint, type "char", def text)
LANGUAGE sql STABLE AS $$
  SELECT 0::bigint, contype, conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE conrelid = ht
  UNION ALL
  SELECT count(*), k.contype, pg_get_constraintdef(k.oid)
    FROM ddl_chunks(ht) c JOIN pg_constraint k ON k.conrelid = c
   WHERE NOT (k.contype = 'c' AND k.coninhcount = 0) GROUP BY 2, 3
  ORDER BY 3, 1
$$;
CREATE FUNCTION ddl_triggers(ht regclass) RETURNS TABLE(chunks bigint, name name, enabled "char", def text)
LANGUAGE sql STABLE AS $$
  SELECT 0::bigint, tgname, tgenabled, ddl_mask(regexp_replace(pg_get_triggerdef(oid), ' ON \S+', ' ON tbl'))
    FROM pg_trigger WHERE tgrelid = ht AND NOT tgisinternal AND tgname !~ '^_strata'
  UNION ALL
  SELECT count(*), t.tgname, t.tgenabled, ddl_mask(regexp_replace(pg_get_triggerdef(t.oid), ' ON \S+', ' ON tbl'))
    FROM ddl_chunks(ht) c JOIN pg_trigger t ON t.tgrelid = c
   WHERE NOT t.tgisinternal GROUP BY 2, 3, 4
  ORDER BY 2, 1
$$;
-- (strata's own triggers on the hypertable are left out.)
-- Chunks whose owner or privileges differ from the hypertable's.
CREATE FUNCTION ddl_acl_mismatches(ht regclass) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM ddl_chunks(ht) c, pg_class cc, pg_class hc
   WHERE cc.oid = c AND hc.oid = ht
     AND (cc.relowner <> hc.relowner OR cc.relacl IS DISTINCT FROM hc.relacl)
$$;
CREATE FUNCTION ddl_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '_hyper_\d+_\d+_chunk\w*', 'chunk', 'g');
END
$$;

CREATE TABLE metrics (time timestamptz NOT NULL, device int, value float8);
SELECT true AS created FROM create_hypertable('metrics', 'time', chunk_time_interval => interval '1 day');
INSERT INTO metrics
SELECT t, d, d * 1.5 FROM generate_series('2024-01-01'::timestamptz, '2024-01-03 12:00', '12 hours') t,
       generate_series(1, 3) d;
SELECT count(*) AS chunks FROM ddl_chunks('metrics');
SELECT * FROM ddl_indexes('metrics');

-- CREATE INDEX: plain, unique (with the time column), partial, expression, INCLUDE, opclass,
-- collation, DESC; each lands on every chunk and in the chunk_index mapping.
CREATE INDEX metrics_device_idx ON metrics (device, time DESC);
CREATE UNIQUE INDEX metrics_device_time_key ON metrics (time, device);
CREATE INDEX metrics_partial_idx ON metrics (value) WHERE value > 2;
CREATE INDEX metrics_expr_idx ON metrics ((value * 2)) INCLUDE (device);
CREATE INDEX metrics_opclass_idx ON metrics USING hash (device);
CREATE INDEX metrics_text_idx ON metrics ((device::text) COLLATE "C" text_pattern_ops);
CREATE INDEX ON metrics (value);
CREATE INDEX IF NOT EXISTS metrics_device_idx ON metrics (value);
SELECT * FROM ddl_indexes('metrics');
SELECT ci.hypertable_index_name, count(*)
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%' GROUP BY 1 ORDER BY 1;
-- The unique index is enforced on each chunk.
SELECT ddl_error($$INSERT INTO metrics VALUES ('2024-01-01', 1, 0)$$);
-- Unique indexes and primary keys must include the time column.
SELECT ddl_error('CREATE UNIQUE INDEX ON metrics (device)');
SELECT ddl_error($$CREATE UNIQUE INDEX ON metrics (date_trunc('hour', time AT TIME ZONE 'UTC'), device)$$);
SELECT ddl_error('ALTER TABLE metrics ADD CONSTRAINT metrics_value_key UNIQUE (value)');
SELECT ddl_error('ALTER TABLE metrics ADD PRIMARY KEY (device)');
SELECT ddl_error('ALTER TABLE metrics ADD COLUMN id int UNIQUE');
SELECT ddl_error('CREATE INDEX CONCURRENTLY metrics_conc_idx ON metrics (device)');
CREATE INDEX CONCURRENTLY metrics_conc_idx ON metrics (device);
-- A new chunk gets every index.
INSERT INTO metrics VALUES ('2024-01-10', 1, 1);
SELECT count(*) AS chunks FROM ddl_chunks('metrics');
SELECT * FROM ddl_indexes('metrics');

-- An equivalent index that a chunk already has (made by hand, e.g. CONCURRENTLY chunk by chunk)
-- is adopted rather than built again; a different one is not.
DO $$
DECLARE c regclass;
BEGIN
  FOR c IN SELECT ddl_chunks('metrics') LOOP
    EXECUTE format('CREATE INDEX ON %s (device, value) WHERE device > 1', c);
    EXECUTE format('CREATE INDEX ON %s (device, value)', c);
  END LOOP;
END $$;
CREATE INDEX metrics_adopted_idx ON metrics (device, value) WHERE device > 1;
SELECT * FROM ddl_indexes('metrics') WHERE def LIKE '%(device, value)%';
SELECT ci.index_name LIKE '%chunk_device_value_idx%' AS adopted_hand_made, count(*)
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%' AND ci.hypertable_index_name = 'metrics_adopted_idx'
 GROUP BY 1;
DROP INDEX metrics_adopted_idx;
SELECT * FROM ddl_indexes('metrics') WHERE def LIKE '%(device, value)%';
DO $$
DECLARE c regclass;
BEGIN
  FOR c IN SELECT ddl_chunks('metrics') LOOP
    EXECUTE (SELECT format('DROP INDEX %s', i.indexrelid::regclass) FROM pg_index i
              WHERE i.indrelid = c AND pg_get_indexdef(i.indexrelid) LIKE '%(device, value)');
  END LOOP;
END $$;

-- ALTER INDEX RENAME: the mapping follows the hypertable index's name.
ALTER INDEX metrics_partial_idx RENAME TO metrics_value_partial_idx;
SELECT ci.hypertable_index_name, count(*)
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%' AND ci.hypertable_index_name LIKE '%partial%' GROUP BY 1;

-- DROP INDEX: chunk indexes and mapping rows go too.
DROP INDEX metrics_value_partial_idx, metrics_expr_idx, metrics_text_idx;
DROP INDEX IF EXISTS metrics_no_such_idx;
SELECT * FROM ddl_indexes('metrics');
SELECT ci.hypertable_index_name, count(*)
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%' GROUP BY 1 ORDER BY 1;
SELECT ddl_error('DROP INDEX CONCURRENTLY metrics_opclass_idx');

-- Columns: inheritance carries ADD / DROP / RENAME COLUMN, TYPE, DEFAULT and NOT NULL.
ALTER TABLE metrics ADD COLUMN note text DEFAULT 'none';
ALTER TABLE metrics ALTER COLUMN value TYPE numeric;
ALTER TABLE metrics ALTER COLUMN device SET DEFAULT 7, ALTER COLUMN device SET NOT NULL;
ALTER TABLE metrics RENAME COLUMN note TO comment;
ALTER TABLE metrics ADD COLUMN dropme int;
ALTER TABLE metrics DROP COLUMN dropme;
SELECT c::regclass = 'metrics'::regclass AS is_hypertable, a.attname, format_type(a.atttypid, a.atttypmod),
       a.attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default, count(*)
  FROM (SELECT 'metrics'::regclass UNION ALL SELECT ddl_chunks('metrics')) AS t(c)
  JOIN pg_attribute a ON a.attrelid = c AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c AND d.adnum = a.attnum
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2;
INSERT INTO metrics (time) VALUES ('2024-01-02 06:00');
SELECT device, comment FROM metrics WHERE time = '2024-01-02 06:00';
ALTER TABLE metrics ALTER COLUMN device DROP DEFAULT, ALTER COLUMN device DROP NOT NULL;
SELECT count(*) FILTER (WHERE a.attnotnull) AS not_null, count(*) FILTER (WHERE d.oid IS NOT NULL) AS defaults
  FROM ddl_chunks('metrics') c JOIN pg_attribute a ON a.attrelid = c AND a.attname = 'device'
  LEFT JOIN pg_attrdef d ON d.adrelid = c AND d.adnum = a.attnum;
-- The time column stays: no drop, no nullable time, no unsupported type.
SELECT ddl_error('ALTER TABLE metrics DROP COLUMN time');
SELECT ddl_error('ALTER TABLE metrics ALTER COLUMN time DROP NOT NULL');
SELECT ddl_error('ALTER TABLE metrics ALTER COLUMN time TYPE text');
SELECT ddl_error('ALTER TABLE metrics ALTER COLUMN time TYPE bigint USING 0');
SELECT ddl_error('ALTER TABLE metrics ALTER COLUMN time TYPE timestamp');
-- Changes that keep the chunk bounds' meaning are allowed, and the dimension follows.
CREATE TABLE readings (day date NOT NULL, n int NOT NULL);
SELECT true AS created FROM create_hypertable('readings', 'day', chunk_time_interval => interval '7 days');
INSERT INTO readings VALUES ('2024-01-01', 1), ('2024-01-20', 2);
ALTER TABLE readings ALTER COLUMN day TYPE timestamp;
INSERT INTO readings VALUES ('2024-01-02 12:00', 3);
SELECT column_type FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'readings' AND h.schema_name LIKE 'ddl%';
SELECT * FROM readings ORDER BY day;
SELECT ddl_error('ALTER TABLE readings ALTER COLUMN day TYPE timestamptz');
DROP TABLE readings;
CREATE TABLE counters (t int NOT NULL, v int);
SELECT true AS created FROM create_hypertable('counters', 't', chunk_time_interval => 100);
INSERT INTO counters VALUES (1, 1), (150, 2);
ALTER TABLE counters ALTER COLUMN t TYPE bigint;
INSERT INTO counters VALUES (5000000000, 3);
SELECT column_type FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'counters' AND h.schema_name LIKE 'ddl%';
SELECT count(*) AS chunks FROM ddl_chunks('counters');
SELECT ddl_error('ALTER TABLE counters ALTER COLUMN t TYPE date USING NULL');
DROP TABLE counters;
-- Renaming the time column updates the dimension.
ALTER TABLE metrics RENAME COLUMN time TO ts;
SELECT column_name FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%';
INSERT INTO metrics (ts, device) VALUES ('2024-01-11', 2);
ALTER TABLE metrics RENAME COLUMN ts TO time;
SELECT count(*) AS chunks FROM ddl_chunks('metrics');

-- Constraints: CHECK through inheritance; UNIQUE / PRIMARY KEY / FOREIGN KEY cloned by strata.
CREATE TABLE devices (id int PRIMARY KEY);
INSERT INTO devices SELECT generate_series(1, 7);
ALTER TABLE metrics ADD CONSTRAINT metrics_device_check CHECK (device > 0);
ALTER TABLE metrics ADD CONSTRAINT metrics_pkey PRIMARY KEY (device, time);
ALTER TABLE metrics ADD CONSTRAINT metrics_device_fkey FOREIGN KEY (device) REFERENCES devices (id);
ALTER TABLE metrics ADD CONSTRAINT metrics_time_value_key UNIQUE (time, value);
SELECT * FROM ddl_constraints('metrics');
ALTER TABLE metrics DROP CONSTRAINT metrics_time_value_key;
SELECT * FROM ddl_indexes('metrics') WHERE def LIKE '%(device, "time")';
-- Each chunk enforces them.
SELECT ddl_error($$INSERT INTO metrics VALUES ('2024-01-01 12:00', 99, 0)$$);
SELECT ddl_error($$INSERT INTO metrics VALUES ('2024-01-01 12:00', -1, 0)$$);
SELECT ddl_error($$INSERT INTO metrics VALUES ('2024-01-01 12:00', 1, 0)$$);
ALTER TABLE metrics RENAME CONSTRAINT metrics_pkey TO metrics_pk;
ALTER TABLE metrics RENAME CONSTRAINT metrics_device_fkey TO metrics_device_fk;
SELECT * FROM ddl_constraints('metrics') WHERE type IN ('p', 'f');
SELECT ci.hypertable_index_name, count(*)
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
 WHERE h.table_name = 'metrics' AND h.schema_name LIKE 'ddl%' AND ci.hypertable_index_name LIKE 'metrics_pk%' GROUP BY 1;
ALTER TABLE metrics DROP CONSTRAINT metrics_device_check;
ALTER TABLE metrics DROP CONSTRAINT metrics_pk;
ALTER TABLE metrics DROP CONSTRAINT metrics_device_fk;
ALTER TABLE metrics DROP CONSTRAINT IF EXISTS metrics_no_such_constraint;
SELECT * FROM ddl_constraints('metrics');
SELECT count(*) AS pk_mappings FROM _strata_catalog.chunk_index WHERE hypertable_index_name LIKE 'metrics_pk%';
-- With ONLY, index-backed and foreign key constraints stay on the hypertable (as pg_dump
-- restores them: each chunk's own constraints are restored separately).
ALTER TABLE ONLY metrics ADD CONSTRAINT metrics_only_fk FOREIGN KEY (device) REFERENCES devices (id);
ALTER TABLE ONLY metrics ADD CONSTRAINT metrics_only_key UNIQUE (device, time);
SELECT * FROM ddl_constraints('metrics');
ALTER TABLE metrics DROP CONSTRAINT metrics_only_fk, DROP CONSTRAINT metrics_only_key;
-- Foreign keys referencing a hypertable cannot work (its own table is empty).
SELECT ddl_error('CREATE TABLE refs (t timestamptz REFERENCES metrics (time))');
SELECT ddl_error('ALTER TABLE devices ADD COLUMN t timestamptz REFERENCES metrics (time)');

-- Triggers: row triggers are cloned, statement triggers stay on the hypertable.
CREATE TABLE trigger_log (tg text, device int);
CREATE FUNCTION log_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trigger_log VALUES (TG_NAME || ' on ' || CASE WHEN TG_TABLE_NAME LIKE '\_hyper%' THEN 'chunk' ELSE TG_TABLE_NAME END, NEW.device);
  RETURN NEW;
END
$$;
CREATE FUNCTION log_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO trigger_log VALUES (TG_NAME || ' on ' || TG_TABLE_NAME, NULL);
  RETURN NULL;
END
$$;
CREATE TRIGGER row_before BEFORE INSERT OR UPDATE ON metrics FOR EACH ROW EXECUTE FUNCTION log_row();
CREATE TRIGGER row_after AFTER UPDATE ON metrics FOR EACH ROW WHEN (NEW.value > 100) EXECUTE FUNCTION log_row();
CREATE TRIGGER statement_after AFTER INSERT ON metrics FOR EACH STATEMENT EXECUTE FUNCTION log_statement();
SELECT * FROM ddl_triggers('metrics');
INSERT INTO metrics VALUES ('2024-01-02 01:00', 5, 1);
UPDATE metrics SET value = 500 WHERE time = '2024-01-02 01:00';
SELECT * FROM trigger_log;
TRUNCATE trigger_log;
ALTER TRIGGER row_after ON metrics RENAME TO row_after_renamed;
ALTER TABLE metrics DISABLE TRIGGER row_before;
SELECT * FROM ddl_triggers('metrics');
INSERT INTO metrics VALUES ('2024-01-02 02:00', 5, 1);
SELECT * FROM trigger_log;
ALTER TABLE metrics ENABLE TRIGGER row_before;
CREATE OR REPLACE TRIGGER row_after_renamed AFTER UPDATE ON metrics FOR EACH STATEMENT EXECUTE FUNCTION log_statement();
SELECT * FROM ddl_triggers('metrics');
DROP TRIGGER row_before ON metrics;
DROP TRIGGER row_after_renamed ON metrics;
DROP TRIGGER statement_after ON metrics;
DROP TRIGGER IF EXISTS no_such_trigger ON metrics;
SELECT * FROM ddl_triggers('metrics');

-- GRANT / REVOKE and ALTER TABLE OWNER reach every chunk.
CREATE ROLE ddl_reader;
CREATE ROLE ddl_owner;
GRANT USAGE ON SCHEMA ddl_test TO ddl_reader;
GRANT SELECT, INSERT ON metrics TO ddl_reader;
SELECT ddl_acl_mismatches('metrics');
SELECT count(*) FROM ddl_chunks('metrics') c WHERE has_table_privilege('ddl_reader', c, 'SELECT');
REVOKE INSERT ON metrics FROM ddl_reader;
SELECT ddl_acl_mismatches('metrics');
SELECT count(*) FROM ddl_chunks('metrics') c WHERE has_table_privilege('ddl_reader', c, 'INSERT');
-- GRANT ON ALL TABLES IN SCHEMA reaches the chunks of the hypertables in that schema.
CREATE SCHEMA ddl_grants;
CREATE TABLE ddl_grants.g (time timestamptz NOT NULL);
SELECT true AS created FROM create_hypertable('ddl_grants.g', 'time', chunk_time_interval => interval '1 day');
INSERT INTO ddl_grants.g VALUES ('2024-01-01'), ('2024-01-02');
GRANT UPDATE ON ALL TABLES IN SCHEMA ddl_grants TO ddl_reader;
SELECT count(*) AS chunks, ddl_acl_mismatches('ddl_grants.g') FROM ddl_chunks('ddl_grants.g');
DROP SCHEMA ddl_grants CASCADE;
ALTER TABLE metrics OWNER TO ddl_owner;
SELECT ddl_acl_mismatches('metrics');
SELECT DISTINCT relowner::regrole FROM pg_class WHERE oid IN (SELECT ddl_chunks('metrics'));
SET ROLE ddl_reader;
SELECT count(*) > 0 AS can_read FROM metrics;
RESET ROLE;
-- A chunk created after the GRANT carries it too.
INSERT INTO metrics VALUES ('2024-02-01', 1, 1);
SELECT ddl_acl_mismatches('metrics');

-- VACUUM and ANALYZE of the hypertable process its chunks (column lists included).
SELECT count(*) AS chunks, count(*) FILTER (WHERE n_live_tup > 0) AS with_rows FROM ddl_chunks('metrics') k
  JOIN LATERAL (SELECT count(*) AS n_live_tup FROM metrics m WHERE m.tableoid = k) r ON true;
ANALYZE metrics (device);
SELECT count(DISTINCT starelid) AS analyzed_chunks, array_agg(DISTINCT a.attname) AS columns
  FROM pg_statistic s JOIN pg_attribute a ON a.attrelid = s.starelid AND a.attnum = s.staattnum
 WHERE s.starelid IN (SELECT ddl_chunks('metrics'));
VACUUM (ANALYZE) metrics;
SELECT count(DISTINCT starelid) AS analyzed_chunks, count(DISTINCT staattnum) AS columns
  FROM pg_statistic WHERE starelid IN (SELECT ddl_chunks('metrics'));
CREATE TEMP TABLE ddl_files AS SELECT k AS chunk, pg_relation_filenode(k) AS filenode FROM ddl_chunks('metrics') k;
VACUUM FULL metrics;
SELECT count(*) AS chunks, count(*) FILTER (WHERE pg_relation_filenode(chunk) <> filenode) AS rewritten
  FROM ddl_files;
DROP TABLE ddl_files;

-- REINDEX TABLE reaches the chunks (every chunk index gets a new file); not CONCURRENTLY.
CREATE TEMP TABLE ddl_files AS
SELECT i.indexrelid, pg_relation_filenode(i.indexrelid) AS filenode
  FROM ddl_chunks('metrics') k JOIN pg_index i ON i.indrelid = k;
REINDEX TABLE metrics;
SELECT count(*) AS chunk_indexes, count(*) FILTER (WHERE pg_relation_filenode(indexrelid) <> filenode) AS rebuilt
  FROM ddl_files;
DROP TABLE ddl_files;
SELECT ddl_error('REINDEX TABLE CONCURRENTLY metrics');

-- Storage parameters reach the chunks (new chunks copy them from the hypertable).
ALTER TABLE metrics SET (fillfactor = 80, autovacuum_enabled = false, toast.autovacuum_enabled = false);
SELECT c.reloptions, t.reloptions AS toast, count(*)
  FROM ddl_chunks('metrics') k JOIN pg_class c ON c.oid = k LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
 GROUP BY 1, 2;
ALTER TABLE metrics RESET (fillfactor, autovacuum_enabled, toast.autovacuum_enabled);
SELECT c.reloptions, t.reloptions AS toast, count(*)
  FROM ddl_chunks('metrics') k JOIN pg_class c ON c.oid = k LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
 GROUP BY 1, 2;

-- Refused: inheritance changes and partitioning.
CREATE TABLE other (time timestamptz NOT NULL, device int, value numeric, comment text);
SELECT ddl_error('ALTER TABLE metrics INHERIT other');
SELECT ddl_error('ALTER TABLE other INHERIT metrics');
SELECT ddl_error(format('ALTER TABLE %s NO INHERIT metrics', (SELECT min(c::text) FROM ddl_chunks('metrics') c)));
CREATE TABLE parted (time timestamptz NOT NULL, device int) PARTITION BY RANGE (time);
SELECT ddl_error($$ALTER TABLE parted ATTACH PARTITION metrics FOR VALUES FROM ('2020-01-01') TO ('2030-01-01')$$);
SELECT ddl_error('ALTER TABLE metrics DETACH PARTITION other');

-- TRUNCATE ONLY of a hypertable is refused (its table is empty); TRUNCATE itself drops the chunks
-- (sql/truncate.sql), so the rows are deleted here to keep the chunks for what follows.
SELECT ddl_error('TRUNCATE ONLY metrics');
DELETE FROM metrics;
SELECT count(*) FROM metrics;
SELECT count(*) AS chunks FROM ddl_chunks('metrics');

-- Renaming or moving a chunk, or renaming a chunk index, updates the catalog.
DO $$ BEGIN
  EXECUTE format('ALTER TABLE %s RENAME TO my_chunk', (SELECT min(c::text) FROM ddl_chunks('metrics') c));
END $$;
SELECT schema_name, table_name FROM _strata_catalog.chunk WHERE table_name = 'my_chunk';
CREATE SCHEMA ddl_chunks;
ALTER TABLE _strata_internal.my_chunk SET SCHEMA ddl_chunks;
SELECT schema_name, table_name FROM _strata_catalog.chunk WHERE table_name = 'my_chunk';
DO $$ BEGIN
  EXECUTE (SELECT format('ALTER INDEX ddl_chunks.%I RENAME TO my_chunk_index', ci.index_name)
             FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.chunk c ON c.id = ci.chunk_id
            WHERE c.table_name = 'my_chunk' AND ci.hypertable_index_name = 'metrics_device_idx');
END $$;
SELECT ci.index_name, ci.hypertable_index_name
  FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.chunk c ON c.id = ci.chunk_id
 WHERE c.table_name = 'my_chunk' AND ci.hypertable_index_name = 'metrics_device_idx';
-- The renamed chunk index is still found: DROP INDEX on the hypertable drops it.
DROP INDEX metrics_device_idx;
SELECT to_regclass('ddl_chunks.my_chunk_index') IS NULL AS chunk_index_dropped;
ALTER TABLE ddl_chunks.my_chunk SET SCHEMA _strata_internal;
DROP SCHEMA ddl_chunks;
-- Renaming and moving the hypertable updates the catalog.
CREATE SCHEMA ddl_other;
ALTER TABLE metrics RENAME TO measurements;
SELECT schema_name, table_name FROM _strata_catalog.hypertable
 WHERE table_name IN ('metrics', 'measurements') AND schema_name LIKE 'ddl%';
ALTER TABLE measurements SET SCHEMA ddl_other;
SELECT schema_name, table_name FROM _strata_catalog.hypertable
 WHERE table_name = 'measurements' AND schema_name LIKE 'ddl%';
ALTER SCHEMA ddl_other RENAME TO ddl_moved;
SELECT schema_name, table_name FROM _strata_catalog.hypertable
 WHERE table_name = 'measurements' AND schema_name LIKE 'ddl%';
INSERT INTO ddl_moved.measurements VALUES ('2024-03-01', 1, 1);
SELECT count(*) FROM ddl_moved.measurements;

DROP TABLE ddl_moved.measurements;
DROP SCHEMA ddl_moved;
DROP SCHEMA ddl_test CASCADE;
DROP ROLE ddl_reader;
DROP ROLE ddl_owner;
RESET search_path;
