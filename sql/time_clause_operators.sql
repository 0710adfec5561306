-- Matching a hypertable's time clauses asks the catalogs about each operator (its strategy and
-- input types in the time column's btree family, whether it is immutable); the answers are kept
-- per backend and forgotten at any invalidation of pg_amop, pg_operator or pg_proc. Here the
-- function behind int8 "<" stops being immutable (in this test's database only): the constant
-- bound no longer excludes chunks at plan time (ChunkAppend excludes them at executor start),
-- and once immutable again it does.
CREATE TABLE tco (t int8 NOT NULL, v int);
SELECT create_hypertable('tco', 't', chunk_time_interval => 10) IS NOT NULL AS created;
INSERT INTO tco SELECT g, g FROM generate_series(0, 39) g;
ANALYZE tco;
EXPLAIN (COSTS OFF) SELECT v FROM tco WHERE t < 5::int8;
ALTER FUNCTION int8lt(int8, int8) STABLE;
EXPLAIN (COSTS OFF) SELECT v FROM tco WHERE t < 5::int8;
SELECT count(*) FROM tco WHERE t < 5::int8;
ALTER FUNCTION int8lt(int8, int8) IMMUTABLE;
EXPLAIN (COSTS OFF) SELECT v FROM tco WHERE t < 5::int8;
DROP TABLE tco;
