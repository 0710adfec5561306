-- ChunkAppend initializes each chunk's scan only when it first reads from it: an ordered LIMIT
-- query that stops in the newest chunk never opens the other chunks' indexes. A cached generic
-- plan shows it (the executor, not the planner, opens and locks the indexes then). EXPLAIN,
-- EXPLAIN ANALYZE, rescans and cursors keep working.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE li (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('li', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
CREATE INDEX li_device_time_idx ON li (device, time DESC);
INSERT INTO li SELECT timestamptz '2026-01-01' + i * interval '1 hour', i % 3, i
  FROM generate_series(0, 4 * 24 - 1) i;
ANALYZE li;
SELECT count(*) AS chunks FROM show_chunks('li');
-- (index scans, as on a table of realistic size)
SET enable_seqscan = off;
SET enable_bitmapscan = off;

-- Index locks this backend holds on li's chunks' indexes.
CREATE FUNCTION chunk_index_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relkind = 'i'
    AND c.relname ~ '^_hyper_\d+_\d+_chunk' $$;

SET plan_cache_mode = force_generic_plan;
PREPARE newest(int) AS SELECT time, v FROM li WHERE device = $1 ORDER BY time DESC LIMIT 2;
EXPLAIN (COSTS OFF) EXECUTE newest(1);
-- The first execution plans (planning opens every chunk's indexes).
EXECUTE newest(1);
-- From the cached plan: only the newest chunk's scan is initialized, so one index is locked.
BEGIN;
EXECUTE newest(1);
SELECT chunk_index_locks() AS chunk_index_locks;
COMMIT;
-- A LIMIT that needs rows of every chunk initializes them all, one after the other.
PREPARE all_rows(int) AS SELECT count(*) FROM (SELECT time FROM li WHERE device = $1 ORDER BY time DESC LIMIT 1000) s;
EXECUTE all_rows(2);
BEGIN;
EXECUTE all_rows(2);
SELECT chunk_index_locks() AS chunk_index_locks;
COMMIT;
RESET plan_cache_mode;

-- EXPLAIN ANALYZE shows the children never read.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM li WHERE device = 1 ORDER BY time DESC LIMIT 2;

-- Rescans: a correlated subquery, read again per outer row with a changed parameter; each outer
-- row stops in a different chunk.
SELECT o.d, (SELECT l.v FROM li l WHERE l.device = o.d AND l.time < o.t ORDER BY l.time DESC LIMIT 1) AS v
FROM (VALUES (0, timestamptz '2026-01-04 12:00'), (1, timestamptz '2026-01-02 05:00'),
             (2, timestamptz '2026-01-01 03:00')) AS o(d, t)
ORDER BY o.d;

-- A cursor reading forward across chunks.
BEGIN;
DECLARE c CURSOR FOR SELECT time, v FROM li WHERE device = 0 ORDER BY time DESC;
FETCH 2 FROM c;
MOVE 20 IN c;
FETCH 3 FROM c;
CLOSE c;
COMMIT;

-- Results equal the ones of a plain table.
CREATE TABLE li_plain AS SELECT * FROM li;
SELECT (SELECT array_agg(v ORDER BY time DESC) FROM (SELECT * FROM li WHERE device = 2 ORDER BY time DESC LIMIT 40) a)
     = (SELECT array_agg(v ORDER BY time DESC) FROM (SELECT * FROM li_plain WHERE device = 2 ORDER BY time DESC LIMIT 40) b)
       AS same;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP TABLE li, li_plain;
