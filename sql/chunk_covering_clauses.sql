-- A constant comparison of the time column that every value of a chunk's range satisfies is
-- dropped from that chunk's restrictions (no estimate, no index clause, no filter per row); the
-- rows returned are those of a plain table, also at the chunks' boundaries. The hypertable's own
-- indexes still prove uniqueness for join removal.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE cc (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('cc', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
-- every 30 minutes over 4 days, exactly on the chunk boundaries too
INSERT INTO cc SELECT timestamptz '2026-01-01' + i * interval '30 minutes', i % 4, i
  FROM generate_series(0, 4 * 48 - 1) i;
ANALYZE cc;
CREATE TABLE cc_plain AS SELECT * FROM cc;

-- [Jan 1 12:00, Jan 3 12:00): the Jan 1 chunk keeps only the lower bound, the Jan 2 chunk
-- (covered entirely) keeps nothing, the Jan 3 chunk only the upper bound.
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cc WHERE time >= '2026-01-01 12:00' AND time < '2026-01-03 12:00';
-- Bounds exactly on chunk boundaries: `>= Jan 2` covers the Jan 2 chunk, `< Jan 3` covers it too;
-- `> Jan 2` and `<= Jan 3` do not cover the first and last chunk (a row sits on each boundary).
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cc WHERE time >= '2026-01-02' AND time < '2026-01-03';
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cc WHERE time > '2026-01-02' AND time <= '2026-01-03';
-- A cross-type comparison (timestamp against timestamptz: depends on the session's time zone)
-- stays.
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cc WHERE time >= timestamp '2026-01-02' AND time < timestamp '2026-01-03';

-- Same rows as the plain table, for bounds on and off the boundaries.
SELECT b.lo, b.hi,
       (SELECT count(*) FROM cc WHERE time >= b.lo AND time < b.hi) AS ge_lt,
       (SELECT count(*) FROM cc_plain WHERE time >= b.lo AND time < b.hi) AS plain_ge_lt,
       (SELECT count(*) FROM cc WHERE time > b.lo AND time <= b.hi) AS gt_le,
       (SELECT count(*) FROM cc_plain WHERE time > b.lo AND time <= b.hi) AS plain_gt_le
FROM (VALUES (timestamptz '2026-01-02', timestamptz '2026-01-03'),
             (timestamptz '2026-01-01 12:00', timestamptz '2026-01-03 12:00'),
             (timestamptz '2025-12-01', timestamptz '2026-02-01'),
             (timestamptz '2026-01-01 23:59:59.999999', timestamptz '2026-01-03 00:00:00.000001')) AS b(lo, hi)
ORDER BY b.lo;
-- Literal constants (the comparisons above use subquery parameters, evaluated at run time).
SELECT count(*), sum(v) FROM cc WHERE time >= '2026-01-02' AND time < '2026-01-04';
SELECT count(*), sum(v) FROM cc_plain WHERE time >= '2026-01-02' AND time < '2026-01-04';
SELECT count(*), sum(v) FROM cc WHERE time > '2026-01-02' AND time <= '2026-01-04';
SELECT count(*), sum(v) FROM cc_plain WHERE time > '2026-01-02' AND time <= '2026-01-04';

-- An integer time column (constants of its own type; int4 constants against a bigint column
-- are cross-type and stay).
CREATE TABLE ci (t bigint NOT NULL, v int);
SELECT create_hypertable('ci', 't', chunk_time_interval => 100) IS NOT NULL AS created;
INSERT INTO ci SELECT i, i FROM generate_series(0, 399) i;
ANALYZE ci;
EXPLAIN (COSTS OFF) SELECT sum(v) FROM ci WHERE t >= 100::bigint AND t <= 299::bigint;
SELECT sum(v) FROM ci WHERE t >= 100 AND t <= 299;
SELECT sum(v) FROM ci WHERE t > 99 AND t < 300;

-- UPDATE and DELETE plan the same way and touch the same rows.
BEGIN;
UPDATE cc SET v = -v WHERE time >= '2026-01-02' AND time < '2026-01-03 06:00';
SELECT count(*) FROM cc WHERE v < 0;
ROLLBACK;

-- Join removal still proves uniqueness from the hypertable's unique index.
CREATE UNIQUE INDEX cc_time_device_idx ON cc (time, device);
EXPLAIN (COSTS OFF)
SELECT p.v FROM cc_plain p LEFT JOIN cc ON cc.time = p.time AND cc.device = p.device;
DROP TABLE cc, cc_plain, ci;
