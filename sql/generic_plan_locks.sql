-- Generic plans lock only the chunks that survive ChunkAppend's startup exclusion
-- (strata.enable_lazy_chunk_locking): a prepared statement whose time bounds are parameters,
-- over a hypertable with 1,000 chunks, takes a handful of locks, not 1,000.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE gl (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gl', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
INSERT INTO gl SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 20) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 999) i, generate_series(0, 2) j;
SELECT count(*) AS chunks FROM show_chunks('gl');

-- Relation locks this backend holds on gl's chunks, and on anything at all.
CREATE FUNCTION chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk$' $$;
CREATE FUNCTION relation_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' $$;

SET plan_cache_mode = force_generic_plan;
PREPARE q(timestamptz, timestamptz) AS
  SELECT count(*) AS n, sum(v) AS s FROM gl WHERE time >= $1 AND time < $2;
-- The first execution builds the generic plan (planning locks every chunk it lists).
EXECUTE q('2026-01-10 00:00', '2026-01-10 03:00');

-- Executing it again in a new transaction: three chunks survive, three are locked.
BEGIN;
EXECUTE q('2026-01-10 00:00', '2026-01-10 03:00');
SELECT chunk_locks() AS chunk_locks, relation_locks() < 20 AS a_handful;
COMMIT;
-- The answer is the one of a query with constants.
SELECT count(*) AS n, sum(v) AS s FROM gl WHERE time >= '2026-01-10 00:00' AND time < '2026-01-10 03:00';

-- A range that matches no chunk locks none.
BEGIN;
EXECUTE q('2020-01-01', '2020-01-02');
SELECT chunk_locks() AS chunk_locks;
COMMIT;

-- EXPLAIN EXECUTE shows the survivors and how many were excluded; so does EXPLAIN ANALYZE.
EXPLAIN (COSTS OFF) EXECUTE q('2026-01-10 00:00', '2026-01-10 02:00');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q('2026-01-10 00:00', '2026-01-10 02:00');
-- EXPLAIN VERBOSE names the chunks' columns, system columns included.
PREPARE qv(timestamptz) AS SELECT tableoid::regclass AS chunk, time FROM gl WHERE time >= $1 AND time < $1 + interval '30 minutes';
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE qv('2026-01-10 00:00');
EXECUTE qv('2026-01-10 00:00');

-- Ordered by time with a LIMIT (an ordered ChunkAppend).
PREPARE qo(timestamptz) AS SELECT time, v FROM gl WHERE time > $1 ORDER BY time LIMIT 2;
EXECUTE qo('2026-02-11 13:00');
BEGIN;
EXECUTE qo('2026-02-11 13:00');
SELECT chunk_locks() <= 30 AS fewer_than_the_surviving_chunks;
COMMIT;

-- Joins and sub-queries: each hypertable scan defers its own chunks.
PREPARE qj(timestamptz) AS
  SELECT a.device, count(*) FROM gl a JOIN gl b ON a.time = b.time AND a.device = b.device
  WHERE a.time >= $1 AND a.time < $1 + interval '1 hour' AND b.time >= $1 AND b.time < $1 + interval '1 hour'
    AND a.v > (SELECT min(v) FROM gl WHERE time >= $1 AND time < $1 + interval '2 hours')
  GROUP BY 1 ORDER BY 1;
EXECUTE qj('2026-01-20 00:00');
BEGIN;
EXECUTE qj('2026-01-20 00:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;

-- A cursor over a cached plan (PL/pgSQL plans with parameters), fetched row by row.
CREATE FUNCTION cursor_sum(lo timestamptz, hi timestamptz) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  c CURSOR FOR SELECT v FROM gl WHERE time >= lo AND time < hi ORDER BY time;
  total float8 := 0;
  x float8;
  locks bigint;
BEGIN
  OPEN c;
  LOOP
    FETCH c INTO x;
    EXIT WHEN NOT FOUND;
    total := total + x;
  END LOOP;
  locks := chunk_locks();
  CLOSE c;
  RETURN total || ' with ' || locks || ' chunk locks';
END $$;
SELECT cursor_sum('2026-01-05 00:00', '2026-01-05 02:00');
BEGIN;
SELECT cursor_sum('2026-01-05 00:00', '2026-01-05 02:00');
COMMIT;

-- A chunk dropped after the plan was made: the next execution is replanned and right.
SELECT count(*) AS dropped FROM drop_chunks('gl', older_than => timestamptz '2026-01-10 01:00');
EXECUTE q('2026-01-10 00:00', '2026-01-10 03:00');
EXECUTE q('2026-01-09 00:00', '2026-01-10 03:00');
-- A new chunk after the plan was made: found by the next execution.
INSERT INTO gl VALUES ('2026-06-01 12:00', 1, 5);
EXECUTE q('2026-06-01', '2026-06-02');
BEGIN;
EXECUTE q('2026-06-01', '2026-06-02');
SELECT chunk_locks() AS chunk_locks;
COMMIT;

-- Off (it applies when the plan is made), the generic plan locks every chunk before it runs.
SET strata.enable_lazy_chunk_locking = off;
PREPARE q_off(timestamptz, timestamptz) AS
  SELECT count(*) AS n, sum(v) AS s FROM gl WHERE time >= $1 AND time < $2;
EXECUTE q_off('2026-01-10 00:00', '2026-01-10 03:00');
BEGIN;
EXECUTE q_off('2026-01-10 00:00', '2026-01-10 03:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
RESET strata.enable_lazy_chunk_locking;

-- A plan made with it on keeps working after it is turned off (the plan carries its choice).
SET strata.enable_lazy_chunk_locking = off;
BEGIN;
EXECUTE q('2026-01-10 00:00', '2026-01-10 03:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
RESET strata.enable_lazy_chunk_locking;

-- INSERT ... SELECT: the read hypertable's chunks are deferred, the target's are not.
CREATE TABLE gl_copy (time timestamptz NOT NULL, device int, v float8);
PREPARE ins(timestamptz) AS INSERT INTO gl_copy SELECT * FROM gl WHERE time >= $1 AND time < $1 + interval '1 hour';
EXECUTE ins('2026-01-15 00:00');
BEGIN;
EXECUTE ins('2026-01-15 00:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
SELECT count(*) FROM gl_copy;
RESET plan_cache_mode;

-- A real-time continuous aggregate's generic plan: each raw tail chunk under the ChunkAppend is
-- read by its RowstoreAggregate, and is locked only when it survives the watermark's startup
-- exclusion (the plan's three tail chunks, one of them left after a refresh). (Sequential scans:
-- a bitmap heap scan tail is one RowstoreAggregate over the ChunkAppend, deferred already.)
SET plan_cache_mode = force_generic_plan;
SET strata.rowstore_agg_tail = off;
SET enable_bitmapscan = off;
SET enable_indexscan = off;
CREATE TABLE glr (time timestamptz NOT NULL, v int);
SELECT create_hypertable('glr', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO glr SELECT timestamptz '2026-03-01' + g * interval '10 minutes', g % 100 FROM generate_series(0, 4 * 144 - 1) g;
CREATE MATERIALIZED VIEW glr_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', time) AS day, count(*) AS n, sum(v) AS s FROM glr GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('glr_daily', NULL, '2026-03-02');
CREATE TABLE glr_chunks AS SELECT show_chunks('glr')::oid AS c;
CREATE FUNCTION glr_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
    AND relation IN (SELECT c FROM glr_chunks) $$;
PREPARE qr AS SELECT count(*) AS days, sum(n) AS n, sum(s) AS s FROM glr_daily;
EXECUTE qr;
BEGIN;
EXECUTE qr;
SELECT glr_locks() AS tail_chunk_locks;
COMMIT;
CALL refresh_continuous_aggregate('glr_daily', NULL, '2026-03-04');
BEGIN;
EXECUTE qr;
SELECT glr_locks() AS tail_chunk_locks;
COMMIT;
SELECT count(DISTINCT time_bucket('1 day', time)) AS days, count(*) AS n, sum(v) AS s FROM glr;
EXPLAIN (COSTS OFF) EXECUTE qr;
RESET plan_cache_mode;
RESET strata.rowstore_agg_tail;
RESET enable_bitmapscan;
RESET enable_indexscan;
