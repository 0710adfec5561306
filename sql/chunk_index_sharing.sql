-- Sibling chunks share index choices (strata.enable_chunk_index_sharing): a chunk whose
-- restrictions and column layout are those of the first chunk planned (the template) and whose
-- size is within a factor of two of it builds no index paths for the indexes that the template
-- costed and found useless. Here the template (the oldest chunk) finds a = 1 selective and b = 1
-- not; its siblings are the other way round, so each chunk planned on its own would use the
-- index on b, and with sharing they use the one on a.
-- (Without the template's estimates and paths, strata.enable_chunk_path_cloning, tested in
-- chunk_path_cloning: with them the siblings take the template's plans outright.)
SET strata.enable_chunk_path_cloning = off;
CREATE TABLE shr (time timestamptz NOT NULL, a int, b int, v int);
SELECT create_hypertable('shr', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE INDEX shr_a ON shr (a);
CREATE INDEX shr_b ON shr (b);
-- Day 1: a = 1 once, b = 1 in half the rows; days 2 and 3: the reverse. From day 4 on rows come
-- four times as often: the chunk of day 4 is too big to be a sibling and is planned on its own
-- (index on b); the smaller chunk after it is a sibling again (sequential scan, a = 1 in half its
-- rows).
INSERT INTO shr
SELECT t, CASE WHEN n = 0 THEN 1 ELSE 2 + n END, CASE WHEN n % 2 = 0 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 4999) n, LATERAL (SELECT '2026-01-01'::timestamptz + n * interval '17 s' AS t) x;
INSERT INTO shr
SELECT t, CASE WHEN n % 2 = 0 THEN 1 ELSE 2 + n END, CASE WHEN n = 0 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 4999) n, generate_series(1, 2) d,
       LATERAL (SELECT '2026-01-01'::timestamptz + d * interval '1 day' + n * interval '17 s' AS t) x;
INSERT INTO shr
SELECT t, CASE WHEN n % 2 = 0 THEN 1 ELSE 2 + n END, CASE WHEN n = 0 THEN 1 ELSE 2 + n END, n
  FROM generate_series(0, 19999) n,
       LATERAL (SELECT '2026-01-04'::timestamptz + n * interval '4 s' AS t) x;
ANALYZE shr;
EXPLAIN (COSTS OFF) SELECT * FROM shr WHERE a = 1 AND b = 1 ORDER BY time;
CREATE TEMP TABLE shared_rows AS SELECT * FROM shr WHERE a = 1 AND b = 1;
-- Each chunk planned on its own: the siblings use the index on b.
SET strata.enable_chunk_index_sharing = off;
EXPLAIN (COSTS OFF) SELECT * FROM shr WHERE a = 1 AND b = 1 ORDER BY time;
CREATE TEMP TABLE own_rows AS SELECT * FROM shr WHERE a = 1 AND b = 1;
RESET strata.enable_chunk_index_sharing;
-- The same rows either way.
SELECT (SELECT count(*) FROM (SELECT * FROM shared_rows EXCEPT SELECT * FROM own_rows) d) AS missing,
       (SELECT count(*) FROM (SELECT * FROM own_rows EXCEPT SELECT * FROM shared_rows) d) AS extra,
       (SELECT count(*) FROM shared_rows) AS total;
-- Different restrictions on a chunk (a time bound that only cuts the last sibling) make it plan
-- on its own: day 3 uses the index on b again.
EXPLAIN (COSTS OFF) SELECT * FROM shr WHERE a = 1 AND b = 1 AND time < '2026-01-03 12:00' ORDER BY time;
DROP TABLE shr;
RESET strata.enable_chunk_path_cloning;
