-- UPDATE that changes a row's time into another chunk's range moves the row, with PostgreSQL's
-- semantics for a row moving between partitions: BEFORE UPDATE row triggers on the source, then
-- BEFORE DELETE / AFTER DELETE on the source chunk and BEFORE INSERT / AFTER INSERT on the
-- destination chunk, constraints and unique indexes of the destination, RETURNING of the new row,
-- and the row counted once as updated.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE um (time timestamptz NOT NULL, device int NOT NULL, v float8, UNIQUE (device, time));
SELECT create_hypertable('um', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO um VALUES ('2026-01-01 10:00', 1, 1), ('2026-01-01 11:00', 2, 2), ('2026-01-02 10:00', 1, 3),
                      ('2026-01-03 10:00', 3, 4);
CREATE VIEW um_rows AS SELECT tableoid::regclass AS chunk, time, device, v FROM um;
SELECT * FROM um_rows ORDER BY time, device;

-- Into an existing chunk: the row leaves its chunk and lands in the other.
UPDATE um SET time = '2026-01-02 12:00' WHERE device = 2;
SELECT * FROM um_rows ORDER BY time, device;
-- Into a chunk that does not exist yet: it is created.
SELECT count(*) AS chunks_before FROM show_chunks('um');
UPDATE um SET time = time + interval '10 days' WHERE device = 3;
SELECT count(*) AS chunks_after FROM show_chunks('um');
SELECT * FROM um_rows ORDER BY time, device;
-- Within the chunk it is an ordinary update.
UPDATE um SET time = time + interval '1 hour' WHERE device = 1 AND time < '2026-01-02';
SELECT * FROM um_rows ORDER BY time, device;

-- RETURNING gives the new row (in its new chunk); rows staying put and moving rows together.
UPDATE um SET time = time + interval '1 day 30 minutes', v = v * 10 WHERE device = 1
  RETURNING tableoid::regclass AS chunk, time, device, v;
SELECT * FROM um_rows ORDER BY time, device;

-- Row counts: the command tag counts each row once (psql's ROW_COUNT).
UPDATE um SET time = time - interval '1 day' WHERE device = 1;
\echo :ROW_COUNT
SELECT count(*) AS total_rows FROM um;

-- Triggers fire in PostgreSQL's order for a partition move.
CREATE FUNCTION um_trace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE NOTICE '% % % on %: old %', TG_WHEN, TG_LEVEL, TG_OP, TG_TABLE_NAME ~ 'chunk', OLD.time;
    RETURN OLD;
  ELSIF TG_OP = 'INSERT' THEN
    RAISE NOTICE '% % % on %: new %', TG_WHEN, TG_LEVEL, TG_OP, TG_TABLE_NAME ~ 'chunk', NEW.time;
  ELSE
    RAISE NOTICE '% % % on %: % -> %', TG_WHEN, TG_LEVEL, TG_OP, TG_TABLE_NAME ~ 'chunk', OLD.time, NEW.time;
  END IF;
  RETURN NEW;
END $$;
CREATE FUNCTION um_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE '% % %', TG_WHEN, TG_LEVEL, TG_OP;
  RETURN NULL;
END $$;
CREATE TRIGGER a_bu BEFORE UPDATE ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER b_bd BEFORE DELETE ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER c_bi BEFORE INSERT ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER d_au AFTER UPDATE ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER e_ad AFTER DELETE ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER f_ai AFTER INSERT ON um FOR EACH ROW EXECUTE FUNCTION um_trace();
CREATE TRIGGER g_bs BEFORE UPDATE ON um FOR EACH STATEMENT EXECUTE FUNCTION um_stmt();
CREATE TRIGGER h_as AFTER UPDATE ON um FOR EACH STATEMENT EXECUTE FUNCTION um_stmt();
-- A move: BEFORE UPDATE, BEFORE DELETE, BEFORE INSERT, then AFTER DELETE and AFTER INSERT.
UPDATE um SET time = '2026-01-05 10:00' WHERE device = 2;
-- A row that stays: BEFORE UPDATE and AFTER UPDATE only.
UPDATE um SET time = '2026-01-05 11:00' WHERE device = 2;
SELECT * FROM um_rows ORDER BY time, device;
DROP TRIGGER a_bu ON um;
DROP TRIGGER b_bd ON um;
DROP TRIGGER c_bi ON um;
DROP TRIGGER d_au ON um;
DROP TRIGGER e_ad ON um;
DROP TRIGGER f_ai ON um;
DROP TRIGGER g_bs ON um;
DROP TRIGGER h_as ON um;

-- A BEFORE UPDATE trigger that changes the time decides where the row goes.
CREATE FUNCTION um_shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.time := NEW.time + interval '1 day';
  RETURN NEW;
END $$;
CREATE TRIGGER um_shift BEFORE UPDATE ON um FOR EACH ROW EXECUTE FUNCTION um_shift();
UPDATE um SET time = '2026-01-06 11:00' WHERE device = 2 RETURNING tableoid::regclass AS chunk, time;
DROP TRIGGER um_shift ON um;
-- A BEFORE DELETE trigger returning NULL skips the move: the row is neither moved nor counted.
CREATE FUNCTION um_keep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER um_keep BEFORE DELETE ON um FOR EACH ROW EXECUTE FUNCTION um_keep();
UPDATE um SET time = '2026-01-01 00:00' WHERE device = 2;
\echo :ROW_COUNT
DROP TRIGGER um_keep ON um;
SELECT * FROM um_rows ORDER BY time, device;

-- A unique violation in the destination: 23505, and nothing changed.
INSERT INTO um VALUES ('2026-01-20 10:00', 5, 50), ('2026-01-21 10:00', 5, 51);
\set VERBOSITY default
UPDATE um SET time = '2026-01-21 10:00' WHERE device = 5 AND time = '2026-01-20 10:00';
\set VERBOSITY terse
SELECT * FROM um_rows WHERE device = 5 ORDER BY time;
-- A CHECK constraint of the hypertable holds in the destination.
ALTER TABLE um ADD CONSTRAINT um_v_check CHECK (v < 1000);
UPDATE um SET time = time + interval '3 days', v = 5000 WHERE device = 5 AND time = '2026-01-20 10:00';
SELECT * FROM um_rows WHERE device = 5 ORDER BY time;
-- NOT NULL on time.
UPDATE um SET time = NULL WHERE device = 5;

-- Many rows in one statement, across many chunks, in both directions.
CREATE TABLE many (time timestamptz NOT NULL, id int, v int);
SELECT create_hypertable('many', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
CREATE UNIQUE INDEX ON many (id, time);
INSERT INTO many SELECT timestamptz '2026-03-01' + i * interval '1 hour', i, i FROM generate_series(0, 999) i;
SELECT count(*) AS chunks FROM show_chunks('many');
SELECT sum(v) AS sum_before, count(*) FROM many;
UPDATE many SET time = time + (CASE WHEN id % 2 = 0 THEN 1 ELSE -1 END) * (id % 7) * interval '1 day';
\echo :ROW_COUNT
SELECT count(*) AS rows, sum(v) AS sum_after,
       count(*) FILTER (WHERE time <> timestamptz '2026-03-01' + id * interval '1 hour' + (CASE WHEN id % 2 = 0 THEN 1 ELSE -1 END) * (id % 7) * interval '1 day') AS wrong_time
FROM many;
-- Every row is in the chunk its time belongs to.
SELECT count(*) AS misplaced FROM many m JOIN _strata_catalog.chunk c ON format('%I.%I', c.schema_name, c.table_name)::regclass = m.tableoid
  JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
 WHERE NOT ((extract(epoch FROM m.time) * 1000000)::bigint >= c.range_start AND (extract(epoch FROM m.time) * 1000000)::bigint < c.range_end);
-- The hypertable's parent table holds no rows.
SELECT count(*) AS parent_rows FROM ONLY many;

-- A row moved twice in one transaction, and rolled back.
BEGIN;
UPDATE many SET time = '2027-01-01' WHERE id = 1;
UPDATE many SET time = '2027-02-01' WHERE id = 1;
SELECT time FROM many WHERE id = 1;
ROLLBACK;
SELECT time FROM many WHERE id = 1;

-- UPDATE ... FROM with RETURNING referencing the other table.
CREATE TABLE shifts (id int, d interval);
INSERT INTO shifts VALUES (2, '5 days'), (4, '0 days');
UPDATE many SET time = many.time + s.d FROM shifts s WHERE s.id = many.id RETURNING many.id, s.d, many.time;
-- In a CTE with RETURNING.
WITH moved AS (UPDATE many SET time = time + interval '30 days' WHERE id IN (10, 11) RETURNING id, time)
SELECT * FROM moved ORDER BY id;

-- EXPLAIN shows the nodes (only when the UPDATE sets the time column).
CREATE TABLE small (time timestamptz NOT NULL, v int);
SELECT create_hypertable('small', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO small VALUES ('2026-01-01 10:00', 1), ('2026-01-02 10:00', 2);
EXPLAIN (COSTS OFF) UPDATE small SET time = time + interval '1 day' WHERE v = 1;
EXPLAIN (COSTS OFF) UPDATE small SET v = 3 WHERE v = 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE small SET time = time + interval '1 day' WHERE v = 1;
SELECT tableoid::regclass AS chunk, * FROM small ORDER BY time;

-- Row-level security: the UPDATE's WITH CHECK policy holds for the moved row.
CREATE ROLE um_user;
GRANT SELECT, UPDATE ON um TO um_user;
ALTER TABLE um ENABLE ROW LEVEL SECURITY;
CREATE POLICY um_sel ON um FOR SELECT USING (true);
CREATE POLICY um_upd ON um FOR UPDATE USING (true) WITH CHECK (time < '2026-02-01');
SET ROLE um_user;
UPDATE um SET time = '2026-03-01' WHERE device = 5;
UPDATE um SET time = '2026-01-25 10:00' WHERE device = 5 AND time = '2026-01-20 10:00' RETURNING time, device;
RESET ROLE;
ALTER TABLE um DISABLE ROW LEVEL SECURITY;
DROP POLICY um_sel ON um;
DROP POLICY um_upd ON um;
REVOKE ALL ON um FROM um_user;
DROP ROLE um_user;
SELECT * FROM um_rows WHERE device = 5 ORDER BY time;

-- A foreign key of the hypertable holds for the moved row (23503), in a new chunk too.
CREATE TABLE devices (id int PRIMARY KEY);
INSERT INTO devices VALUES (1), (2);
CREATE TABLE fk (time timestamptz NOT NULL, device int REFERENCES devices (id));
SELECT create_hypertable('fk', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO fk VALUES ('2026-01-01 10:00', 1);
UPDATE fk SET time = '2026-01-02 10:00', device = 3;
UPDATE fk SET time = '2026-01-02 10:00', device = 2;
SELECT tableoid::regclass AS chunk, * FROM fk;

-- Chunks of different physical layouts (a column dropped between their creations).
CREATE TABLE lay (time timestamptz NOT NULL, junk int, v text);
SELECT create_hypertable('lay', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO lay VALUES ('2026-01-01 10:00', 0, 'a');
ALTER TABLE lay DROP COLUMN junk;
INSERT INTO lay VALUES ('2026-01-05 10:00', 'b');
UPDATE lay SET time = time + interval '4 days' WHERE v = 'a' RETURNING tableoid::regclass AS chunk, *;
UPDATE lay SET time = time - interval '4 days' WHERE v = 'b' RETURNING tableoid::regclass AS chunk, *;
SELECT tableoid::regclass AS chunk, * FROM lay ORDER BY time;

-- Moving into a compressed chunk: its row part (sql/columnstore_update_move.sql has more).
CREATE TABLE cm (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('cm', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO cm VALUES ('2026-01-01 10:00', 1, 1), ('2026-01-02 10:00', 1, 2);
ALTER TABLE cm SET (timescaledb.compress);
SELECT count(compress_chunk(c)) FROM show_chunks('cm', older_than => timestamptz '2026-01-02') c;
UPDATE cm SET time = '2026-01-01 12:00' WHERE time = '2026-01-02 10:00';
SELECT time, v FROM cm ORDER BY time;
