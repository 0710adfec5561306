-- A chunk's bitmap heap scan whose index conditions bound time is costed for a heap in time
-- order (issue 16 section 2, src/planner/bitmap_cost.cpp): rows of a few hosts within a time range
-- lie in that range's share of the chunk's pages. PostgreSQL's uniform estimate made the time
-- index's scan, filtering the other hosts' rows, look cheaper (devops cpu-max-all-8 and
-- single-groupby-5-8-1). Runs in a database of its own so that the chunk names EXPLAIN prints do
-- not depend on other tests.
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_time_ordered_bitmap_test;
CREATE DATABASE strata_time_ordered_bitmap_test;
\c strata_time_ordered_bitmap_test
SET client_min_messages = warning;
CREATE EXTENSION strata;
RESET client_min_messages;
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;

-- 40 hosts every minute for a day, inserted in time order, in two 12-hour chunks (28,800 rows
-- each, fewer than ANALYZE samples: exact statistics); the same rows in random order in another
-- hypertable, and in a plain table.
CREATE TABLE readings (time timestamptz NOT NULL, host text, v1 float8, v2 float8, v3 float8, v4 float8, v5 float8);
SELECT create_hypertable('readings', 'time', chunk_time_interval => interval '12 hours',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX readings_time_idx ON readings (time DESC);
CREATE INDEX readings_host_time_idx ON readings (host, time DESC);
INSERT INTO readings
SELECT timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => s * 60), 'host_' || h, s, h, s + h, s - h, s * h
FROM generate_series(0, 1439) AS s, generate_series(0, 39) AS h ORDER BY 1, 2;
CREATE TABLE shuffled (LIKE readings);
SELECT create_hypertable('shuffled', 'time', chunk_time_interval => interval '12 hours',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX shuffled_time_idx ON shuffled (time DESC);
CREATE INDEX shuffled_host_time_idx ON shuffled (host, time DESC);
INSERT INTO shuffled SELECT * FROM readings ORDER BY hashint8(extract(epoch FROM time)::int8 * 100 + v2::int8);
CREATE TABLE plain_readings AS SELECT * FROM readings;
ANALYZE readings, shuffled, plain_readings;
SELECT c.relname, round(s.correlation::numeric, 1) AS time_correlation
FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename
WHERE s.attname = 'time' AND s.tablename LIKE '\_hyper%' ORDER BY 1;

-- The estimated total cost of a query's plan.
CREATE FUNCTION plan_cost(q text, OUT cost float8) LANGUAGE plpgsql AS $$ DECLARE plan json; BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan; cost := (plan -> 0 -> 'Plan' ->> 'Total Cost')::float8; END $$;

\set eight_hosts '''host_2'', ''host_7'', ''host_12'', ''host_17'', ''host_22'', ''host_27'', ''host_32'', ''host_37'''
\set q 'SELECT date_trunc(''hour'', time) AS hour, max(v1) AS max_v1, max(v2) AS max_v2 FROM readings WHERE host IN (' :eight_hosts ') AND time >= ''2026-01-01 09:00:00+00'' AND time < ''2026-01-01 17:00:00+00'' GROUP BY hour ORDER BY hour'

-- Both chunks (each cut by one bound) read the 8 hosts' rows through the (host, time) index.
EXPLAIN (COSTS OFF) :q;
CREATE TABLE with_costs AS :q;
-- PostgreSQL's own costing takes the time index's scan for the first chunk, filtering 39 of 40 rows.
SET strata.enable_time_ordered_bitmap_costs = off;
EXPLAIN (COSTS OFF) :q;
CREATE TABLE without_costs AS :q;
RESET strata.enable_time_ordered_bitmap_costs;
-- Same answers, and the plain table's.
SELECT count(*) AS hours, (SELECT count(*) FROM (TABLE with_costs EXCEPT TABLE without_costs) d) AS differ
FROM with_costs;
SELECT count(*) AS differ_from_plain
FROM (TABLE with_costs EXCEPT
      SELECT date_trunc('hour', time), max(v1), max(v2) FROM plain_readings
      WHERE host IN ('host_2', 'host_7', 'host_12', 'host_17', 'host_22', 'host_27', 'host_32', 'host_37')
        AND time >= '2026-01-01 09:00:00+00' AND time < '2026-01-01 17:00:00+00' GROUP BY 1) d;

-- The plan's estimate is lower than PostgreSQL's for the heap in time order ...
SELECT plan_cost(:'q') AS on_cost \gset
SET strata.enable_time_ordered_bitmap_costs = off;
SELECT plan_cost(:'q') AS off_cost \gset
RESET strata.enable_time_ordered_bitmap_costs;
SELECT :on_cost < :off_cost AS cheaper_in_time_order;

-- ... and unchanged for the shuffled one (time correlation near 0, under the 0.1 below which the
-- chunk's paths are left alone), where the bitmap scans win anyway.
\set qs 'SELECT date_trunc(''hour'', time) AS hour, max(v1) AS max_v1, max(v2) AS max_v2 FROM shuffled WHERE host IN (' :eight_hosts ') AND time >= ''2026-01-01 09:00:00+00'' AND time < ''2026-01-01 17:00:00+00'' GROUP BY hour ORDER BY hour'
EXPLAIN (COSTS OFF) :qs;
SELECT plan_cost(:'qs') AS on_cost \gset
SET strata.enable_time_ordered_bitmap_costs = off;
SELECT plan_cost(:'qs') AS off_cost \gset
RESET strata.enable_time_ordered_bitmap_costs;
SELECT :on_cost = :off_cost AS same_cost_when_shuffled;

-- Partly in order: two loads (hosts 0-19 and 20-39), each in time order, written alternately in
-- 3-hour blocks (time correlation 0.97). The estimate is blended by the correlation's square:
-- lower than PostgreSQL's, higher than for the heap wholly in time order. Same answers.
CREATE TABLE mixed (LIKE readings);
SELECT create_hypertable('mixed', 'time', chunk_time_interval => interval '12 hours',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX mixed_time_idx ON mixed (time DESC);
CREATE INDEX mixed_host_time_idx ON mixed (host, time DESC);
INSERT INTO mixed SELECT * FROM readings ORDER BY date_bin('3 hours', time, '2026-01-01 00:00:00+00'), v2 >= 20, time, host;
ANALYZE mixed;
SELECT c.relname, round(s.correlation::numeric, 2) AS time_correlation
FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename
WHERE s.attname = 'time' AND c.oid IN (SELECT show_chunks('mixed')::oid) ORDER BY 1;
\set qm 'SELECT date_trunc(''hour'', time) AS hour, max(v1) AS max_v1, max(v2) AS max_v2 FROM mixed WHERE host IN (' :eight_hosts ') AND time >= ''2026-01-01 09:00:00+00'' AND time < ''2026-01-01 17:00:00+00'' GROUP BY hour ORDER BY hour'
EXPLAIN (COSTS OFF) :qm;
SELECT plan_cost(:'qm') AS mixed_on_cost \gset
CREATE TABLE mixed_with_costs AS :qm;
SET strata.enable_time_ordered_bitmap_costs = off;
SELECT plan_cost(:'qm') AS mixed_off_cost \gset
CREATE TABLE mixed_without_costs AS :qm;
RESET strata.enable_time_ordered_bitmap_costs;
SELECT :mixed_on_cost < :mixed_off_cost AS cheaper_partly_ordered, :mixed_on_cost > plan_cost(:'q') AS dearer_than_ordered;
SELECT (SELECT count(*) FROM (TABLE mixed_with_costs EXCEPT TABLE mixed_without_costs) d) AS differ,
       (SELECT count(*) FROM (TABLE mixed_with_costs EXCEPT TABLE with_costs) d) AS differ_from_ordered;

-- UPDATE and DELETE with the predicate, a join and a LATERAL subquery: the same rows as with the
-- setting off and as the plain table.
CREATE FUNCTION answers(tbl text) RETURNS TABLE (query text, rows int8, total float8) LANGUAGE plpgsql AS $$
DECLARE
  cond text := format('host IN (%s) AND time >= %L AND time < %L', $h$'host_2', 'host_7', 'host_12', 'host_17', 'host_22', 'host_27', 'host_32', 'host_37'$h$,
                      '2026-01-01 09:00:00+00', '2026-01-01 17:00:00+00');
BEGIN
  EXECUTE format('WITH u AS (UPDATE %I SET v5 = -v5 WHERE %s RETURNING v1) SELECT count(*), sum(v1) FROM u', tbl, cond)
    INTO rows, total;
  query := 'update'; RETURN NEXT;
  EXECUTE format('WITH d AS (DELETE FROM %I WHERE %s AND v2 < 20 RETURNING v1) SELECT count(*), sum(v1) FROM d', tbl, cond)
    INTO rows, total;
  query := 'delete'; RETURN NEXT;
  EXECUTE format('SELECT count(*), sum(r.v1 * w.w) FROM %I r JOIN (VALUES (''host_2'', 2), (''host_37'', 3)) w(host, w) ON w.host = r.host WHERE r.%s',
                 tbl, cond) INTO rows, total;
  query := 'join'; RETURN NEXT;
  EXECUTE format('SELECT count(m), sum(m) FROM (VALUES (''host_22''), (''host_32''), (''host_40'')) h(host), LATERAL (SELECT max(r.v1 + r.v5) AS m FROM %I r WHERE r.host IN (h.host, ''host_7'', ''host_37'') AND r.time >= %L AND r.time < %L) l',
                 tbl, '2026-01-01 09:00:00+00', '2026-01-01 17:00:00+00') INTO rows, total;
  query := 'lateral'; RETURN NEXT;
END $$;
BEGIN;
SELECT * FROM answers('readings');
ROLLBACK;
BEGIN;
SET LOCAL strata.enable_time_ordered_bitmap_costs = off;
SELECT * FROM answers('readings');
ROLLBACK;
BEGIN;
SELECT * FROM answers('plain_readings');
ROLLBACK;

-- A generic plan's bounds ($1, $2) are unknown at planning: its costs are PostgreSQL's. A custom
-- plan's are constants.
PREPARE ranged(timestamptz, timestamptz) AS
  SELECT date_trunc('hour', time) AS hour, max(v1) FROM readings
  WHERE host IN ('host_2', 'host_7', 'host_12', 'host_17', 'host_22', 'host_27', 'host_32', 'host_37')
    AND time >= $1 AND time < $2 GROUP BY hour ORDER BY hour;
\set qp 'EXECUTE ranged(''2026-01-01 09:00:00+00'', ''2026-01-01 17:00:00+00'')'
SET plan_cache_mode = force_generic_plan;
SELECT plan_cost(:'qp') AS generic_on \gset
SET plan_cache_mode = force_custom_plan;
SELECT plan_cost(:'qp') AS custom_on \gset
SET strata.enable_time_ordered_bitmap_costs = off;
SELECT plan_cost(:'qp') AS custom_off \gset
SET plan_cache_mode = force_generic_plan;
SELECT plan_cost(:'qp') AS generic_off \gset
RESET strata.enable_time_ordered_bitmap_costs;
RESET plan_cache_mode;
SELECT :generic_on = :generic_off AS generic_unchanged, :custom_on < :custom_off AS custom_cheaper;
DEALLOCATE ranged;

-- A chunk the time range covers whole has no time condition left: nothing changes.
\set qc 'SELECT max(v1) FROM readings WHERE host IN (' :eight_hosts ') AND time >= ''2026-01-01 00:00:00+00'' AND time < ''2026-01-02 00:00:00+00'''
SELECT plan_cost(:'qc') AS on_cost \gset
SET strata.enable_time_ordered_bitmap_costs = off;
SELECT plan_cost(:'qc') AS off_cost \gset
RESET strata.enable_time_ordered_bitmap_costs;
SELECT :on_cost = :off_cost AS same_cost_when_covered;

\c :regress_db
SET client_min_messages = warning;
DROP DATABASE strata_time_ordered_bitmap_test;
