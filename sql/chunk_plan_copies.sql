-- Chunks an ordered LIMIT reads after the first are plan copies (strata.enable_chunk_plan_copies):
-- in a SELECT of one hypertable ordered by its time column with a LIMIT, the first chunk in
-- reading order whose ordered path is a plain index scan is planned as usual, and each further
-- row-store chunk with the same column layout and an index of the same definition gets a copy of
-- that index scan (its own chunk and index, the rows scaled by its size) instead of a RelOptInfo,
-- statistics lookups and index paths of its own. Here the newest chunk (the template of a DESC
-- order) holds a = 1 in one row of 1,000; the older chunks hold it in every row, so planned on
-- their own their estimates are 1,000 rows, as copies 1.
SET timezone = 'UTC';
SET strata.enable_chunk_plan_copies = on;
-- (Siblings planned on their own would take the first planned chunk's estimates with path
-- cloning: off, so that the estimates tell copies from chunks planned on their own.)
SET strata.enable_chunk_path_cloning = off;
CREATE TABLE pc (time timestamptz NOT NULL, a int, v int);
SELECT create_hypertable('pc', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX pc_a_time ON pc (a, time DESC);
INSERT INTO pc
SELECT '2026-01-01'::timestamptz + d * interval '1 day' + n * interval '60 s', 1, d * 10000 + n
  FROM generate_series(0, 2) d, generate_series(0, 999) n;
INSERT INTO pc
SELECT '2026-01-04'::timestamptz + n * interval '60 s', CASE WHEN n = 500 THEN 1 ELSE 2 + n END, 30000 + n
  FROM generate_series(0, 999) n;
ANALYZE pc;
CREATE TABLE pc_plain AS SELECT * FROM pc;
CREATE INDEX ON pc_plain (a, time DESC);
ANALYZE pc_plain;
-- The estimated rows of each chunk's scan, in reading order.
CREATE FUNCTION pc_rows(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || q LOOP
    IF line ~ 'Scan.* on _hyper' THEN
      RETURN NEXT substring(line from '(_hyper_\d+_\d+_chunk) ') || ' rows=' || substring(line from 'rows=(\d+)');
    END IF;
  END LOOP;
END $$;
EXPLAIN (COSTS OFF) SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5;
-- The three older chunks are copies of the newest chunk's scan: its 1 row of 1,000.
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
-- The rows are the plain table's, in the LIMIT's first chunk and across chunks.
SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5;
SELECT (SELECT array_agg(v) FROM (SELECT v FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM pc_plain WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s)
       AS same_rows_across_chunks;
-- Ascending: the oldest chunk is the template (a = 1 in all its rows), the others copy its scan.
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time LIMIT 5');
SELECT (SELECT array_agg(v) FROM (SELECT v FROM pc WHERE a = 1 ORDER BY time LIMIT 10 OFFSET 2995) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM pc_plain WHERE a = 1 ORDER BY time LIMIT 10 OFFSET 2995) s)
       AS same_rows_ascending;
-- Off: every chunk planned on its own, with its own estimate.
SET strata.enable_chunk_plan_copies = off;
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SET strata.enable_chunk_plan_copies = on;
-- Not without a LIMIT, nor with a join, nor with a LIMIT above 10,000 rows.
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC');
SELECT pc_rows('SELECT * FROM pc JOIN pc_plain p USING (time) WHERE pc.a = 1 ORDER BY time DESC LIMIT 5');
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 20000');
-- A LATERAL LIMIT per outer row: the copies' index conditions use the outer value (a parameter),
-- rescanned for each row.
EXPLAIN (COSTS OFF)
SELECT d.d, l.v FROM generate_series(1, 3) d(d), LATERAL (SELECT v FROM pc WHERE a = d.d ORDER BY time DESC LIMIT 2) l;
SELECT (SELECT array_agg(l.v ORDER BY d.d, l.v) FROM generate_series(1, 600) d(d),
               LATERAL (SELECT v FROM pc WHERE a = d.d ORDER BY time DESC LIMIT 2) l) =
       (SELECT array_agg(l.v ORDER BY d.d, l.v) FROM generate_series(1, 600) d(d),
               LATERAL (SELECT v FROM pc_plain WHERE a = d.d ORDER BY time DESC LIMIT 2) l)
       AS same_rows_lateral;
-- A whole-row reference has the chunk's row type: every chunk planned on its own.
SELECT pc_rows('SELECT pc FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SELECT pc FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 2;
-- A constant bound: the chunks it covers do without it, the template and its copies alike; the
-- chunk it cuts keeps it and is planned on its own.
EXPLAIN (COSTS OFF) SELECT * FROM pc WHERE a = 1 AND time >= '2026-01-01 12:00+00' ORDER BY time DESC LIMIT 5;
SELECT pc_rows($$SELECT * FROM pc WHERE a = 1 AND time >= '2026-01-01 12:00+00' ORDER BY time DESC LIMIT 5$$);
SELECT (SELECT array_agg(v) FROM (SELECT v FROM pc WHERE a = 1 AND time >= '2026-01-01 12:00+00' ORDER BY time DESC LIMIT 5 OFFSET 2490) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM pc_plain WHERE a = 1 AND time >= '2026-01-01 12:00+00' ORDER BY time DESC LIMIT 5 OFFSET 2490) s)
       AS same_rows_with_bound;
-- A generic plan with its time bound a parameter: chunks excluded at executor start, and the
-- copies read with the rows of the plain table.
SET plan_cache_mode = force_generic_plan;
PREPARE pc_recent(timestamptz) AS SELECT v FROM pc WHERE a = 1 AND time < $1 ORDER BY time DESC LIMIT 3;
EXPLAIN (COSTS OFF) EXECUTE pc_recent('2026-01-02 12:00+00');
EXECUTE pc_recent('2026-01-02 12:00+00');
SELECT v FROM pc_plain WHERE a = 1 AND time < '2026-01-02 12:00+00' ORDER BY time DESC LIMIT 3;
DEALLOCATE pc_recent;
RESET plan_cache_mode;
-- A copy's index is found once per chunk and kept until a relcache invalidation: a chunk whose
-- index is dropped is planned on its own, and one whose index is made again is copied onto it
-- (the new index, not the dropped one's OID).
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SELECT format('DROP INDEX %s', i.indexrelid::regclass)
  FROM pg_index i WHERE i.indrelid = (SELECT c FROM show_chunks('pc') c ORDER BY c LIMIT 1 OFFSET 1) \gexec
EXPLAIN (COSTS OFF) SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5;
SELECT (SELECT array_agg(v) FROM (SELECT v FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM pc_plain WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s)
       AS same_rows_without_the_index;
SELECT format('CREATE INDEX pc_day2_again ON %s (a, time DESC)', c)
  FROM show_chunks('pc') c ORDER BY c LIMIT 1 OFFSET 1 \gexec
EXPLAIN (COSTS OFF) SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5;
SELECT (SELECT array_agg(v) FROM (SELECT v FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s) =
       (SELECT array_agg(v) FROM (SELECT v FROM pc_plain WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995) s)
       AS same_rows_with_the_new_index;
-- A chunk with another column layout (created before a column was dropped) is planned on its
-- own; a compressed chunk too; the copies around them keep the reading order.
ALTER TABLE pc DROP COLUMN v;
ALTER TABLE pc ADD COLUMN w int;
INSERT INTO pc SELECT '2026-01-05'::timestamptz + n * interval '60 s', CASE WHEN n = 7 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 999) n;
INSERT INTO pc SELECT '2026-01-06'::timestamptz + n * interval '60 s', CASE WHEN n = 7 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 999) n;
ANALYZE pc;
-- (days 5 and 6 have the new layout: day 5 copies day 6's scan; days 1 to 4 have the old one)
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SELECT time, a, w FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 4;
ALTER TABLE pc SET (timescaledb.compress, timescaledb.compress_segmentby = 'a');
SELECT compress_chunk(c) IS NOT NULL AS compressed
  FROM show_chunks('pc') c WHERE c::text LIKE '%\_3\_chunk' OR c::text LIKE '%\_5\_chunk';
ANALYZE pc;
EXPLAIN (COSTS OFF) SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5;
SELECT pc_rows('SELECT * FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 5');
CREATE TEMP TABLE pc_copies AS
  SELECT array_agg(time) AS times FROM (SELECT time FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 2005) s;
SET strata.enable_chunk_plan_copies = off;
SELECT cardinality(times), times[1], times[2005],
       times = (SELECT array_agg(time) FROM (SELECT time FROM pc WHERE a = 1 ORDER BY time DESC LIMIT 2005) s)
         AS same_as_planned_on_their_own
  FROM pc_copies;
RESET strata.enable_chunk_plan_copies;
DROP TABLE pc, pc_plain;
DROP FUNCTION pc_rows(text);
