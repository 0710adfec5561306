-- RowstoreAggregate in parallel plans (strata.rowstore_agg_parallel): a Finalize Aggregate over a
-- Gather of the chunks' parallel-aware RowstoreAggregates, each participant reading the blocks it
-- claims of a chunk's heap and emitting its own partial groups. The same rows as a plain table
-- (several chunks, deleted rows, rescans), serial plans
-- where a chunk's scan has a filter or the setting is off, and a continuous aggregate refreshed
-- by such a plan equal to the raw aggregation.
SET TimeZone = 'UTC';
SET strata.enable_rowstore_agg = on;
-- Parallel plans even for these small tables.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
CREATE SCHEMA rowpar;
SET search_path = rowpar, public;
CREATE TABLE h (time timestamptz NOT NULL, dev text, st text, v int4);
SELECT count(*) FROM create_hypertable('h', by_range('time', interval '1 day'));
INSERT INTO h
SELECT '2024-01-01'::timestamptz + ((g * 7919) % 40000) * interval '7 seconds', 'dev_' || (g % 97),
       CASE WHEN g % 31 = 0 THEN NULL ELSE 's' || (g % 5) END, CASE WHEN g % 13 = 0 THEN NULL ELSE g % 1000 END
FROM generate_series(1, 40000) g;
DELETE FROM h WHERE v = 7;
CREATE TABLE p AS SELECT * FROM h;
SELECT count(*) AS chunks FROM show_chunks('h');
VACUUM ANALYZE h;
ANALYZE p;

-- The plan's nodes (without costs) and whether the rows equal the plain table's.
CREATE FUNCTION check_par(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  missing bigint;
  extra bigint;
  total bigint;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'h') LOOP
    IF line ~ '(Gather|Aggregate|Append|Seq Scan|Heap Pages)' THEN
      RETURN NEXT regexp_replace(line, '_hyper_\d+_\d+_chunk', '_hyper_chunk');
    END IF;
  END LOOP;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'p'), format(q, 'h')) INTO missing;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'h'), format(q, 'p')) INTO extra;
  EXECUTE format('SELECT count(*) FROM (%s) x', format(q, 'h')) INTO total;
  RETURN NEXT format('%s rows, %s', total, CASE WHEN missing = 0 AND extra = 0 THEN 'same'
                                                ELSE format('DIFFERENT (%s missing, %s extra)', missing, extra) END);
END $$;

-- Every chunk's aggregation shared by the workers: one node per chunk under one Gather.
SELECT check_par('SELECT time_bucket(''6 hours'', time) b, st, count(*) FROM %s GROUP BY 1, 2');
-- (about a group per row: PostgreSQL's plan costs less)
SELECT check_par('SELECT time_bucket(''1 hour'', time) b, dev, st, count(*) FROM %s GROUP BY 1, 2, 3');
SELECT check_par('SELECT st, count(*), count(v), sum(v), min(v), max(v), avg(v) FROM %s GROUP BY st');
SELECT check_par('SELECT count(*), sum(v) FROM %s');
-- Whole chunks in the restriction (no filter left on their scans): parallel.
SELECT check_par('SELECT time_bucket(''1 hour'', time) b, st, count(*) FROM %s
                  WHERE time >= ''2024-01-02'' AND time < ''2024-01-03'' GROUP BY 1, 2');
-- A filter on the chunk's scan: no parallel RowstoreAggregate (here PostgreSQL's parallel plan).
SELECT check_par('SELECT dev, count(*) FROM %s WHERE v > 500 GROUP BY dev');
-- Off: serial.
SET strata.rowstore_agg_parallel = off;
SELECT check_par('SELECT time_bucket(''6 hours'', time) b, st, count(*) FROM %s GROUP BY 1, 2');
RESET strata.rowstore_agg_parallel;

-- The workers read the blocks: without the leader's participation it aggregates no row itself.
-- (How many of the 2 planned workers launch depends on the free worker slots of the server, which
-- the tests running beside this one share: one is enough. With none free, PostgreSQL has the
-- leader run the plan alone, and there is nothing to check: the verdict is then the same.)
SET parallel_leader_participation = off;
CREATE FUNCTION leader_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  lines text[] := '{}';
  launched int;
  leader bigint;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line ~ '(Workers Launched|Rows Aggregated)' THEN
      lines := lines || btrim(line);
      IF line ~ 'Workers Launched' THEN launched := substring(line FROM 'Launched: ([0-9]+)')::int; END IF;
      IF line ~ 'Rows Aggregated' THEN leader := substring(line FROM 'Aggregated: ([0-9]+)')::bigint; END IF;
    END IF;
  END LOOP;
  IF launched = 0 OR (launched > 0 AND leader = 0) THEN
    RETURN 'the leader aggregated no row while workers ran';
  END IF;
  RETURN array_to_string(lines, '; ');
END $$;
SELECT leader_rows('SELECT st, count(*) FROM h WHERE time >= ''2024-01-01'' AND time < ''2024-01-02'' GROUP BY st');
SELECT check_par('SELECT time_bucket(''1 day'', time) b, dev, count(*), sum(v) FROM %s GROUP BY 1, 2');
RESET parallel_leader_participation;

-- Rescans of the Gather (a subquery run again for each outer row): each run claims the blocks
-- anew.
CREATE TABLE st_counts AS SELECT st, count(*) AS n FROM p GROUP BY st;
EXPLAIN (COSTS OFF)
SELECT s.st, (SELECT g.c FROM (SELECT st, count(*) AS c FROM h GROUP BY st OFFSET 0) g
               WHERE g.st IS NOT DISTINCT FROM s.st) = s.n AS same
FROM st_counts s ORDER BY 1;
SELECT s.st, (SELECT g.c FROM (SELECT st, count(*) AS c FROM h GROUP BY st OFFSET 0) g
               WHERE g.st IS NOT DISTINCT FROM s.st) = s.n AS same
FROM st_counts s ORDER BY 1;

-- A continuous aggregate refreshed by the parallel plan: the raw aggregation exactly, also after
-- late rows.
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, st, count(*) AS n FROM h GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW hdiff AS
  (SELECT bucket, st, n FROM hourly EXCEPT ALL SELECT time_bucket('1 hour', time), st, count(*) FROM p GROUP BY 1, 2)
  UNION ALL
  (SELECT time_bucket('1 hour', time), st, count(*) FROM p GROUP BY 1, 2 EXCEPT ALL SELECT bucket, st, n FROM hourly);
-- (the plan of a refresh's batch: one chunk, its rows aggregated in parallel)
EXPLAIN (COSTS OFF) SELECT time_bucket('1 hour', time) AS bucket, st, count(*) AS n FROM h
  WHERE time >= '2024-01-02' AND time < '2024-01-03' GROUP BY 1, 2;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT count(*) AS groups, sum(n) AS rows FROM hourly;
SELECT count(*) AS differences FROM hdiff;
INSERT INTO h VALUES ('2024-01-02 05:00:01', 'dev_1', 's1', 1), ('2024-01-03 23:59:59', 'dev_2', NULL, 2);
INSERT INTO p VALUES ('2024-01-02 05:00:01', 'dev_1', 's1', 1), ('2024-01-03 23:59:59', 'dev_2', NULL, 2);
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT count(*) AS differences FROM hdiff;

DROP SCHEMA rowpar CASCADE;
