-- DISTINCT ON over a hypertable with parameters or now() in its time bounds: the merge of the
-- chunks' SkipScans (ChunkMergeAppend) excludes chunks at executor start and, in a generic plan,
-- locks only the chunks it reads (src/planner/chunk_merge.cpp, lazy_locks.cpp).
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET jit = off;
-- 200 hourly chunks, 4 devices reporting every 20 seconds, ending at the current hour (for the
-- now() cases).
CREATE TABLE sg (time timestamptz NOT NULL, dev text, v float8);
SELECT create_hypertable('sg', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
SELECT date_trunc('hour', now()) AS top \gset
INSERT INTO sg SELECT :'top'::timestamptz - i * interval '20 seconds', 'd' || j, i * 10 + j
  FROM generate_series(1, 36000) i, generate_series(0, 3) j;
CREATE INDEX sg_dev_time ON sg (dev, time DESC);
ANALYZE sg;
SELECT count(*) AS chunks FROM show_chunks('sg');
-- EXPLAIN with the chunks' names (which depend on other tests' hypertables) masked.
CREATE FUNCTION sg_explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE CASE WHEN q ~ '^ANALYZE '
                           THEN 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || substr(q, 9)
                           ELSE 'EXPLAIN (COSTS OFF) ' || q END LOOP
    RETURN NEXT regexp_replace(line, '_hyper_\d+_\d+_chunk', '_hyper_N_chunk', 'g');
  END LOOP;
END $$;

CREATE FUNCTION sg_chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk$' $$;

SET plan_cache_mode = force_generic_plan;
-- The newest row per device after a time given as a parameter.
PREPARE latest(timestamptz) AS
  SELECT DISTINCT ON (dev) dev, time - :'top'::timestamptz AS age, v FROM sg
  WHERE time > $1 ORDER BY dev, time DESC;
EXECUTE latest(:'top'::timestamptz - interval '150 minutes');
-- Three chunks survive: three are initialized, and, in a new transaction, locked.
SELECT sg_explain(format('EXECUTE latest(%L)', :'top'::timestamptz - interval '150 minutes'));
BEGIN;
EXECUTE latest(:'top'::timestamptz - interval '150 minutes');
SELECT sg_chunk_locks() AS chunk_locks;
COMMIT;
-- Nothing survives: no chunk is locked, no row returned.
BEGIN;
EXECUTE latest(:'top'::timestamptz + interval '1 day');
SELECT sg_chunk_locks() AS chunk_locks;
COMMIT;
-- EXPLAIN ANALYZE counts the same.
SELECT sg_explain(format('ANALYZE EXECUTE latest(%L)', :'top'::timestamptz - interval '90 minutes'));

-- The same answers as the plan without the skip scan, and as constants.
SET strata.enable_skipscan = off;
PREPARE latest_off(timestamptz) AS
  SELECT DISTINCT ON (dev) dev, time - :'top'::timestamptz AS age, v FROM sg
  WHERE time > $1 ORDER BY dev, time DESC;
EXECUTE latest_off(:'top'::timestamptz - interval '150 minutes');
RESET strata.enable_skipscan;
SELECT DISTINCT ON (dev) dev, time - :'top'::timestamptz AS age, v FROM sg
WHERE time > :'top'::timestamptz - interval '150 minutes' ORDER BY dev, time DESC;

-- The other direction of the DISTINCT column (backward skip scans): the oldest row per device
-- after the parameter.
PREPARE oldest(timestamptz) AS
  SELECT DISTINCT ON (dev) dev, time - :'top'::timestamptz AS age FROM sg
  WHERE time > $1 ORDER BY dev DESC, time;
EXECUTE oldest(:'top'::timestamptz - interval '150 minutes');
BEGIN;
EXECUTE oldest(:'top'::timestamptz - interval '150 minutes');
SELECT sg_chunk_locks() AS chunk_locks;
COMMIT;
SELECT sg_explain(format('EXECUTE oldest(%L)', :'top'::timestamptz - interval '150 minutes'));
SET strata.enable_skipscan = off;
SELECT DISTINCT ON (dev) dev, time - :'top'::timestamptz AS age FROM sg
WHERE time > :'top'::timestamptz - interval '150 minutes' ORDER BY dev DESC, time;
RESET strata.enable_skipscan;

-- now() (a stable function): evaluated at executor start as well (a lower bound that only grows
-- also excludes at plan time, so how many chunks are left for startup depends on the clock).
PREPARE newest_now AS
  SELECT DISTINCT ON (dev) dev, v FROM sg
  WHERE time > now() - interval '150 minutes' ORDER BY dev, time DESC;
EXECUTE newest_now;
BEGIN;
EXECUTE newest_now;
SELECT sg_chunk_locks() <= 4 AS at_most_four_chunks;
COMMIT;
SELECT count(*) FILTER (WHERE l ~ 'ChunkMergeAppend') AS merges, count(*) FILTER (WHERE l ~ 'SkipScan') > 0 AS skip_scans
FROM sg_explain('EXECUTE newest_now') l;

-- Rescans: the merge inside a correlated sub-query, restarted for each outer row.
PREPARE rescan(timestamptz) AS
  SELECT x, (SELECT string_agg(dev || ':' || v, ',' ORDER BY dev) FROM
               (SELECT DISTINCT ON (dev) dev, v FROM sg WHERE time > $1 ORDER BY dev, time DESC) s
             WHERE s.v > x) AS devs
  FROM generate_series(10, 13) x;
EXECUTE rescan(:'top'::timestamptz - interval '150 minutes');

-- A chunk dropped after the plan was made: the next execution replans and is right (the oldest
-- chunk's rows are gone).
SELECT count(*) AS dropped FROM drop_chunks('sg', older_than => :'top'::timestamptz - interval '199 hours');
EXECUTE oldest(:'top'::timestamptz - interval '200 hours');

-- Lazy locking off (it applies when the plan is made): startup exclusion still, but every chunk
-- is locked before the plan runs.
SET strata.enable_lazy_chunk_locking = off;
PREPARE latest_eager(timestamptz) AS
  SELECT DISTINCT ON (dev) dev, v FROM sg WHERE time > $1 ORDER BY dev, time DESC;
EXECUTE latest_eager(:'top'::timestamptz - interval '150 minutes');
BEGIN;
EXECUTE latest_eager(:'top'::timestamptz - interval '150 minutes');
SELECT sg_chunk_locks() > 150 AS every_chunk;
COMMIT;
RESET strata.enable_lazy_chunk_locking;
RESET plan_cache_mode;
DROP TABLE sg;
DROP FUNCTION sg_chunk_locks();
DROP FUNCTION sg_explain(text);
