-- TRUNCATE of a hypertable removes its chunks (tables and catalog rows): named alone or with other
-- tables, reached through CASCADE, in a transaction that commits or rolls back, with TRUNCATE
-- privilege only. What TRUNCATE did before stays: triggers fire, a chunk truncated directly stays.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA truncate_test;
SET search_path = truncate_test, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- The hypertable's chunks in the catalog, and those whose table exists.
CREATE FUNCTION catalog_chunks(ht regclass) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
   WHERE format('%I.%I', h.schema_name, h.table_name)::regclass = ht
$$;
CREATE FUNCTION chunk_tables(ht regclass) RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM pg_inherits WHERE inhparent = ht
$$;
-- How many chunks a query plans (EXPLAIN names each scanned chunk once).
CREATE FUNCTION planned(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  line text;
  n bigint := 0;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line ~ '_hyper_\d+_\d+_chunk' THEN n := n + 1; END IF;
  END LOOP;
  RETURN n;
END $$;

CREATE TABLE tr (time timestamptz NOT NULL, device int, value float8);
SELECT count(*) FROM create_hypertable('tr', by_range('time', interval '1 day'));
INSERT INTO tr SELECT t, 1, 1.0 FROM generate_series(timestamptz '2024-01-01', '2024-01-03 23:00', interval '1 hour') t;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables,
       (SELECT count(*) FROM show_chunks('tr')) AS shown FROM tr;

-- Statement triggers on the hypertable fire as before.
CREATE FUNCTION note_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE '% TRUNCATE of %', TG_WHEN, TG_TABLE_NAME;
  RETURN NULL;
END $$;
CREATE TRIGGER before_truncate BEFORE TRUNCATE ON tr FOR EACH STATEMENT EXECUTE FUNCTION note_truncate();
CREATE TRIGGER after_truncate AFTER TRUNCATE ON tr FOR EACH STATEMENT EXECUTE FUNCTION note_truncate();

-- A generic plan made before the TRUNCATE.
SET plan_cache_mode = force_generic_plan;
PREPARE count_tr AS SELECT count(*) FROM tr;
EXECUTE count_tr;

TRUNCATE tr;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables,
       (SELECT count(*) FROM show_chunks('tr')) AS shown FROM tr;
SELECT count(*) AS leftover_tables FROM pg_class WHERE relname ~ '^_hyper_1_\d+_chunk$';
EXPLAIN (COSTS OFF) SELECT * FROM tr;
EXPLAIN (COSTS OFF) SELECT * FROM tr WHERE time > '2024-01-02';
EXECUTE count_tr;
SELECT planned('EXECUTE count_tr');

-- Inserting again creates new chunks.
INSERT INTO tr VALUES ('2024-02-01 10:00', 2, 2.0), ('2024-02-02 10:00', 2, 2.0);
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables FROM tr;
SELECT planned('SELECT * FROM tr'), planned('EXECUTE count_tr');
EXECUTE count_tr;

-- In a transaction: the chunks are gone inside it, and back after ROLLBACK (also to a savepoint).
BEGIN;
TRUNCATE tr;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables,
       planned('SELECT * FROM tr') AS planned FROM tr;
INSERT INTO tr VALUES ('2024-03-01 10:00', 3, 3.0);
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog FROM tr;
ROLLBACK;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables,
       planned('SELECT * FROM tr') AS planned FROM tr;
SELECT time, device FROM tr ORDER BY time;
BEGIN;
SAVEPOINT s;
TRUNCATE tr;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog FROM tr;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, planned('SELECT * FROM tr') AS planned FROM tr;
COMMIT;
-- Committed in a transaction block.
BEGIN;
TRUNCATE tr;
COMMIT;
SELECT count(*) AS rows, catalog_chunks('tr') AS catalog, chunk_tables('tr') AS tables FROM tr;
RESET plan_cache_mode;
DROP TRIGGER before_truncate ON tr;
DROP TRIGGER after_truncate ON tr;

-- Several tables at once: a plain table and two hypertables.
CREATE TABLE plain (id int);
INSERT INTO plain VALUES (1), (2);
CREATE TABLE tr2 (time int NOT NULL, value int);
SELECT count(*) FROM create_hypertable('tr2', by_range('time', 10));
INSERT INTO tr SELECT t, 1, 1.0 FROM generate_series(timestamptz '2024-01-01', '2024-01-02 23:00', interval '1 hour') t;
INSERT INTO tr2 SELECT i, i FROM generate_series(1, 35) i;
SELECT catalog_chunks('tr') AS tr_chunks, catalog_chunks('tr2') AS tr2_chunks;
TRUNCATE plain, tr, tr2;
SELECT (SELECT count(*) FROM plain) AS plain, (SELECT count(*) FROM tr) AS tr, (SELECT count(*) FROM tr2) AS tr2,
       catalog_chunks('tr') AS tr_chunks, catalog_chunks('tr2') AS tr2_chunks,
       chunk_tables('tr') + chunk_tables('tr2') AS tables;

-- A chunk truncated directly keeps its table and catalog row.
INSERT INTO tr2 SELECT i, i FROM generate_series(1, 25) i;
DO $$ BEGIN EXECUTE format('TRUNCATE %s', (SELECT min(c::text) FROM show_chunks('tr2') c)); END $$;
SELECT count(*) AS rows, catalog_chunks('tr2') AS catalog, chunk_tables('tr2') AS tables FROM tr2;

-- CASCADE: a hypertable whose foreign key references a truncated table is truncated too, and
-- loses its chunks.
CREATE TABLE devices (id int PRIMARY KEY);
INSERT INTO devices SELECT generate_series(1, 3);
CREATE TABLE readings (time timestamptz NOT NULL, device int REFERENCES devices (id), value float8);
SELECT count(*) FROM create_hypertable('readings', by_range('time', interval '1 day'));
INSERT INTO readings SELECT t, 1 + extract(hour FROM t)::int % 3, 0 FROM generate_series(timestamptz '2024-01-01', '2024-01-02 23:00', interval '1 hour') t;
SELECT catalog_chunks('readings') AS chunks;
SELECT err('TRUNCATE devices');
SELECT catalog_chunks('readings') AS chunks;
SET client_min_messages = warning;
TRUNCATE devices CASCADE;
RESET client_min_messages;
SELECT (SELECT count(*) FROM devices) AS devices, (SELECT count(*) FROM readings) AS readings,
       catalog_chunks('readings') AS chunks, chunk_tables('readings') AS tables;

-- TRUNCATE privilege is enough; without it, nothing happens.
CREATE ROLE truncate_only;
CREATE ROLE truncate_none;
GRANT USAGE ON SCHEMA truncate_test TO truncate_only, truncate_none;
GRANT SELECT, TRUNCATE ON tr TO truncate_only;
INSERT INTO tr VALUES ('2024-01-01 10:00', 1, 1.0), ('2024-01-05 10:00', 1, 1.0);
SET ROLE truncate_none;
SELECT err('TRUNCATE tr');
RESET ROLE;
SELECT catalog_chunks('tr') AS chunks;
SET ROLE truncate_only;
TRUNCATE tr;
SELECT count(*) FROM tr;
RESET ROLE;
SELECT catalog_chunks('tr') AS chunks, chunk_tables('tr') AS tables;

-- An object that depends on a chunk stops the TRUNCATE (as it stops DROP TABLE); nothing changes.
INSERT INTO tr VALUES ('2024-01-01 10:00', 1, 1.0);
DO $$ BEGIN EXECUTE format('CREATE VIEW chunk_view AS SELECT * FROM %s', (SELECT min(c::text) FROM show_chunks('tr') c)); END $$;
TRUNCATE tr;
SELECT count(*) AS rows, catalog_chunks('tr') AS chunks FROM tr;
DROP VIEW chunk_view;
TRUNCATE tr;
SELECT count(*) AS rows, catalog_chunks('tr') AS chunks FROM tr;

SET client_min_messages = warning;
DROP SCHEMA truncate_test CASCADE;
DROP ROLE truncate_only;
DROP ROLE truncate_none;
