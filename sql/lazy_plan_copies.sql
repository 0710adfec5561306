-- Lazy plan copies (strata.enable_lazy_chunk_plan_copies): the chunks an ordered LIMIT reads
-- after the first are planned as copies of a planned chunk's index scan (chunk_plan_copies); the
-- plan holds only a stand-in for each copy, and ChunkAppend makes the copy (from the planned
-- chunk's finished scan) when the executor first reads that chunk, or at executor start for
-- EXPLAIN. A cached plan shows it: it is much smaller. Results, EXPLAIN, the locks deferred to the
-- chunks that survive startup exclusion, rescans and cursors are as with the planner's copies.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET strata.enable_chunk_plan_copies = on;
SET strata.enable_lazy_chunk_plan_copies = on;
CREATE TABLE lc (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('lc', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX lc_device_time ON lc (device, time DESC);
INSERT INTO lc SELECT timestamptz '2026-01-01' + i * interval '6 min', i % 3, i
  FROM generate_series(0, 20 * 240 - 1) i;
ANALYZE lc;
CREATE TABLE lc_plain AS SELECT * FROM lc;
CREATE INDEX ON lc_plain (device, time DESC);
ANALYZE lc_plain;
SELECT count(*) AS chunks FROM show_chunks('lc');
-- (index scans, as on tables of realistic size)
SET enable_seqscan = off;
SET enable_bitmapscan = off;

-- The plan: the newest chunk planned, the others copies of its scan, shown as ever.
EXPLAIN (COSTS OFF) SELECT time, v FROM lc WHERE device = 1 ORDER BY time DESC LIMIT 2
\g (format=unaligned tuples_only) | head -6
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time, v FROM lc WHERE device = 1 ORDER BY time DESC LIMIT 2
\g (format=unaligned tuples_only) | head -7
SELECT time, v FROM lc WHERE device = 1 ORDER BY time DESC LIMIT 2;

-- Rows across many chunks (each a copy made when first read), as the plain table's and as with
-- the planner's copies.
SELECT (SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = 2 ORDER BY time DESC LIMIT 50 OFFSET 1000) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 2 ORDER BY time DESC LIMIT 50 OFFSET 1000) s)
       AS same_rows_descending,
       (SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = 0 ORDER BY time LIMIT 50 OFFSET 1520) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 0 ORDER BY time LIMIT 50 OFFSET 1520) s)
       AS same_rows_ascending;
SET strata.enable_lazy_chunk_plan_copies = off;
CREATE TEMP TABLE lc_eager AS SELECT array_agg(v) AS vs FROM (SELECT v FROM lc WHERE device = 2 ORDER BY time DESC LIMIT 50 OFFSET 1000) s;
SET strata.enable_lazy_chunk_plan_copies = on;
SELECT vs = (SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = 2 ORDER BY time DESC LIMIT 50 OFFSET 1000) s)
       AS same_as_planner_copies
  FROM lc_eager;

-- A cached generic plan with its copies lazy is much smaller than one with the planner's copies
-- (19 index scans: target lists, index conditions; here about 37 kB against 61 kB).
SET plan_cache_mode = force_generic_plan;
PREPARE lazy_newest(int) AS SELECT time, v FROM lc WHERE device = $1 ORDER BY time DESC LIMIT 2;
EXECUTE lazy_newest(1);
SET strata.enable_lazy_chunk_plan_copies = off;
PREPARE eager_newest(int) AS SELECT time, v FROM lc WHERE device = $1 ORDER BY time DESC LIMIT 2;
EXECUTE eager_newest(1);
SET strata.enable_lazy_chunk_plan_copies = on;
SELECT l.used_bytes < e.used_bytes * 0.7 AS lazy_plan_smaller
  FROM pg_backend_memory_contexts l, pg_backend_memory_contexts e
 WHERE l.name = 'CachedPlan' AND l.ident LIKE 'PREPARE lazy_newest%'
   AND e.name = 'CachedPlan' AND e.ident LIKE 'PREPARE eager_newest%';
-- Executed again from the cached plans: the same rows; a LIMIT reaching into older chunks too.
EXECUTE lazy_newest(0);
EXECUTE eager_newest(0);
PREPARE lazy_deep(int, int) AS SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = $1 ORDER BY time DESC LIMIT 20 OFFSET $2) s;
SELECT (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 1 ORDER BY time DESC LIMIT 20 OFFSET 790) s) AS plain \gset
EXECUTE lazy_deep(1, 790) \gset lazy_
SELECT :'lazy_array_agg' = :'plain' AS same_rows_cached;
EXECUTE lazy_deep(1, 790) \gset lazy_
SELECT :'lazy_array_agg' = :'plain' AS same_rows_cached_again;
-- A cached plan's copies are made once per backend, in the plan's own memory context (chunk_append.cpp,
-- "a cached plan's lazy copies"): the plan grows when an execution first reads past the first chunk
-- (device 7 has no rows: every chunk is read), and not again.
PREPARE lazy_kept(int) AS SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = $1 ORDER BY time DESC LIMIT 20) s;
EXECUTE lazy_kept(1) \gset kept_
SELECT (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 1 ORDER BY time DESC LIMIT 20) s) = :'kept_array_agg' AS same_rows_kept;
SELECT used_bytes AS kept_before FROM pg_backend_memory_contexts WHERE name = 'CachedPlan' AND ident LIKE 'PREPARE lazy_kept%' \gset
EXECUTE lazy_kept(7);
SELECT used_bytes AS kept_after FROM pg_backend_memory_contexts WHERE name = 'CachedPlan' AND ident LIKE 'PREPARE lazy_kept%' \gset
EXECUTE lazy_kept(7);
EXECUTE lazy_kept(1) \gset kept_
SELECT used_bytes AS kept_again FROM pg_backend_memory_contexts WHERE name = 'CachedPlan' AND ident LIKE 'PREPARE lazy_kept%' \gset
SELECT :kept_after > :kept_before + 5000 AS copies_kept_with_plan, :kept_again = :kept_after AS copies_made_once,
       (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 1 ORDER BY time DESC LIMIT 20) s) = :'kept_array_agg'
       AS same_rows_kept_again;
-- Dropped with the plan (the reset callback forgets them): a new plan is copied afresh.
DEALLOCATE lazy_kept;
PREPARE lazy_kept(int) AS SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = $1 ORDER BY time DESC LIMIT 20 OFFSET 790) s;
EXECUTE lazy_kept(1) \gset kept_
SELECT :'kept_array_agg' = :'plain' AS same_rows_replanned;
DEALLOCATE lazy_kept;
-- A filter that is not an index condition and a computed output, copied from the source's finished
-- plan: as the plain table's, cached and not.
PREPARE lazy_filter(int, int) AS SELECT array_agg(x) FROM (SELECT v * 2 AS x, time FROM lc WHERE device = $1 AND v % 7 = 0 ORDER BY time DESC LIMIT 20 OFFSET $2) s;
SELECT (SELECT array_agg(x) FROM (SELECT v * 2 AS x, time FROM lc_plain WHERE device = 1 AND v % 7 = 0 ORDER BY time DESC LIMIT 20 OFFSET 100) s) AS plain_filter \gset
EXECUTE lazy_filter(1, 100) \gset lf_
SELECT :'lf_array_agg' = :'plain_filter' AS same_rows_filter_cached;
EXECUTE lazy_filter(1, 100) \gset lf_
SELECT :'lf_array_agg' = :'plain_filter' AS same_rows_filter_cached_again;
SELECT (SELECT array_agg(x) FROM (SELECT v * 2 AS x, time FROM lc WHERE device = 1 AND v % 7 = 0 ORDER BY time DESC LIMIT 20 OFFSET 100) s) = :'plain_filter'
       AS same_rows_filter;
-- max(time) (PG's min/max subplan: an ordered LIMIT 1 in an initplan), generic plan and not.
PREPARE lazy_max(int) AS SELECT max(time) FROM lc WHERE device = $1 AND v % 5 = 0;
SELECT max(time) AS plain_max FROM lc_plain WHERE device = 2 AND v % 5 = 0 \gset
EXECUTE lazy_max(2) \gset lm_
EXECUTE lazy_max(2) \gset lm2_
SELECT :'lm_max' = :'plain_max' AS same_max_cached, :'lm2_max' = :'plain_max' AS same_max_cached_again,
       (SELECT max(time) FROM lc WHERE device = 2 AND v % 5 = 0) = :'plain_max' AS same_max;
DEALLOCATE lazy_filter;
DEALLOCATE lazy_max;

-- A time bound that is a parameter: chunks excluded at executor start, and only the survivors
-- locked, by the ChunkAppend: the first chunk read is a copy (the plan's newest chunk, whose scan
-- the others copy, is excluded).
CREATE FUNCTION lc_chunk_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND c.relname ~ '^_hyper_\d+_\d+_chunk' $$;
PREPARE lazy_before(int, timestamptz) AS
  SELECT time, v FROM lc WHERE device = $1 AND time < $2 ORDER BY time DESC LIMIT 3;
EXPLAIN (COSTS OFF) EXECUTE lazy_before(1, '2026-01-10 12:00')
\g (format=unaligned tuples_only) | head -4
EXECUTE lazy_before(1, '2026-01-10 12:00');
BEGIN;
EXECUTE lazy_before(1, '2026-01-10 12:00');
-- (the 10 surviving chunks, and the index of the one read)
SELECT lc_chunk_locks() AS chunk_locks;
COMMIT;
SELECT time, v FROM lc_plain WHERE device = 1 AND time < '2026-01-10 12:00' ORDER BY time DESC LIMIT 3;
PREPARE lazy_before_deep(int, timestamptz) AS
  SELECT array_agg(v) FROM (SELECT v FROM lc WHERE device = $1 AND time < $2 ORDER BY time DESC LIMIT 10 OFFSET 400) s;
EXECUTE lazy_before_deep(2, '2026-01-15 03:00') \gset lazy_
SELECT :'lazy_array_agg' =
       (SELECT array_agg(v) FROM (SELECT v FROM lc_plain WHERE device = 2 AND time < '2026-01-15 03:00'
                                  ORDER BY time DESC LIMIT 10 OFFSET 400) s)::text AS same_rows_after_exclusion;
RESET plan_cache_mode;

-- Rescans: a correlated subquery per outer row, each stopping in another chunk (a copy made in
-- one row's scan is kept for the next), and a LATERAL LIMIT.
SELECT o.d, (SELECT l.v FROM lc l WHERE l.device = o.d AND l.time < o.t ORDER BY l.time DESC LIMIT 1) AS v,
       (SELECT l.v FROM lc_plain l WHERE l.device = o.d AND l.time < o.t ORDER BY l.time DESC LIMIT 1) AS plain_v
FROM (VALUES (0, timestamptz '2026-01-18 12:00'), (1, timestamptz '2026-01-05 05:00'),
             (2, timestamptz '2026-01-01 03:00'), (0, timestamptz '2026-01-12 00:00')) AS o(d, t)
ORDER BY o.t;
SELECT (SELECT array_agg(l.v ORDER BY d.d, l.v) FROM generate_series(0, 2) d(d),
               LATERAL (SELECT v FROM lc WHERE device = d.d ORDER BY time DESC LIMIT 3 OFFSET 300 * d.d) l) =
       (SELECT array_agg(l.v ORDER BY d.d, l.v) FROM generate_series(0, 2) d(d),
               LATERAL (SELECT v FROM lc_plain WHERE device = d.d ORDER BY time DESC LIMIT 3 OFFSET 300 * d.d) l)
       AS same_rows_lateral;

-- A scroll cursor going forward across chunks and back.
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT time, v FROM lc WHERE device = 0 ORDER BY time DESC LIMIT 300;
MOVE 78 IN c;
FETCH 4 FROM c;
FETCH BACKWARD 3 FROM c;
FETCH ABSOLUTE 250 FROM c;
FETCH BACKWARD 2 FROM c;
COMMIT;
SELECT time, v FROM lc_plain WHERE device = 0 ORDER BY time DESC LIMIT 4 OFFSET 78;
SELECT time, v FROM lc_plain WHERE device = 0 ORDER BY time DESC LIMIT 3 OFFSET 247;

DROP TABLE lc, lc_plain;
DROP FUNCTION lc_chunk_locks();
