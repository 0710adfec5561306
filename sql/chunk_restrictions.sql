-- Each chunk planned gets the hypertable's restrictions translated to its columns (planner.cpp,
-- translate_child_quals: the RestrictInfos translated as a join clause is, without
-- apply_child_basequals' per-clause folding). What that must keep: the security levels of row
-- security and security-barrier quals (a leaky function sees no row the policy hides), column
-- translation for a chunk whose columns are in other places, whole-row references, and constant
-- clauses (false: no chunk is scanned).
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE cr (time timestamptz NOT NULL, owner text, v int);
SELECT create_hypertable('cr', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO cr SELECT timestamptz '2026-01-01' + i * interval '8 hours', CASE WHEN i % 2 = 0 THEN 'cr_alice' ELSE 'cr_bob' END, i
  FROM generate_series(0, 8) i;
-- A chunk with another column layout: a column dropped and added before the last day's chunk.
ALTER TABLE cr DROP COLUMN v;
ALTER TABLE cr ADD COLUMN v int;
UPDATE cr SET v = extract(epoch FROM time - '2026-01-01')::int / 28800;
INSERT INTO cr VALUES ('2026-01-04 00:00', 'cr_alice', 9), ('2026-01-04 08:00', 'cr_bob', 10);
ANALYZE cr;
CREATE FUNCTION cr_leak(text, int) RETURNS bool LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  RAISE NOTICE 'leak saw % %', $1, $2;
  RETURN true;
END $$;
CREATE ROLE cr_alice;
GRANT SELECT ON cr TO cr_alice;
ALTER TABLE cr ENABLE ROW LEVEL SECURITY;
CREATE POLICY cr_own ON cr USING (owner = current_user);
SET ROLE cr_alice;
-- The policy's qual runs before the cheaper leaky function, in every chunk.
SELECT time, owner, v FROM cr WHERE cr_leak(owner, v) AND time >= '2026-01-02' ORDER BY time;
-- A whole-row restriction (a ConvertRowtypeExpr in the last day's chunk, whose columns are in other
-- places) with the leaky function: still after the policy's qual, and the row in the hypertable's type.
SELECT time, owner, v FROM cr WHERE cr_leak(row_to_json(cr)::text, v) AND time >= '2026-01-03' ORDER BY time;
RESET ROLE;
ALTER TABLE cr DISABLE ROW LEVEL SECURITY;
-- A security-barrier view: its filter before the query's leaky function.
CREATE VIEW cr_bob_rows WITH (security_barrier) AS SELECT * FROM cr WHERE owner = 'cr_bob';
SELECT time, owner, v FROM cr_bob_rows WHERE cr_leak(owner, v) AND time < '2026-01-03' ORDER BY time;
-- Columns in other places and a whole-row reference, in each chunk.
SELECT time, v, cr IS NOT NULL AS whole_row FROM cr WHERE v % 3 = 0 AND (cr).owner = 'cr_alice' ORDER BY time;
-- A whole-row reference in a restriction, in each chunk.
SELECT time, v FROM cr WHERE row_to_json(cr)->>'owner' = 'cr_alice' AND (row_to_json(cr)->>'v')::int = v ORDER BY time;
-- Contradicting equalities fold to a false constant: no chunk is scanned.
EXPLAIN (COSTS OFF) SELECT * FROM cr WHERE owner = 'cr_alice' AND owner = 'cr_bob' AND time >= '2026-01-02';
SELECT count(*) FROM cr WHERE owner = 'cr_alice' AND owner = 'cr_bob' AND time >= '2026-01-02';
DROP VIEW cr_bob_rows;
DROP TABLE cr;
DROP FUNCTION cr_leak(text, int);
DROP ROLE cr_alice;
