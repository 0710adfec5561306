-- UPDATE, DELETE, MERGE and row locks on a hypertable plan (and lock) only the chunks their
-- restrictions can match: at plan time for constants, at executor start for parameters and now().
CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- How many chunks a statement's plan names (EXPLAIN without ANALYZE: the statement is not run).
CREATE FUNCTION planned_chunks(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  plan text := '';
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP plan := plan || line || E'\n'; END LOOP;
  RETURN (SELECT count(DISTINCT m[1]) FROM regexp_matches(plan, '(_hyper_\d+_\d+_chunk)', 'g') m);
END $$;
-- The relations this transaction holds locks on.
CREATE VIEW my_locks AS
  SELECT count(*) AS relations FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation';

CREATE TABLE m (time timestamptz NOT NULL, device int, value float);
SELECT table_name FROM create_hypertable('m', 'time', chunk_time_interval => interval '1 day');
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '1 hour', g % 3, g
  FROM generate_series(0, 24 * 5 - 1) g;
SET enable_indexscan = off;
SET enable_bitmapscan = off;

-- Constant ranges: only the matching chunks are result relations and scanned; the hypertable is
-- the root relation (statement triggers) and not scanned itself.
EXPLAIN (COSTS OFF) DELETE FROM m WHERE time < '2024-01-02';
EXPLAIN (COSTS OFF) UPDATE m SET value = 0 WHERE time >= '2024-01-03' AND time < '2024-01-04 12:00';
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time >= '2024-01-03' AND time < '2024-01-04' FOR UPDATE;
EXPLAIN (COSTS OFF) SELECT * FROM m WHERE time = '2024-01-05 01:00' FOR SHARE SKIP LOCKED;
-- Nothing matches: no chunk at all, the hypertable is the (empty) result relation.
EXPLAIN (COSTS OFF) DELETE FROM m WHERE time > '2030-01-01';
-- ONLY: the hypertable's own (empty) table.
EXPLAIN (COSTS OFF) DELETE FROM ONLY m WHERE time < '2024-01-02';

BEGIN;
DELETE FROM m WHERE time < '2024-01-01 03:00' RETURNING tableoid::regclass AS chunk, *;
UPDATE m SET value = -value WHERE time >= '2024-01-03' AND time < '2024-01-03 03:00'
  RETURNING tableoid::regclass AS chunk, *;
SELECT time, value FROM m WHERE time >= '2024-01-04' AND time < '2024-01-04 02:00' FOR UPDATE;
SELECT count(*), sum(value) FROM m;
DELETE FROM ONLY m;
DELETE FROM m WHERE time > '2030-01-01';
ROLLBACK;
SELECT count(*), sum(value) FROM m;

-- Joins, sub-selects and RETURNING. The other relation of UPDATE ... FROM / DELETE ... USING is
-- row-marked for EvalPlanQual; a hypertable there gets a mark per chunk.
CREATE TABLE fix (time timestamptz, value float);
INSERT INTO fix VALUES ('2024-01-02 01:00', 1000), ('2024-01-02 02:00', 2000), ('2024-01-09', 3000);
EXPLAIN (COSTS OFF) UPDATE m SET value = fix.value FROM fix
  WHERE m.time = fix.time AND m.time >= '2024-01-02' AND m.time < '2024-01-03';
EXPLAIN (COSTS OFF) DELETE FROM m USING fix
  WHERE m.time = fix.time AND m.time < '2024-01-03';
EXPLAIN (COSTS OFF) UPDATE fix SET value = m.value FROM m
  WHERE m.time = fix.time AND m.time >= '2024-01-05';
EXPLAIN (COSTS OFF) DELETE FROM m
  WHERE time IN (SELECT time FROM fix) AND time >= '2024-01-02' AND time < '2024-01-03';
BEGIN;
UPDATE m SET value = fix.value FROM fix
  WHERE m.time = fix.time AND m.time >= '2024-01-02' AND m.time < '2024-01-03'
  RETURNING m.*, fix.value AS fixed;
DELETE FROM m USING fix WHERE m.time = fix.time AND m.time < '2024-01-03' RETURNING m.*;
UPDATE fix SET value = m.value FROM m
  WHERE m.time = fix.time - interval '2 days' AND m.time >= '2024-01-05' RETURNING fix.*;
DELETE FROM m WHERE time IN (SELECT time + interval '1 hour' FROM fix)
  AND time >= '2024-01-02' AND time < '2024-01-03' RETURNING *;
SELECT count(*), sum(value) FROM m;
ROLLBACK;

-- MERGE (PostgreSQL 15 merges into inheritance parents): the ON clause's restriction on the
-- target excludes chunks; unmatched source rows are inserted through the hypertable.
EXPLAIN (COSTS OFF) MERGE INTO m USING fix ON m.time = fix.time AND m.time >= '2024-01-02' AND m.time < '2024-01-03'
  WHEN MATCHED AND fix.value > 1500 THEN DELETE
  WHEN MATCHED THEN UPDATE SET value = fix.value
  WHEN NOT MATCHED THEN INSERT VALUES (fix.time, 7, fix.value);
BEGIN;
MERGE INTO m USING fix ON m.time = fix.time AND m.time >= '2024-01-02' AND m.time < '2024-01-03'
  WHEN MATCHED AND fix.value > 1500 THEN DELETE
  WHEN MATCHED THEN UPDATE SET value = fix.value
  WHEN NOT MATCHED THEN INSERT VALUES (fix.time, 7, fix.value);
SELECT tableoid::regclass AS chunk, * FROM m WHERE value >= 1000 OR device = 7 ORDER BY time;
SELECT count(*) FROM m WHERE time = '2024-01-02 02:00';
ROLLBACK;

-- Parameters of a generic plan: every chunk is planned, ChunkAppend excludes at executor start
-- (and a generic UPDATE or DELETE lists only the surviving chunks as its result relations).
SET plan_cache_mode = force_generic_plan;
PREPARE del(timestamptz, timestamptz) AS DELETE FROM m WHERE time >= $1 AND time < $2;
PREPARE upd(timestamptz) AS UPDATE m SET value = value + 1 WHERE time = $1 RETURNING value;
PREPARE lck(timestamptz) AS SELECT value FROM m WHERE time = $1 FOR UPDATE;
EXPLAIN (COSTS OFF) EXECUTE del('2024-01-02', '2024-01-02 12:00');
EXPLAIN (COSTS OFF) EXECUTE upd('2024-01-04 05:00');
EXPLAIN (COSTS OFF) EXECUTE lck('2024-01-04 05:00');
BEGIN;
EXECUTE del('2024-01-02', '2024-01-02 12:00');
EXECUTE upd('2024-01-04 05:00');
EXECUTE lck('2024-01-04 05:00');
SELECT count(*), sum(value) FROM m;
ROLLBACK;
DEALLOCATE del;
DEALLOCATE upd;
DEALLOCATE lck;
RESET plan_cache_mode;

-- Row triggers (cloned onto chunks) fire per chunk, statement triggers on the hypertable; an
-- UPDATE OF trigger and a stored generated column see the chunk's updated columns.
CREATE TABLE g (time timestamptz NOT NULL, value int, doubled int GENERATED ALWAYS AS (value * 2) STORED);
SELECT table_name FROM create_hypertable('g', 'time', chunk_time_interval => interval '1 day');
INSERT INTO g (time, value) SELECT '2024-01-01'::timestamptz + g * interval '12 hours', g FROM generate_series(0, 5) g;
CREATE FUNCTION note_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE '% % % on %', TG_WHEN, TG_OP, TG_LEVEL, TG_TABLE_NAME;
  IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN CASE WHEN TG_LEVEL = 'ROW' THEN NEW END;
END $$;
CREATE TRIGGER g_row BEFORE UPDATE OF value OR DELETE ON g FOR EACH ROW EXECUTE FUNCTION note_row();
CREATE TRIGGER g_stmt AFTER UPDATE OR DELETE ON g FOR EACH STATEMENT EXECUTE FUNCTION note_row();
UPDATE g SET value = value + 10 WHERE time = '2024-01-02 12:00' RETURNING *;
UPDATE g SET time = time + interval '1 hour' WHERE time = '2024-01-02 12:00' RETURNING *;
DELETE FROM g WHERE time >= '2024-01-03' RETURNING *;
SELECT * FROM g ORDER BY time;

-- Chunks of different layouts (one made after a column was dropped): update_colnos, RETURNING,
-- MERGE actions and the updated columns (UPDATE OF triggers) are translated for each.
CREATE TABLE lay (time timestamptz NOT NULL, a int, b int, c text);
SELECT table_name FROM create_hypertable('lay', 'time', chunk_time_interval => interval '1 day');
INSERT INTO lay VALUES ('2024-01-01 01:00', 1, 10, 'x'), ('2024-01-02 01:00', 2, 20, 'y');
ALTER TABLE lay DROP COLUMN b;
INSERT INTO lay VALUES ('2024-01-03 01:00', 3, 'z');
SELECT attname FROM pg_attribute
 WHERE attrelid = (SELECT c FROM show_chunks('lay') c ORDER BY 1 DESC LIMIT 1) AND attnum > 0 ORDER BY attnum;
CREATE TRIGGER lay_c BEFORE UPDATE OF c ON lay FOR EACH ROW EXECUTE FUNCTION note_row();
BEGIN;
UPDATE lay SET c = c || '!', a = a * 100 WHERE time >= '2024-01-02' RETURNING tableoid::regclass AS chunk, *;
MERGE INTO lay USING (VALUES ('2024-01-01 01:00'::timestamptz, 'm1'), ('2024-01-03 01:00', 'm3')) v(t, c)
  ON lay.time = v.t AND lay.time < '2024-01-04'
  WHEN MATCHED THEN UPDATE SET c = v.c;
SELECT * FROM lay ORDER BY time;
ROLLBACK;

-- Moving a row's time into another chunk's range moves the row (update_move tests it in full).
SELECT err($$UPDATE g SET time = '2024-01-01 06:00' WHERE time = '2024-01-02 13:00'$$);

-- WHERE CURRENT OF a cursor that locks the rows.
BEGIN;
DECLARE c CURSOR FOR SELECT time, value FROM m WHERE time >= '2024-01-03 10:00' AND time < '2024-01-03 12:00' FOR UPDATE;
FETCH 1 FROM c;
UPDATE m SET value = 0 WHERE CURRENT OF c RETURNING *;
FETCH 1 FROM c;
DELETE FROM m WHERE CURRENT OF c RETURNING *;
CLOSE c;
SELECT * FROM m WHERE time >= '2024-01-03 10:00' AND time < '2024-01-03 12:00' ORDER BY time;
ROLLBACK;

-- Row-level security: the hypertable's policies apply to every chunk.
CREATE ROLE strata_dml_user;
GRANT SELECT, UPDATE, DELETE ON m TO strata_dml_user;
ALTER TABLE m ENABLE ROW LEVEL SECURITY;
CREATE POLICY device_one ON m USING (device = 1);
SET ROLE strata_dml_user;
EXPLAIN (COSTS OFF) UPDATE m SET value = 0 WHERE time >= '2024-01-05';
BEGIN;
UPDATE m SET value = 0 WHERE time >= '2024-01-05 20:00' RETURNING *;
DELETE FROM m WHERE time >= '2024-01-05 20:00' RETURNING *;
ROLLBACK;
RESET ROLE;
DROP POLICY device_one ON m;
ALTER TABLE m DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON m FROM strata_dml_user;
DROP ROLE strata_dml_user;

-- A compressed chunk as a DML target goes to the columnstore's hook point (compressed_chunk_dml),
-- which moves the batches the statement can touch into the row part (columnstore_dml tests it).
CREATE TABLE cs (time timestamptz NOT NULL, device int, value float);
SELECT table_name FROM create_hypertable('cs', 'time', chunk_time_interval => interval '1 day');
INSERT INTO cs SELECT '2024-01-01'::timestamptz + g * interval '6 hours', g % 2, g FROM generate_series(0, 11) g;
ALTER TABLE cs SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('cs') c ORDER BY 1 LIMIT 1) s;
SELECT err($$DELETE FROM cs WHERE time < '2024-01-02'$$);
SELECT err($$SELECT * FROM cs WHERE time < '2024-01-02' FOR UPDATE$$);
SELECT err($$UPDATE m SET value = 0 FROM cs WHERE m.time = cs.time$$);
BEGIN;
DELETE FROM cs WHERE time >= '2024-01-02 12:00' RETURNING *;
UPDATE cs SET value = -1 WHERE time >= '2024-01-02' RETURNING *;
ROLLBACK;

-- now()-relative bounds (data around the current time, daily chunks).
CREATE TABLE recent (time timestamptz NOT NULL, value int);
SELECT table_name FROM create_hypertable('recent', 'time', chunk_time_interval => interval '1 day');
INSERT INTO recent SELECT now() - g * interval '24 hours' + interval '6 hours', g FROM generate_series(0, 19) g;
-- The lower bound only grows: the plan holds only the chunks that can match now, give or take
-- the clock's margin (a minute; a day more for intervals of days or months, computed in local
-- time); startup exclusion applies the exact bound.
SELECT planned_chunks($$DELETE FROM recent WHERE time > now() - interval '1 hour'$$) BETWEEN 1 AND 2 AS few;
SELECT planned_chunks($$UPDATE recent SET value = 0 WHERE time >= now() - interval '2 days'$$) BETWEEN 3 AND 5 AS few;
SELECT planned_chunks($$SELECT * FROM recent WHERE time > now() - interval '1 month' FOR UPDATE$$) AS all_recent;
SELECT planned_chunks($$SELECT * FROM recent WHERE time > now() - interval '1 week' FOR UPDATE$$) BETWEEN 8 AND 10 AS week;
SELECT planned_chunks($$DELETE FROM recent WHERE time > statement_timestamp() + interval '10 days'$$) AS none;
BEGIN;
DELETE FROM recent WHERE time > now() - interval '1 hour' RETURNING value;
UPDATE recent SET value = -value WHERE time > now() - interval '36 hours' RETURNING value;
SELECT value FROM recent WHERE time > now() - interval '3 days' ORDER BY value FOR UPDATE;
ROLLBACK;
-- A generic plan too (its bound is its planning time's, so later executions stay right).
SET plan_cache_mode = force_generic_plan;
PREPARE recent_del AS DELETE FROM recent WHERE time > now() - interval '1 hour';
SELECT planned_chunks('EXECUTE recent_del') BETWEEN 1 AND 2 AS few;
BEGIN;
EXECUTE recent_del;
SELECT count(*) FROM recent;
ROLLBACK;
DEALLOCATE recent_del;
RESET plan_cache_mode;

-- Locks: on a hypertable of 1,000 chunks a now()-relative DELETE, a constant-range UPDATE and
-- SELECT ... FOR UPDATE lock a handful of relations (the hypertable, its index, the chunks that
-- can match and theirs), not a thousand.
CREATE TABLE big (time timestamptz NOT NULL, value int);
SELECT table_name FROM create_hypertable('big', 'time', chunk_time_interval => interval '1 day',
                                         create_default_indexes => false);
INSERT INTO big SELECT now() - g * interval '24 hours', g FROM generate_series(0, 999) g;
SELECT count(*) FROM show_chunks('big');
SELECT now() - interval '10 days' AS lo, now() - interval '9 days' AS hi \gset
BEGIN;
DELETE FROM big WHERE time > now() - interval '1 hour';
SELECT relations <= 6 AS few FROM my_locks;
ROLLBACK;
BEGIN;
UPDATE big SET value = 0 WHERE time >= :'lo' AND time <= :'hi';
SELECT relations <= 6 AS few FROM my_locks;
ROLLBACK;
BEGIN;
SELECT count(*) FROM (SELECT * FROM big WHERE time >= :'lo' AND time <= :'hi' FOR UPDATE) s;
SELECT relations <= 6 AS few FROM my_locks;
ROLLBACK;
-- Nothing matches: the hypertable and the two views.
BEGIN;
UPDATE big SET value = 0 WHERE time < '1990-01-01';
SELECT relations FROM my_locks;
ROLLBACK;
-- A generic plan lists every chunk (the parameters are unknown when it is made): ModifyTable opens
-- and locks every result relation when the plan starts, though ChunkAppend scans only one.
SET plan_cache_mode = force_generic_plan;
PREPARE big_upd(timestamptz) AS UPDATE big SET value = 0 WHERE time = $1;
BEGIN;
EXECUTE big_upd(:'lo');
SELECT relations > 1000 AS all_chunks FROM my_locks;
ROLLBACK;
DEALLOCATE big_upd;
RESET plan_cache_mode;

-- With chunk exclusion off, PostgreSQL's inheritance expansion: the parent too, and every chunk
-- locked before CHECK constraints exclude most of them.
SET strata.enable_chunk_exclusion = off;
EXPLAIN (COSTS OFF) DELETE FROM m WHERE time < '2024-01-02';
BEGIN;
DELETE FROM big WHERE time > now() - interval '1 hour';
SELECT relations > 1000 AS all_chunks FROM my_locks;
ROLLBACK;
RESET strata.enable_chunk_exclusion;
