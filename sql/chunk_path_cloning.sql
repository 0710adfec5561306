-- Sibling chunks take the template's paths (strata.enable_chunk_path_cloning): a chunk whose
-- restrictions and column layout are those of the first chunk planned (the template) and whose
-- size is within a factor of two of it gets the template's selectivity, widths and index and
-- bitmap paths (rebuilt on its own index and clauses) instead of estimates of its own. Here the
-- template (the oldest chunk) finds a = 1 in one row and b = 1 in 10% of its rows; its siblings
-- have a = 1 and b = 1 in every row, so planned on their own they are read by sequential scans.
SET timezone = 'UTC';
-- (On by default; set here so that the test does not depend on it.)
SET strata.enable_chunk_path_cloning = on;
CREATE TABLE cl (time timestamptz NOT NULL, a int, b int, v int);
SELECT create_hypertable('cl', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX cl_a ON cl (a);
CREATE INDEX cl_b ON cl (b);
INSERT INTO cl
SELECT t, CASE WHEN n = 0 THEN 1 ELSE 2 + n END, CASE WHEN n % 10 = 0 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 4999) n, LATERAL (SELECT '2026-01-01'::timestamptz + n * interval '17 s' AS t) x;
INSERT INTO cl
SELECT t, 1, 1, n
  FROM generate_series(0, 4999) n, generate_series(1, 2) d,
       LATERAL (SELECT '2026-01-01'::timestamptz + d * interval '1 day' + n * interval '17 s' AS t) x;
-- Day 4: four times as many rows, too big to be a sibling: planned on its own.
INSERT INTO cl
SELECT t, 1, 1, n
  FROM generate_series(0, 19999) n,
       LATERAL (SELECT '2026-01-04'::timestamptz + n * interval '4 s' AS t) x;
ANALYZE cl;
-- The siblings (days 2 and 3) follow the template's index scan; day 4 has its own plan.
EXPLAIN (COSTS OFF) SELECT * FROM cl WHERE a = 1;
-- A bitmap scan of the template is cloned too.
EXPLAIN (COSTS OFF) SELECT * FROM cl WHERE b = 1;
CREATE TEMP TABLE cloned_a AS SELECT * FROM cl WHERE a = 1;
CREATE TEMP TABLE cloned_b AS SELECT * FROM cl WHERE b = 1;
-- The row estimates of the chunks' scans: a sibling's is its size times the template's
-- selectivity (1 row of 5,000); day 4 has its own.
CREATE FUNCTION cl_rows(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN ' || q LOOP
    IF line ~ 'Scan.* on _hyper' THEN
      RETURN NEXT substring(line from 'rows=(\d+)');
    END IF;
  END LOOP;
END $$;
SELECT cl_rows('SELECT * FROM cl WHERE a = 1');
-- Each chunk planned on its own: sequential scans of the siblings.
SET strata.enable_chunk_path_cloning = off;
EXPLAIN (COSTS OFF) SELECT * FROM cl WHERE a = 1;
EXPLAIN (COSTS OFF) SELECT * FROM cl WHERE b = 1;
SELECT cl_rows('SELECT * FROM cl WHERE a = 1');
CREATE TEMP TABLE own_a AS SELECT * FROM cl WHERE a = 1;
CREATE TEMP TABLE own_b AS SELECT * FROM cl WHERE b = 1;
SET strata.enable_chunk_path_cloning = on;
-- The same rows either way.
SELECT (SELECT count(*) FROM (SELECT * FROM cloned_a EXCEPT ALL SELECT * FROM own_a) d) AS missing_a,
       (SELECT count(*) FROM (SELECT * FROM own_a EXCEPT ALL SELECT * FROM cloned_a) d) AS extra_a,
       (SELECT count(*) FROM cloned_a) AS total_a,
       (SELECT count(*) FROM (SELECT * FROM cloned_b EXCEPT ALL SELECT * FROM own_b) d) AS missing_b,
       (SELECT count(*) FROM (SELECT * FROM own_b EXCEPT ALL SELECT * FROM cloned_b) d) AS extra_b,
       (SELECT count(*) FROM cloned_b) AS total_b;
-- Ordered by time with a LIMIT (the fleet's "recent rows of one device"): the siblings' clones
-- of the template's backward index scan keep its order, no sort; the rows are a plain table's.
CREATE TABLE dev (time timestamptz NOT NULL, device int NOT NULL, v int);
SELECT create_hypertable('dev', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE UNIQUE INDEX dev_device_time ON dev (device, time);
CREATE TABLE dev_plain (LIKE dev);
CREATE UNIQUE INDEX dev_plain_device_time ON dev_plain (device, time);
INSERT INTO dev SELECT '2026-01-01'::timestamptz + s * interval '10 min', d, s * 100 + d
  FROM generate_series(0, 431) s, generate_series(1, 50) d;
INSERT INTO dev_plain SELECT * FROM dev;
ANALYZE dev, dev_plain;
EXPLAIN (COSTS OFF) SELECT * FROM dev WHERE device = 7 ORDER BY time DESC LIMIT 3;
SELECT cl_rows('SELECT * FROM dev WHERE device = 7 ORDER BY time DESC LIMIT 3');
SELECT * FROM dev WHERE device = 7 ORDER BY time DESC LIMIT 3;
SELECT (SELECT array_agg(v ORDER BY time DESC) FROM (SELECT * FROM dev WHERE device = 7 ORDER BY time DESC LIMIT 200) a) =
       (SELECT array_agg(v ORDER BY time DESC) FROM (SELECT * FROM dev_plain WHERE device = 7 ORDER BY time DESC LIMIT 200) b)
       AS same_as_plain;
DROP TABLE dev, dev_plain;
-- Not for DML: a DELETE plans every chunk on its own.
EXPLAIN (COSTS OFF) DELETE FROM cl WHERE a = 1;
-- Nor with index sharing off.
SET strata.enable_chunk_index_sharing = off;
EXPLAIN (COSTS OFF) SELECT * FROM cl WHERE a = 1;
RESET strata.enable_chunk_index_sharing;
DROP TABLE cl;
-- Time bounds that stay on the chunks (a stable expression: timestamptz + interval depends on the
-- time zone) select a different share of each chunk: the oldest of four hourly chunks keeps 3 of
-- its 60 minutes, the others all of their rows. The template (the oldest chunk) must not give the
-- covered chunks its small selectivity: a chunk whose time clauses keep another share of its rows
-- is planned on its own and becomes the template of the next ones (estimates: about 36 rows on
-- the oldest chunk, 720 on each of the others).
CREATE TABLE tc (time timestamptz NOT NULL, dev text NOT NULL, v int);
SELECT create_hypertable('tc', 'time', chunk_time_interval => interval '1 hour',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX tc_dev_time ON tc (dev, time DESC);
INSERT INTO tc SELECT '2026-01-01'::timestamptz + s * interval '10 s', 'd' || d, s
  FROM generate_series(0, 1439) s, generate_series(1, 2) d;
ANALYZE tc;
SELECT cl_rows($$SELECT * FROM tc WHERE time > '2026-01-01 00:57+00'::timestamptz + interval '0 s'$$);
-- The same with the newest chunk cut too (a second run starts there: 2 of its 60 minutes).
SELECT cl_rows($$SELECT * FROM tc WHERE time > '2026-01-01 00:57+00'::timestamptz + interval '0 s'
                 AND time < '2026-01-01 03:02+00'::timestamptz + interval '0 s'$$);
-- As each chunk planned on its own.
SET strata.enable_chunk_path_cloning = off;
SELECT cl_rows($$SELECT * FROM tc WHERE time > '2026-01-01 00:57+00'::timestamptz + interval '0 s'$$);
SET strata.enable_chunk_path_cloning = on;
DROP TABLE tc;
-- Compressed chunks share the selectivity of their clauses off the time column: the first compressed
-- chunk planned finds a = 1 in 1 row of 1,440, the two after it have a = 1 in every row, but are
-- estimated with the template's selectivity (1 row each).
CREATE TABLE cc (time timestamptz NOT NULL, a int, v int);
SELECT create_hypertable('cc', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
ALTER TABLE cc SET (timescaledb.compress, timescaledb.compress_orderby = 'time');
INSERT INTO cc SELECT '2026-01-01'::timestamptz + s * interval '1 min', CASE WHEN s = 0 THEN 1 ELSE 2 + s END, s
  FROM generate_series(0, 1439) s;
INSERT INTO cc SELECT '2026-01-02'::timestamptz + s * interval '1 min', 1, s FROM generate_series(0, 2879) s;
ANALYZE cc;
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('cc') c;
SELECT cl_rows('SELECT * FROM cc WHERE a = 1');
-- Each chunk estimated on its own: every row of the two newer chunks.
SET strata.enable_chunk_path_cloning = off;
SELECT cl_rows('SELECT * FROM cc WHERE a = 1');
SET strata.enable_chunk_path_cloning = on;
-- Time clauses stay each chunk's own: v > 1000 keeps 439 of the template's 1,440 rows (shared by
-- the siblings), a stable upper bound covers the template, keeps half of the next chunk (219 rows)
-- and excludes the newest.
SELECT cl_rows($$SELECT * FROM cc WHERE v > 1000 AND time < '2026-01-02 12:00+00'::timestamptz + interval '0 s'$$);
SELECT count(*) FROM cc WHERE a = 1;
DROP TABLE cc;
DROP FUNCTION cl_rows(text);
RESET timezone;
