-- Dropping hypertables, chunks and chunk indexes by any route keeps _strata_catalog consistent.
SET client_min_messages = warning;
-- Everything here lives in its own schema, apart from the other tests' tables.
CREATE SCHEMA ddl_test;
SET search_path = ddl_test, public;

CREATE FUNCTION ddl_catalog(ht name) RETURNS TABLE(hypertables bigint, chunks bigint, chunk_indexes bigint,
                                                   missing_tables bigint)
LANGUAGE sql STABLE AS $$
  SELECT (SELECT count(*) FROM _strata_catalog.hypertable WHERE table_name = ht AND schema_name LIKE 'ddl%'),
         (SELECT count(*) FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
           WHERE h.table_name = ht AND h.schema_name LIKE 'ddl%'),
         (SELECT count(*) FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.hypertable h ON h.id = ci.hypertable_id
           WHERE h.table_name = ht AND h.schema_name LIKE 'ddl%'),
         (SELECT count(*) FROM _strata_catalog.chunk c
           WHERE to_regclass(format('%I.%I', c.schema_name, c.table_name)) IS NULL)
$$;
CREATE FUNCTION ddl_first_chunk(ht name) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', c.schema_name, c.table_name)
    FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
   WHERE h.table_name = ht AND h.schema_name LIKE 'ddl%' ORDER BY c.range_start LIMIT 1
$$;
CREATE FUNCTION ddl_error(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '_hyper_\d+_\d+_chunk\w*', 'chunk', 'g');
END
$$;
-- Three hypertables of three chunks each, with an index.
CREATE FUNCTION ddl_make(ht name) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (time timestamptz NOT NULL, v int)', ht);
  PERFORM create_hypertable(ht::regclass, 'time', chunk_time_interval => interval '1 day');
  EXECUTE format('CREATE INDEX ON %I (v, time)', ht);
  EXECUTE format($i$INSERT INTO %I SELECT t, 1 FROM generate_series('2024-01-01'::timestamptz, '2024-01-03', '1 day') t$i$, ht);
END
$$;

SELECT ddl_make('drops');
SELECT * FROM ddl_catalog('drops');

-- DROP TABLE of a chunk removes its catalog rows; the range gets a new chunk on the next insert.
SELECT ddl_error(format('DROP TABLE %s', ddl_first_chunk('drops')));
SELECT * FROM ddl_catalog('drops');
SELECT count(*) FROM drops;
INSERT INTO drops VALUES ('2024-01-01', 2);
SELECT * FROM ddl_catalog('drops');

-- DROP INDEX of a chunk index removes its mapping row.
SELECT ddl_error((SELECT format('DROP INDEX %I.%I', c.schema_name, ci.index_name)
                    FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.chunk c ON c.id = ci.chunk_id
                    JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
                   WHERE h.table_name = 'drops' AND h.schema_name LIKE 'ddl%' ORDER BY c.range_start, ci.index_name LIMIT 1));
SELECT * FROM ddl_catalog('drops');

-- DROP COLUMN takes the indexes on it, on the hypertable and on the chunks alike.
ALTER TABLE drops DROP COLUMN v;
SELECT * FROM ddl_catalog('drops');

-- DROP TABLE of the hypertable drops its chunks, without CASCADE; only its owner (or the schema's) may.
CREATE ROLE ddl_stranger;
GRANT USAGE ON SCHEMA ddl_test TO ddl_stranger;
GRANT ALL ON drops TO ddl_stranger;
SET ROLE ddl_stranger;
SELECT ddl_error('DROP TABLE drops');
RESET ROLE;
SELECT * FROM ddl_catalog('drops');
-- A view on the hypertable blocks DROP TABLE without CASCADE; nothing is dropped.
CREATE VIEW drops_view AS SELECT * FROM drops;
SELECT ddl_error('DROP TABLE drops');
SELECT * FROM ddl_catalog('drops');
SELECT count(*) FROM drops;
DROP VIEW drops_view;
CREATE TABLE plain (x int);
DROP TABLE drops, plain;
SELECT * FROM ddl_catalog('drops');
SELECT count(*) AS leftover_chunks FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = '_strata_internal' AND c.relkind = 'r'
   AND NOT EXISTS (SELECT FROM _strata_catalog.chunk k WHERE k.schema_name = n.nspname AND k.table_name = c.relname);

-- DROP TABLE ... CASCADE also takes views on chunks.
SELECT ddl_make('cascaded');
SELECT ddl_error(format('CREATE VIEW chunk_view AS SELECT * FROM %s', ddl_first_chunk('cascaded')));
SELECT ddl_error('DROP TABLE cascaded');
DROP TABLE cascaded CASCADE;
SELECT * FROM ddl_catalog('cascaded');
SELECT to_regclass('chunk_view') IS NULL AS view_dropped;

-- DROP SCHEMA ... CASCADE.
CREATE SCHEMA ddl_schema;
SET search_path = ddl_schema, ddl_test, public;
SELECT ddl_make('in_schema');
SET search_path = ddl_test, public;
SELECT * FROM ddl_catalog('in_schema');
DROP SCHEMA ddl_schema CASCADE;
SELECT * FROM ddl_catalog('in_schema');

-- DROP OWNED BY the hypertable's owner.
CREATE ROLE ddl_dropper;
SELECT ddl_make('owned');
ALTER TABLE owned OWNER TO ddl_dropper;
DROP OWNED BY ddl_dropper;
SELECT * FROM ddl_catalog('owned');

SELECT count(*) AS missing_chunk_tables FROM _strata_catalog.chunk c
 WHERE to_regclass(format('%I.%I', c.schema_name, c.table_name)) IS NULL;

-- DROP EXTENSION with hypertables around: the sql_drop trigger copes with the catalog going away.
SELECT current_database() AS regress_db \gset
CREATE DATABASE ddl_extension_db;
\c ddl_extension_db
SET client_min_messages = warning;
CREATE EXTENSION strata;
CREATE TABLE t (time timestamptz NOT NULL);
SELECT true AS created FROM create_hypertable('t', 'time');
INSERT INTO t VALUES ('2024-01-01'), ('2024-06-01');
DROP EXTENSION strata CASCADE;
SELECT count(*) AS chunk_tables FROM pg_class WHERE relname LIKE '\_hyper%';
SELECT count(*) AS event_triggers FROM pg_event_trigger;
DROP TABLE t;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE ddl_extension_db;

DROP SCHEMA ddl_test CASCADE;
DROP ROLE ddl_stranger;
DROP ROLE ddl_dropper;
