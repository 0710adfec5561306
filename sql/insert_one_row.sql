-- An INSERT of one row (VALUES of one row, SELECT without FROM, DEFAULT VALUES) runs as
-- ModifyTable <- ChunkDispatch, which computes the row itself (no Result node under it), and
-- ChunkDispatch is linked to its ModifyTable at executor start (no wrapper node above it). Every
-- way a one-row INSERT is run must route the row as before: prepared statements (custom and
-- generic plans), data-modifying CTEs (also beside an INSERT at the top), SQL and PL/pgSQL
-- functions, RETURNING, ON CONFLICT, defaults and generated columns, sub-queries in the VALUES (not
-- computed by ChunkDispatch), chunks of another layout, EXPLAIN ANALYZE.
CREATE TABLE o (ts timestamptz NOT NULL, dev int NOT NULL DEFAULT 7, val float8,
                twice float8 GENERATED ALWAYS AS (val * 2) STORED, UNIQUE (dev, ts));
SELECT * FROM create_hypertable('o', by_range('ts', INTERVAL '1 day'));

-- the plan shapes: one row has no subplan; several rows, and a row with a sub-query, keep theirs
EXPLAIN (COSTS OFF) INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1);
EXPLAIN (COSTS OFF, VERBOSE) INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1);
EXPLAIN (COSTS OFF) INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1), ('2024-01-02 01:00+00', 1, 2);
EXPLAIN (COSTS OFF) INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', (SELECT 1), 1);
EXPLAIN (COSTS OFF) INSERT INTO o (ts, dev, val) SELECT '2024-01-01 01:00+00', 1, 1 WHERE random() >= 0;

-- one row, RETURNING; a default and a generated column
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1) RETURNING *, tableoid::regclass AS chunk;
INSERT INTO o (ts, val) VALUES ('2024-01-02 01:00+00', 2) RETURNING *, tableoid::regclass AS chunk;
INSERT INTO o SELECT '2024-01-03 01:00+00', 3, 3 RETURNING *, tableoid::regclass AS chunk;
-- a sub-query in VALUES (an init plan and a sub-plan: ChunkDispatch keeps its Result)
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 02:00+00', (SELECT max(dev) + 10 FROM o), 4) RETURNING dev, val;
INSERT INTO o (ts, dev, val) SELECT '2024-01-01 03:00+00', d, 5 FROM (VALUES (20)) v(d)
  WHERE EXISTS (SELECT FROM o WHERE o.dev = v.d - 19) RETURNING dev, val;
-- a volatile function and a constant-false condition
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 04:00+00', 21, floor(random() * 0) + 6) RETURNING dev, val;
INSERT INTO o (ts, dev, val) SELECT '2024-01-01 05:00+00', 22, 7 WHERE false RETURNING dev;

-- ON CONFLICT with one row
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 100) ON CONFLICT DO NOTHING RETURNING dev;
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 100)
ON CONFLICT (dev, ts) DO UPDATE SET val = excluded.val + 0.5 RETURNING dev, val, twice;

-- prepared: custom plans, then the generic plan, into existing and new chunks
PREPARE ins(timestamptz, int, float8) AS INSERT INTO o (ts, dev, val) VALUES ($1, $2, $3);
EXECUTE ins('2024-01-01 06:00+00', 30, 1);
EXECUTE ins('2024-01-02 06:00+00', 30, 2);
EXECUTE ins('2024-01-03 06:00+00', 30, 3);
EXECUTE ins('2024-01-04 06:00+00', 30, 4);
EXECUTE ins('2024-01-05 06:00+00', 30, 5);
EXECUTE ins('2024-01-06 06:00+00', 30, 6);
EXECUTE ins('2024-01-01 07:00+00', 30, 7);
SET plan_cache_mode = force_generic_plan;
PREPARE ins_generic(timestamptz, int, float8) AS INSERT INTO o (ts, dev, val) VALUES ($1, $2, $3) RETURNING twice;
EXECUTE ins_generic('2024-01-07 06:00+00', 31, 1);
EXECUTE ins_generic('2024-01-01 08:00+00', 31, 2);
EXPLAIN (COSTS OFF) EXECUTE ins_generic('2024-01-01 08:00+00', 31, 2);
RESET plan_cache_mode;
SELECT dev, count(*), sum(val), count(DISTINCT tableoid) AS chunks FROM o WHERE dev IN (30, 31) GROUP BY dev ORDER BY dev;
DEALLOCATE ins;
DEALLOCATE ins_generic;

-- data-modifying CTEs: the INSERT's ModifyTable is a sub-plan; also beside an INSERT at the top and
-- a second CTE that inserts
WITH i AS (INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 09:00+00', 40, 1) RETURNING dev, val, tableoid)
SELECT dev, val, tableoid::regclass AS chunk FROM i;
WITH i AS (INSERT INTO o (ts, dev, val) VALUES ('2024-01-02 09:00+00', 41, 2) RETURNING ts),
     j AS (INSERT INTO o (ts, dev, val) VALUES ('2024-01-08 09:00+00', 42, 3) RETURNING ts)
INSERT INTO o (ts, dev, val) SELECT ts, 43, 4 FROM i UNION ALL SELECT ts, 44, 5 FROM j RETURNING dev, val;
SELECT dev, val, tableoid::regclass AS chunk FROM o WHERE dev BETWEEN 40 AND 44 ORDER BY dev;

-- SQL and PL/pgSQL functions (their own executor starts; PL/pgSQL caches a generic plan)
CREATE FUNCTION ins_sql(t timestamptz, d int) RETURNS float8 LANGUAGE sql
AS $$ INSERT INTO o (ts, dev, val) VALUES (t, d, 1) RETURNING twice $$;
CREATE FUNCTION ins_plpgsql(t timestamptz, d int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR k IN 0..5 LOOP
    INSERT INTO o (ts, dev, val) VALUES (t + k * INTERVAL '1 day', d, k);
  END LOOP;
END $$;
SELECT ins_sql('2024-01-01 10:00+00', 50), ins_sql('2024-01-09 10:00+00', 51);
SELECT ins_plpgsql('2024-01-01 11:00+00', 52);
SELECT dev, count(*), sum(val), count(DISTINCT tableoid) AS chunks FROM o WHERE dev BETWEEN 50 AND 52 GROUP BY dev ORDER BY dev;

-- a unique violation names the chunk's index, as before
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1);
-- NULL time: the routing error
INSERT INTO o (ts, dev, val) VALUES (NULL, 1, 1);

-- a chunk created after a column was dropped (another layout): one row into it and into an older one
ALTER TABLE o DROP COLUMN twice;
INSERT INTO o (ts, dev, val) VALUES ('2024-01-20 01:00+00', 60, 1) RETURNING o, tableoid::regclass AS chunk;
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 12:00+00', 61, 2) RETURNING o, tableoid::regclass AS chunk;
SELECT o::text FROM o WHERE dev IN (60, 61) ORDER BY dev;

-- EXPLAIN ANALYZE runs it, and names the hypertable as its target (the chunks have no range
-- table entries to name), also with rows for several chunks
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 13:00+00', 70, 1);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, VERBOSE)
INSERT INTO o (ts, dev, val) VALUES ('2024-01-01 14:00+00', 70, 2), ('2024-01-02 14:00+00', 70, 3), ('2024-01-21 14:00+00', 70, 4);
SELECT count(*), count(DISTINCT tableoid) AS chunks FROM o WHERE dev = 70;
SELECT count(*) AS rows, count(DISTINCT tableoid) AS chunks FROM o;
