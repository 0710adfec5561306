-- Generic plans whose chunks are merged in an order that is not time first (ORDER BY device,
-- time DESC over an index on (device, time DESC)) use ChunkMergeAppend instead of MergeAppend:
-- chunks are excluded at executor start from the parameter bounds and now(), and with lazy
-- chunk locking only the surviving chunks are locked.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE gm (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gm', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
CREATE INDEX gm_device_time ON gm (device, time DESC);
INSERT INTO gm SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 15) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 199) i, generate_series(0, 3) j;
-- The same rows in a plain table.
CREATE TABLE gm_plain AS SELECT * FROM gm;
ANALYZE gm;
ANALYZE gm_plain;
SELECT count(*) AS chunks FROM show_chunks('gm');

CREATE FUNCTION chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk$' $$;

SET plan_cache_mode = force_generic_plan;
SET enable_sort = off;
PREPARE q(timestamptz, timestamptz) AS
  SELECT device, time, v FROM gm WHERE time > $1 AND time < $2 ORDER BY device, time DESC;
EXPLAIN (COSTS OFF) EXECUTE q('2026-01-05 00:00', '2026-01-05 03:00');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE q('2026-01-05 00:00', '2026-01-05 03:00');
-- Three chunks survive, three chunks are locked.
BEGIN;
EXECUTE q('2026-01-05 00:00', '2026-01-05 03:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
-- The rows are a plain table's, in the same order.
CREATE TEMP TABLE r1 AS EXECUTE q('2026-01-05 00:00', '2026-01-05 03:00');
SELECT count(*) AS n,
       (SELECT array_agg(row(device, time, v)) FROM r1) =
       (SELECT array_agg(row(device, time, v) ORDER BY device, time DESC) FROM gm_plain
        WHERE time > '2026-01-05 00:00' AND time < '2026-01-05 03:00') AS same
FROM r1;
-- A range that matches no chunk locks none and returns nothing (the temporary table's schema
-- changed the search path, which replans once: executed once before).
EXECUTE q('2020-01-01', '2020-01-02');
EXPLAIN (COSTS OFF) EXECUTE q('2020-01-01', '2020-01-02');
BEGIN;
EXECUTE q('2020-01-01', '2020-01-02');
SELECT chunk_locks() AS chunk_locks;
COMMIT;

-- Index-only scans over a narrow range.
PREPARE qi(timestamptz, timestamptz) AS
  SELECT device, time FROM gm WHERE time >= $1 AND time < $2 ORDER BY device, time DESC;
EXPLAIN (COSTS OFF) EXECUTE qi('2026-01-08 10:00', '2026-01-08 11:00');
BEGIN;
EXECUTE qi('2026-01-08 10:00', '2026-01-08 11:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;

-- Rescans: a correlated sub-query runs the merge once per outer row.
PREPARE qr(timestamptz, timestamptz) AS
  SELECT d, (SELECT array_agg(v) FROM (SELECT v FROM gm WHERE time > $1 AND time < $2 AND device >= d
                                       ORDER BY device, time DESC LIMIT 3) s) AS vs
  FROM generate_series(0, 4) d ORDER BY d;
EXPLAIN (COSTS OFF) EXECUTE qr('2026-01-03 00:00', '2026-01-03 02:30');
EXECUTE qr('2026-01-03 00:00', '2026-01-03 02:30');
SELECT d, (SELECT array_agg(v) FROM (SELECT v FROM gm_plain WHERE time > '2026-01-03 00:00' AND time < '2026-01-03 02:30'
                                     AND device >= d ORDER BY device, time DESC LIMIT 3) s) AS vs
FROM generate_series(0, 4) d ORDER BY d;

-- now()-relative bounds: 20 hourly chunks up to the current hour; 15 are excluded at startup.
-- (The bound is taken from the start of the current hour, so that neither the chunks nor the rows
-- that survive depend on the minute the test runs at.)
-- When less than two minutes of the current hour are left, wait for the next one (an hour that
-- ended between the INSERT and the queries moved the bound past one more chunk's rows).
DO $$ BEGIN
  IF date_trunc('hour', clock_timestamp()) + interval '1 hour' - clock_timestamp() < interval '2 minutes' THEN
    PERFORM pg_sleep_until(date_trunc('hour', clock_timestamp()) + interval '1 hour 1 second');
  END IF;
END $$;
CREATE TABLE gn (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gn', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
CREATE INDEX gn_device_time ON gn (device, time DESC);
INSERT INTO gn SELECT date_trunc('hour', now()) - i * interval '1 hour' + (j * 15) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 19) i, generate_series(0, 3) j;
PREPARE qn AS SELECT device, time, v FROM gn WHERE time < date_trunc('hour', now()) - interval '14 hours 50 minutes' ORDER BY device, time DESC;
EXPLAIN (COSTS OFF) EXECUTE qn;
BEGIN;
EXECUTE qn \g /dev/null
SELECT chunk_locks() AS chunk_locks;
COMMIT;
CREATE TABLE gn_plain AS SELECT * FROM gn;
BEGIN;  -- one now() for both
CREATE TEMP TABLE rn AS EXECUTE qn;
SELECT count(*) AS n,
       (SELECT array_agg(row(device, time, v)) FROM rn) =
       (SELECT array_agg(row(device, time, v) ORDER BY device, time DESC) FROM gn_plain
        WHERE time < date_trunc('hour', now()) - interval '14 hours 50 minutes') AS same
FROM rn;
COMMIT;

-- Without lazy locking (a plan made then), every listed chunk is locked; the rows are the same.
SET strata.enable_lazy_chunk_locking = off;
PREPARE q2(timestamptz, timestamptz) AS
  SELECT device, time, v FROM gm WHERE time > $1 AND time < $2 ORDER BY device, time DESC;
EXECUTE q2('2026-01-05 00:00', '2026-01-05 03:00') \g /dev/null
BEGIN;
EXECUTE q2('2026-01-05 00:00', '2026-01-05 03:00') \g /dev/null
SELECT chunk_locks() AS chunk_locks;
COMMIT;
RESET strata.enable_lazy_chunk_locking;

-- A child without the merge's order is sorted below ChunkMergeAppend (as MergeAppend sorts it):
-- no time index, and one chunk's (device, time DESC) index dropped.
CREATE TABLE gx (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gx', 'time', chunk_time_interval => interval '1 hour', create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX gx_device_time ON gx (device, time DESC);
INSERT INTO gx SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 15) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 19) i, generate_series(0, 3) j;
ANALYZE gx;
CREATE TABLE gx_plain AS SELECT * FROM gx;
SET enable_seqscan = off;
SELECT format('DROP INDEX %s', i.indexrelid::regclass) AS drop_index
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN show_chunks('gx') s ON s = c.oid
WHERE c.oid = (SELECT max(s::text)::regclass FROM show_chunks('gx') s) \gset
:drop_index;
PREPARE qx(timestamptz, timestamptz) AS
  SELECT device, time, v FROM gx WHERE time > $1 AND time < $2 ORDER BY device, time DESC;
EXECUTE qx('2026-01-01 16:00', '2026-01-01 23:00') \g /dev/null
EXPLAIN (COSTS OFF) EXECUTE qx('2026-01-01 16:00', '2026-01-01 23:00');
CREATE TEMP TABLE r2 AS EXECUTE qx('2026-01-01 16:00', '2026-01-01 23:00');
SELECT count(*) AS n,
       (SELECT array_agg(row(device, time, v)) FROM r2) =
       (SELECT array_agg(row(device, time, v) ORDER BY device, time DESC) FROM gx_plain
        WHERE time > '2026-01-01 16:00' AND time < '2026-01-01 23:00') AS same
FROM r2;
RESET enable_seqscan;

-- A hash dimension: chunks share time ranges, so the merge on time itself is a merge too.
CREATE TABLE gs (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('gs', 'time', 'device', 2, chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
INSERT INTO gs SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 15) * interval '1 minute', j, i * 10 + j
  FROM generate_series(0, 49) i, generate_series(0, 3) j;
CREATE TABLE gs_plain AS SELECT * FROM gs;
ANALYZE gs;
PREPARE qs(timestamptz, timestamptz) AS
  SELECT device, time, v FROM gs WHERE time >= $1 AND time < $2 ORDER BY time DESC;
EXECUTE qs('2026-01-02 00:00', '2026-01-02 02:00') \g /dev/null
EXPLAIN (COSTS OFF) EXECUTE qs('2026-01-02 00:00', '2026-01-02 02:00');
BEGIN;
EXECUTE qs('2026-01-02 00:00', '2026-01-02 02:00');
SELECT chunk_locks() AS chunk_locks;
COMMIT;
SELECT device, time, v FROM gs_plain WHERE time >= '2026-01-02 00:00' AND time < '2026-01-02 02:00' ORDER BY time DESC;
