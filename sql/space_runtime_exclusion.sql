-- Run-time exclusion on a hash dimension (space partitioning): `device = $1`, `device = ANY ($1)`
-- and the same with executor parameters exclude the chunks of other hash slices at executor start
-- (or when the scan starts) in generic plans, as parameters on time do; and with lazy chunk
-- locking the excluded chunks are not locked.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE sr (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('sr', 'time', 'device', 4, chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO sr SELECT timestamptz '2026-01-01' + i * interval '1 hour', d, i * 10 + d
  FROM generate_series(0, 71) i, generate_series(1, 8) d;
CREATE TABLE sr_plain AS SELECT * FROM sr;
-- 3 days, 4 slices (each device's slice decides which chunks hold its rows)
SELECT count(*) AS chunks FROM show_chunks('sr');
SELECT device, count(DISTINCT tableoid) AS its_chunks FROM sr GROUP BY device ORDER BY device;

CREATE FUNCTION chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk$' $$;

SET plan_cache_mode = force_generic_plan;
PREPARE q(int) AS SELECT count(*) AS n, sum(v) AS s FROM sr WHERE device = $1;
-- 9 of the 12 chunks excluded at startup: one slice of three days is left
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE q(3);
-- Runs a prepared statement (one row) for each argument and compares with a query on the plain
-- table ($1 replaced by the argument).
CREATE FUNCTION mismatches(stmt text, args text[], plain text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  a text;
  got record;
  want record;
  bad text := '';
BEGIN
  FOREACH a IN ARRAY args LOOP
    EXECUTE format('EXECUTE %s(%s)', stmt, a) INTO got;
    EXECUTE replace(plain, '$1', a) INTO want;
    IF got::text IS DISTINCT FROM want::text THEN
      bad := bad || a || ': ' || got::text || ' <> ' || want::text || '; ';
    END IF;
  END LOOP;
  RETURN coalesce(nullif(bad, ''), 'none');
END $$;
-- every device, one in no chunk, NULL
SELECT mismatches('q', '{1,2,3,4,5,6,7,8,9,"NULL"}',
                  'SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = $1') AS mismatches;
-- a new transaction locks the surviving chunks only
BEGIN;
EXECUTE q(5);
SELECT chunk_locks() AS chunk_locks;
COMMIT;
-- NULL matches nothing: every chunk excluded
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE q(NULL);

-- another integer type: the integer hash family hashes equal values alike
PREPARE q8(bigint) AS SELECT count(*) AS n, sum(v) AS s FROM sr WHERE device = $1;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE q8(3);
SELECT mismatches('q8', '{1,2,3,4,5,6,7,8,3000000000}',
                  'SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = $1') AS mismatches;

-- = ANY (array parameter): the slices of its elements
PREPARE qa(int[]) AS SELECT count(*) AS n, sum(v) AS s FROM sr WHERE device = ANY ($1);
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE qa('{3}');
SELECT mismatches('qa', $${"'{1,2}'","'{3,NULL}'","'{}'","'{NULL}'","NULL","'{1,2,3,4,5,6,7,8}'"}$$,
                  'SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = ANY ($1::int[])') AS mismatches;

-- with time parameters as well: both exclude
PREPARE qt(int, timestamptz) AS SELECT count(*) AS n, sum(v) AS s FROM sr WHERE device = $1 AND time >= $2;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE qt(3, '2026-01-03');
EXECUTE qt(3, '2026-01-03');
SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = 3 AND time >= '2026-01-03';

-- an executor parameter (an initplan's result) excludes when the scan starts
RESET plan_cache_mode;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF)
  SELECT count(*) FROM sr WHERE device = (SELECT 3);
SELECT count(*) AS n, sum(v) AS s FROM sr WHERE device = (SELECT 3);
SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = 3;
-- and nestloop parameters are not used for the hash dimension (only equalities on time are)
SELECT count(*) AS n FROM (VALUES (1), (3), (9)) d(x) JOIN LATERAL (SELECT * FROM sr WHERE device = d.x OFFSET 0) s ON true;

-- a text hash column, with its collation
CREATE TABLE srt (time timestamptz NOT NULL, host text, v float8);
SELECT create_hypertable('srt', 'time', 'host', 3, chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO srt SELECT timestamptz '2026-01-01' + i * interval '1 hour', 'host' || d, i
  FROM generate_series(0, 47) i, generate_series(1, 6) d;
CREATE TABLE srt_plain AS SELECT * FROM srt;
SET plan_cache_mode = force_generic_plan;
PREPARE qs(text) AS SELECT count(*) AS n, sum(v) AS s FROM srt WHERE host = $1;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE qs('host2');
SELECT mismatches('qs', $${"'host1'","'host2'","'host3'","'host4'","'host5'","'host6'","'nohost'"}$$,
                  'SELECT count(*) AS n, sum(v) AS s FROM srt_plain WHERE host = $1') AS mismatches;
-- a value of a stable function
PREPARE qf AS SELECT count(*) AS n FROM srt WHERE host = 'host' || extract(year FROM now())::int % 2 + 1;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE qf;

-- DML with a generic plan: the same exclusion under ModifyTable
PREPARE qd(int) AS DELETE FROM sr WHERE device = $1;
EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF, TIMING OFF) EXECUTE qd(4);
SELECT count(*) AS left_of_device_4 FROM sr WHERE device = 4;
-- (the execution's ModifyTable lists, opens and locks only the surviving chunks: see "Generic
-- plans and chunk locks" in docs/ARCHITECTURE.md)
BEGIN;
EXECUTE qd(5);
SELECT chunk_locks() AS chunk_locks;
ROLLBACK;
DELETE FROM sr_plain WHERE device = 4;
SELECT mismatches('q', '{1,2,3,4,5,6,7,8}',
                  'SELECT count(*) AS n, sum(v) AS s FROM sr_plain WHERE device = $1') AS mismatches;

-- with run-time exclusion off, every chunk is scanned
SET strata.enable_runtime_exclusion = off;
PREPARE qoff(int) AS SELECT count(*) FROM sr WHERE device = $1;
EXPLAIN (COSTS OFF) EXECUTE qoff(3);
RESET strata.enable_runtime_exclusion;
RESET plan_cache_mode;
DROP TABLE sr, sr_plain, srt, srt_plain;
