-- An Append without asynchronous subplans runs its own loop once begun (strata.enable_sync_append):
-- the same rows, in the same order, as PostgreSQL's ExecAppend, across chunks, after rescans (the
-- inner side of a nested loop), scrolling backward in a cursor, under EXPLAIN ANALYZE and when a
-- LIMIT stops it early.
SET timezone = 'UTC';
CREATE TABLE sa (time timestamptz NOT NULL, device int NOT NULL, v float8);
SELECT create_hypertable('sa', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO sa SELECT '2026-01-01'::timestamptz + n * interval '4 hours', n % 3, n FROM generate_series(0, 29) n;
ANALYZE sa;
CREATE TABLE sa_dev (device int);
INSERT INTO sa_dev VALUES (0), (2);
SET max_parallel_workers_per_gather = 0;
-- Rows of several chunks in one Append.
EXPLAIN (COSTS OFF) SELECT device, count(*), sum(v) FROM sa WHERE time >= '2026-01-02 02:00' GROUP BY device ORDER BY device;
SELECT device, count(*), sum(v) FROM sa WHERE time >= '2026-01-02 02:00' GROUP BY device ORDER BY device;
SET strata.enable_sync_append = off;
SELECT device, count(*), sum(v) FROM sa WHERE time >= '2026-01-02 02:00' GROUP BY device ORDER BY device;
RESET strata.enable_sync_append;
-- The Append rescanned for each outer row (a correlated sub-query: its parameter changes).
EXPLAIN (COSTS OFF)
SELECT d.device, (SELECT count(*) FROM sa s WHERE s.device = d.device AND s.time >= '2026-01-02 02:00')
FROM sa_dev d ORDER BY d.device;
SELECT d.device, (SELECT count(*) FROM sa s WHERE s.device = d.device AND s.time >= '2026-01-02 02:00')
FROM sa_dev d ORDER BY d.device;
-- Row counts under EXPLAIN ANALYZE (instrumented nodes call the loop too).
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*) FROM sa WHERE time >= '2026-01-02 02:00' AND v > 0;
-- A scrollable cursor: forward through two chunks, then backward across the chunk boundary.
EXPLAIN (COSTS OFF) SELECT time, v FROM sa WHERE time >= '2026-01-04 12:00' AND v >= 0;
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT time, v FROM sa WHERE time >= '2026-01-04 12:00' AND v >= 0;
FETCH 4 FROM c;
FETCH BACKWARD 3 FROM c;
FETCH FORWARD 3 FROM c;
CLOSE c;
COMMIT;
-- A LIMIT that stops the Append in its first chunk, and one that needs the last.
SELECT v FROM sa WHERE time >= '2026-01-02 02:00' AND v >= 0 LIMIT 2;
SELECT count(*) FROM (SELECT v FROM sa WHERE time >= '2026-01-02 02:00' AND v >= 0 LIMIT 100) t;
DROP TABLE sa, sa_dev;
