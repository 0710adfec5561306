-- Generic UPDATE, DELETE and MERGE plans lock only the chunks that survive ChunkAppend's startup
-- exclusion (strata.enable_lazy_chunk_locking): a prepared statement whose time bounds are
-- parameters, over a hypertable with 300 chunks, locks the chunks its parameters select, and its
-- ModifyTable lists only those. Results, RETURNING and triggers equal a plain table's.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE gd (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gd', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
INSERT INTO gd SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 20) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 299) i, generate_series(0, 2) j;
CREATE TABLE pd (time timestamptz NOT NULL, device int, v float8);
INSERT INTO pd SELECT * FROM gd;
SELECT count(*) AS chunks FROM show_chunks('gd');

-- Relation locks this backend holds on gd's chunks.
CREATE FUNCTION chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk$' $$;
CREATE FUNCTION relation_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' $$;
-- Rows that differ between the hypertable and the plain table.
CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((TABLE gd EXCEPT ALL TABLE pd) UNION ALL (TABLE pd EXCEPT ALL TABLE gd)) d $$;

-- Triggers: a row trigger changes the new row, a statement trigger counts statements.
CREATE TABLE stmt_log (tbl text, op text);
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.v := NEW.v + 0.5; RETURN NEW; END $$;
CREATE FUNCTION log_stmt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO stmt_log VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$;
CREATE TRIGGER gd_bump BEFORE UPDATE ON gd FOR EACH ROW EXECUTE FUNCTION bump();
CREATE TRIGGER pd_bump BEFORE UPDATE ON pd FOR EACH ROW EXECUTE FUNCTION bump();
CREATE TRIGGER gd_log AFTER UPDATE OR DELETE ON gd FOR EACH STATEMENT EXECUTE FUNCTION log_stmt();
CREATE TRIGGER pd_log AFTER UPDATE OR DELETE ON pd FOR EACH STATEMENT EXECUTE FUNCTION log_stmt();

SET plan_cache_mode = force_generic_plan;
PREPARE u(timestamptz, timestamptz) AS
  UPDATE gd SET v = v + 1 WHERE time >= $1 AND time < $2 RETURNING time, device, v;
PREPARE pu(timestamptz, timestamptz) AS
  UPDATE pd SET v = v + 1 WHERE time >= $1 AND time < $2 RETURNING time, device, v;
PREPARE d(timestamptz, timestamptz) AS
  DELETE FROM gd WHERE time >= $1 AND time < $2 RETURNING time, device, v;
PREPARE pdel(timestamptz, timestamptz) AS
  DELETE FROM pd WHERE time >= $1 AND time < $2 RETURNING time, device, v;
-- The first executions build the generic plans (planning locks every chunk it lists).
EXECUTE u('2026-01-05 00:00', '2026-01-05 03:00');
EXECUTE pu('2026-01-05 00:00', '2026-01-05 03:00');
EXECUTE d('2026-01-06 00:00', '2026-01-06 01:00');
EXECUTE pdel('2026-01-06 00:00', '2026-01-06 01:00');

-- Again in a new transaction: three chunks survive, three are locked.
BEGIN;
EXECUTE u('2026-01-10 00:00', '2026-01-10 03:00');
SELECT chunk_locks() AS chunk_locks, relation_locks() < 30 AS a_handful;
COMMIT;
EXECUTE pu('2026-01-10 00:00', '2026-01-10 03:00');
SELECT diff();
-- DELETE: two chunks.
BEGIN;
EXECUTE d('2026-01-11 00:00', '2026-01-11 02:00');
SELECT chunk_locks() AS chunk_locks, relation_locks() < 30 AS a_handful;
COMMIT;
EXECUTE pdel('2026-01-11 00:00', '2026-01-11 02:00');
SELECT diff();
-- Bounds inside one chunk, and across its edge.
EXECUTE u('2026-01-12 00:30', '2026-01-12 01:30');
EXECUTE pu('2026-01-12 00:30', '2026-01-12 01:30');
SELECT diff();

-- No chunk survives: one is kept as the statement's result relation (locked, never read); the
-- statement trigger fires as on the plain table.
BEGIN;
EXECUTE u('2020-01-01', '2020-01-02');
SELECT chunk_locks() <= 1 AS at_most_one;
COMMIT;
EXECUTE d('2020-01-01', '2020-01-02');
EXECUTE pu('2020-01-01', '2020-01-02');
EXECUTE pdel('2020-01-01', '2020-01-02');
SELECT tbl, op, count(*) FROM stmt_log GROUP BY 1, 2 ORDER BY 1, 2;

-- EXPLAIN EXECUTE lists the surviving chunks as result relations.
EXPLAIN (COSTS OFF) EXECUTE u('2026-01-10 00:00', '2026-01-10 02:00');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE d('2020-01-01', '2020-01-02');

-- UPDATE ... FROM another table.
CREATE TABLE adj (device int, delta float8);
INSERT INTO adj VALUES (0, 100), (2, 200);
PREPARE uf(timestamptz) AS
  UPDATE gd SET v = v + adj.delta FROM adj WHERE adj.device = gd.device AND gd.time >= $1 AND gd.time < $1 + interval '2 hours'
  RETURNING gd.time, gd.device, gd.v;
PREPARE puf(timestamptz) AS
  UPDATE pd SET v = v + adj.delta FROM adj WHERE adj.device = pd.device AND pd.time >= $1 AND pd.time < $1 + interval '2 hours'
  RETURNING pd.time, pd.device, pd.v;
EXECUTE uf('2026-01-08 00:00');
EXECUTE puf('2026-01-08 00:00');
BEGIN;
EXECUTE uf('2026-01-08 05:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE puf('2026-01-08 05:00');
SELECT diff();

-- A data-modifying WITH query.
PREPARE wd(timestamptz) AS
  WITH del AS (DELETE FROM gd WHERE time >= $1 AND time < $1 + interval '1 hour' RETURNING v)
  SELECT count(*), sum(v) FROM del;
PREPARE pwd(timestamptz) AS
  WITH del AS (DELETE FROM pd WHERE time >= $1 AND time < $1 + interval '1 hour' RETURNING v)
  SELECT count(*), sum(v) FROM del;
EXECUTE wd('2026-01-09 00:00');
EXECUTE pwd('2026-01-09 00:00');
BEGIN;
EXECUTE wd('2026-01-09 04:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE pwd('2026-01-09 04:00');
SELECT diff();

-- An UPDATE that moves rows into another chunk (src/ingest/row_move.cpp): the source chunk and
-- the destination are locked.
PREPARE mv(timestamptz, interval) AS
  UPDATE gd SET time = time + $2 WHERE time >= $1 AND time < $1 + interval '1 hour' AND device = 1
  RETURNING time, device, v;
PREPARE pmv(timestamptz, interval) AS
  UPDATE pd SET time = time + $2 WHERE time >= $1 AND time < $1 + interval '1 hour' AND device = 1
  RETURNING time, device, v;
EXECUTE mv('2026-01-07 00:00', interval '3 hours');
EXECUTE pmv('2026-01-07 00:00', interval '3 hours');
BEGIN;
EXECUTE mv('2026-01-07 01:00', interval '5 hours');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE pmv('2026-01-07 01:00', interval '5 hours');
-- Rows that stay in their chunk, and rows that move, in one statement.
EXECUTE mv('2026-01-07 02:00', interval '10 minutes');
EXECUTE pmv('2026-01-07 02:00', interval '10 minutes');
SELECT diff();
SELECT tableoid::regclass AS chunk, count(*) FROM gd WHERE time >= '2026-01-07' AND time < '2026-01-07 08:00'
  GROUP BY 1 ORDER BY 1;

-- A chunk dropped after the plan was made: the next execution is replanned and right.
SELECT count(*) AS dropped FROM drop_chunks('gd', older_than => timestamptz '2026-01-02 00:00');
DELETE FROM pd WHERE time < '2026-01-02 00:00';
EXECUTE u('2026-01-01 20:00', '2026-01-02 02:00');
EXECUTE pu('2026-01-01 20:00', '2026-01-02 02:00');
SELECT diff();
BEGIN;
EXECUTE u('2026-01-02 00:00', '2026-01-02 01:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE pu('2026-01-02 00:00', '2026-01-02 01:00');

-- Off (it applies when the plan is made): the generic plan locks every chunk.
SET strata.enable_lazy_chunk_locking = off;
PREPARE u_off(timestamptz, timestamptz) AS UPDATE gd SET v = v + 1 WHERE time >= $1 AND time < $2;
EXECUTE u_off('2026-01-10 00:00', '2026-01-10 03:00');
BEGIN;
EXECUTE u_off('2026-01-10 00:00', '2026-01-10 03:00');
SELECT chunk_locks() > 250 AS every_chunk;
COMMIT;
RESET strata.enable_lazy_chunk_locking;
EXECUTE pu('2026-01-10 00:00', '2026-01-10 03:00');
EXECUTE pu('2026-01-10 00:00', '2026-01-10 03:00');
SELECT diff();

-- MERGE: the chunks that survive are locked, and the plan's first result relation (PostgreSQL 15
-- runs the NOT MATCHED actions through its state), not every chunk the plan lists.
PREPARE mg(timestamptz) AS
  MERGE INTO gd USING (SELECT $1::timestamptz AS t) s ON gd.time = s.t
  WHEN MATCHED THEN UPDATE SET v = gd.v + 1;
EXECUTE mg('2026-01-10 00:00');
BEGIN;
EXECUTE mg('2026-01-10 00:00');
SELECT chunk_locks() AS chunk_locks, relation_locks() < 30 AS a_handful;
COMMIT;
UPDATE pd SET v = v + 1 WHERE time = '2026-01-10 00:00';
UPDATE pd SET v = v + 1 WHERE time = '2026-01-10 00:00';
SELECT diff();
EXPLAIN (COSTS OFF) EXECUTE mg('2026-01-10 05:00');
-- With NOT MATCHED inserts and rows moved into another chunk: the same rows as MERGE on the
-- plain table. A move locks its destination too; an insert routes through the hypertable.
PREPARE mgm(timestamptz, int, interval) AS
  MERGE INTO gd USING (SELECT $1::timestamptz AS t, $2::int AS d) s ON gd.time = s.t AND gd.device = s.d
  WHEN MATCHED THEN UPDATE SET time = gd.time + $3, v = gd.v + 100000
  WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, -1);
PREPARE pmgm(timestamptz, int, interval) AS
  MERGE INTO pd USING (SELECT $1::timestamptz AS t, $2::int AS d) s ON pd.time = s.t AND pd.device = s.d
  WHEN MATCHED THEN UPDATE SET time = pd.time + $3, v = pd.v + 100000
  WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, -1);
EXECUTE mgm('2026-01-06 10:00', 0, interval '1 minute');
EXECUTE pmgm('2026-01-06 10:00', 0, interval '1 minute');
BEGIN;
EXECUTE mgm('2026-01-06 11:00', 0, interval '2 hours 1 minute');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE pmgm('2026-01-06 11:00', 0, interval '2 hours 1 minute');
EXECUTE mgm('2026-01-06 11:30', 0, interval '0');
EXECUTE pmgm('2026-01-06 11:30', 0, interval '0');
EXECUTE mgm('2026-01-06 12:20', 1, interval '-3 days');
EXECUTE pmgm('2026-01-06 12:20', 1, interval '-3 days');
SELECT diff();
SELECT tableoid::regclass AS chunk, time, device, v FROM gd WHERE v < 0 OR v > 100000 ORDER BY time, device;
-- The command tag counts NOT MATCHED inserts as on the plain table (plpgsql's MERGE: custom
-- plans, then a generic one).
CREATE FUNCTION merge_rows(hyper bool, p_t timestamptz, p_d int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  IF hyper THEN
    MERGE INTO gd USING (SELECT p_t AS t, p_d AS d) s ON gd.time = s.t AND gd.device = s.d
      WHEN MATCHED THEN UPDATE SET v = gd.v + 1 WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, -2);
  ELSE
    MERGE INTO pd USING (SELECT p_t AS t, p_d AS d) s ON pd.time = s.t AND pd.device = s.d
      WHEN MATCHED THEN UPDATE SET v = pd.v + 1 WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, -2);
  END IF;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
BEGIN;
SELECT i, merge_rows(true, timestamptz '2026-01-06 13:00' + i * interval '7 hours', i % 3) AS gd_rows,
       merge_rows(false, timestamptz '2026-01-06 13:00' + i * interval '7 hours', i % 3) AS pd_rows
  FROM generate_series(0, 7) i;
SELECT diff();
ROLLBACK;

-- Compressed chunks: a compressed chunk that a generic UPDATE or DELETE lists is locked before
-- execution as without deferral (the columnstore's DML path opens it at executor start); the
-- other chunks only when they survive. Results equal the plain table's.
ALTER TABLE gd SET (timescaledb.compress, timescaledb.compress_orderby = 'time');
CREATE TEMP TABLE to_compress AS
  SELECT DISTINCT tableoid::regclass AS c FROM gd WHERE time >= '2026-01-03 00:00' AND time < '2026-01-03 02:00';
SELECT count(compress_chunk(c)) AS compressed FROM to_compress;
-- (The order in which a compressed chunk's rows are updated is the columnstore's: these sort them.)
PREPARE uc(timestamptz, timestamptz) AS
  WITH r AS (UPDATE gd SET v = v + 1 WHERE time >= $1 AND time < $2 RETURNING time, device, v)
  SELECT * FROM r ORDER BY time, device;
PREPARE dc(timestamptz, timestamptz) AS
  WITH r AS (DELETE FROM gd WHERE time >= $1 AND time < $2 RETURNING time, device, v)
  SELECT * FROM r ORDER BY time, device;
EXECUTE uc('2026-01-03 01:00', '2026-01-03 03:00');
EXECUTE pu('2026-01-03 01:00', '2026-01-03 03:00');
SELECT diff();
-- (That UPDATE changed the compressed chunks' status: the next execution replans.)
EXECUTE u('2026-01-03 05:00', '2026-01-03 06:00');
EXECUTE pu('2026-01-03 05:00', '2026-01-03 06:00');
-- The survivor and the two compressed chunks are locked.
BEGIN;
EXECUTE u('2026-01-03 05:00', '2026-01-03 06:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
EXECUTE pu('2026-01-03 05:00', '2026-01-03 06:00');
EXECUTE dc('2026-01-03 00:00', '2026-01-03 01:30');
EXECUTE pdel('2026-01-03 00:00', '2026-01-03 01:30');
SELECT diff();

-- PL/pgSQL: its UPDATE with variables as bounds is a cached plan with parameters (the first call
-- plans it, locking every chunk; the second locks the two survivors and the two compressed chunks).
CREATE FUNCTION bump_range(lo timestamptz, hi timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  UPDATE gd SET v = v + 1 WHERE time >= lo AND time < hi;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n || ' rows, ' || chunk_locks() || ' chunk locks';
END $$;
SELECT bump_range('2026-01-04 00:00', '2026-01-04 02:00');
SELECT bump_range('2026-01-04 00:00', '2026-01-04 02:00');
UPDATE pd SET v = v + 1 WHERE time >= '2026-01-04 00:00' AND time < '2026-01-04 02:00';
UPDATE pd SET v = v + 1 WHERE time >= '2026-01-04 00:00' AND time < '2026-01-04 02:00';
SELECT diff();
