-- Continuous aggregates: a refresh with an open end that must read the newest raw chunk for its
-- newest time (a fresh aggregate over rows written before it, or strata.cagg_refresh_cached_newest
-- off) reads it through a btree index holding the time column (src/caggs/newest_index.cpp): time
-- first (one descent), or second after a prefix column with few distinct values (a skip scan, one
-- descent per prefix value, NULL included). Dead entries are passed over; an index without
-- statistics for its prefix column is not used. agg_on and agg_off are refreshed alike, with the
-- index read on and off: their thresholds and rows agree at every step.
SET timezone = 'UTC';
SET stats_fetch_consistency = none;
SELECT pg_stat_force_next_flush() \gset
SET strata.cagg_refresh_cached_newest = off;
-- (the refreshes' own statements read no index: the scans counted are the newest time's)
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
CREATE TABLE m (time timestamptz NOT NULL, dev text, v int);
SELECT create_hypertable('m', by_range('time', interval '1 day'), create_default_indexes => false);
CREATE INDEX m_dev_time ON m (dev, time);
INSERT INTO m SELECT t, (ARRAY['a', 'b', 'c'])[1 + (extract(epoch FROM t)::int / 600) % 3], extract(epoch FROM t)::int / 600
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-03 17:20', interval '10 minutes') t;
-- The newest row, deleted (its index entry stays: no VACUUM).
INSERT INTO m VALUES ('2024-01-03 23:50', 'b', 1);
DELETE FROM m WHERE time = '2024-01-03 23:50';
ANALYZE m;
CREATE MATERIALIZED VIEW agg_on WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE MATERIALIZED VIEW agg_off WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW raw_agg AS SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n FROM m GROUP BY 1, 2;
-- Both thresholds, and the rows in which either materialization differs from the raw aggregation.
CREATE VIEW state AS
  SELECT (SELECT _strata_internal.to_timestamptz(invalidation_threshold) FROM _strata_catalog.continuous_agg
           WHERE user_view_name = 'agg_on') AS threshold_on,
         (SELECT _strata_internal.to_timestamptz(invalidation_threshold) FROM _strata_catalog.continuous_agg
           WHERE user_view_name = 'agg_off') AS threshold_off,
         (SELECT count(*) FROM ((SELECT * FROM agg_on EXCEPT ALL SELECT * FROM raw_agg)
                          UNION ALL (SELECT * FROM raw_agg EXCEPT ALL SELECT * FROM agg_on)) d) AS diff_on,
         (SELECT count(*) FROM ((SELECT * FROM agg_off EXCEPT ALL SELECT * FROM raw_agg)
                          UNION ALL (SELECT * FROM raw_agg EXCEPT ALL SELECT * FROM agg_off)) d) AS diff_off;
-- Scans of the raw chunks' indexes so far (the backend's pending counts flushed first).
CREATE FUNCTION index_scans() RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(idx_scan), 0)::bigint FROM pg_stat_user_indexes
   WHERE relid IN (SELECT c FROM show_chunks('m') c) $$;
CREATE TABLE scans (k text, n bigint);
CREATE VIEW step_scans AS
  SELECT (SELECT n FROM scans WHERE k = 's1') - (SELECT n FROM scans WHERE k = 's0') AS index_scans_off,
         (SELECT n FROM scans WHERE k = 's2') - (SELECT n FROM scans WHERE k = 's1') AS index_scans_on;
\set step 'SELECT FROM pg_stat_force_next_flush(); TRUNCATE scans; INSERT INTO scans SELECT ''s0'', index_scans(); SET strata.cagg_refresh_newest_by_index = off; CALL refresh_continuous_aggregate(''agg_off'', NULL, NULL); RESET strata.cagg_refresh_newest_by_index; SELECT FROM pg_stat_force_next_flush(); INSERT INTO scans SELECT ''s1'', index_scans(); CALL refresh_continuous_aggregate(''agg_on'', NULL, NULL); SELECT FROM pg_stat_force_next_flush(); INSERT INTO scans SELECT ''s2'', index_scans(); SELECT * FROM step_scans, state;'

-- Each step (:step) refreshes agg_off with the index read off, then agg_on with it on, counting the scans
-- of the raw chunks' indexes in each refresh (with the (time DESC) index the batches' aggregation
-- makes 2 of its own, in both).
-- (dev, time): NULLs (none), IS NOT NULL (c), below c (b: its dead newest entry passed over), below
-- b (a), below a (none): 5 descents; the window ends after the newest live row (17:20).
:step

-- The newest row has a NULL prefix: the first descent finds it.
INSERT INTO m VALUES ('2024-01-03 20:10', NULL, 1), ('2024-01-03 19:00', 'c', 1);
:step

-- (time DESC) only: one forward descent.
DROP INDEX m_dev_time;
CREATE INDEX m_time ON m (time DESC);
INSERT INTO m VALUES ('2024-01-03 21:30', 'a', 1);
:step

-- (dev DESC, time DESC), as a space column's index: forward, each descent below the previous
-- value (NULLs first in this index).
DROP INDEX m_time;
CREATE INDEX m_dev_desc_time ON m (dev DESC, time DESC);
ANALYZE m;
INSERT INTO m VALUES ('2024-01-03 22:40', 'b', 1), ('2024-01-03 22:50', NULL, 1);
:step

-- A new chunk whose prefix column has no statistics: the index is not used (the rows are read).
INSERT INTO m VALUES ('2024-01-04 02:15', 'c', 1), ('2024-01-04 01:00', 'a', 1);
:step

-- Statistics: the index is used; newest chunks left with dead entries only are passed over for
-- the one below (2 + 2 + 5 descents).
INSERT INTO m VALUES ('2024-01-05 03:00', 'z', 1);
ANALYZE m;
DELETE FROM m WHERE time >= '2024-01-04';
:step

-- (v, time), v nearly unique: more distinct values in the 2024-01-03 chunk than descents allowed
-- (64 in so small a chunk): not used there, the rows are read (2 + 2 descents above it).
DROP INDEX m_dev_desc_time;
CREATE INDEX m_v_time ON m (v, time);
:step

-- Row-level security on the hypertable (policies may filter the SQL read, run as the aggregate's
-- owner): the index is not used, the rows are read.
DROP INDEX m_v_time;
CREATE INDEX m_dev_time ON m (dev, time);
ALTER TABLE m ENABLE ROW LEVEL SECURITY;
INSERT INTO m VALUES ('2024-01-03 23:10', 'b', 1);
:step
ALTER TABLE m DISABLE ROW LEVEL SECURITY;

-- More prefix values than the statistics said (written after ANALYZE): past the 64 descents
-- allowed in the 2024-01-03 chunk the scan gives up and the rows are read (2 + 2 + 65 descents).
INSERT INTO m SELECT '2024-01-03 23:20'::timestamptz - i * interval '1 second', 'x' || i, 1 FROM generate_series(1, 100) i;
:step

-- Integer and date time columns (time index first: one descent for the newest chunk).
CREATE TABLE mi (t int NOT NULL, v int);
SELECT create_hypertable('mi', by_range('t', 100));
INSERT INTO mi SELECT i, i FROM generate_series(1, 450) i;
CREATE MATERIALIZED VIEW mi_agg WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket(10, t) AS bucket, sum(v) AS s FROM mi GROUP BY 1 WITH NO DATA;
SELECT FROM pg_stat_force_next_flush();
SELECT coalesce(sum(idx_scan), 0) AS mi_scans_before FROM pg_stat_user_indexes WHERE relid IN (SELECT c FROM show_chunks('mi') c);
CALL refresh_continuous_aggregate('mi_agg', NULL, NULL);
SELECT FROM pg_stat_force_next_flush();
SELECT coalesce(sum(idx_scan), 0) AS mi_scans_after FROM pg_stat_user_indexes WHERE relid IN (SELECT c FROM show_chunks('mi') c);
SELECT (SELECT invalidation_threshold FROM _strata_catalog.continuous_agg WHERE user_view_name = 'mi_agg') AS threshold,
       count(*) AS buckets, sum(s) AS s FROM mi_agg;
CREATE TABLE md (d date NOT NULL, v int);
SELECT create_hypertable('md', by_range('d', interval '7 days'));
INSERT INTO md SELECT d, 1 FROM generate_series('2024-01-01'::date, '2024-01-20'::date, interval '1 day') d;
CREATE MATERIALIZED VIEW md_agg WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 day', d) AS bucket, count(*) AS n FROM md GROUP BY 1 WITH NO DATA;
SELECT FROM pg_stat_force_next_flush();
SELECT coalesce(sum(idx_scan), 0) AS md_scans_before FROM pg_stat_user_indexes WHERE relid IN (SELECT c FROM show_chunks('md') c);
CALL refresh_continuous_aggregate('md_agg', NULL, NULL);
SELECT FROM pg_stat_force_next_flush();
SELECT coalesce(sum(idx_scan), 0) AS md_scans_after FROM pg_stat_user_indexes WHERE relid IN (SELECT c FROM show_chunks('md') c);
SELECT min(bucket), max(bucket), count(*) AS buckets, sum(n) AS n FROM md_agg;
-- A hash dimension (chunks share a time range): the index is not used, the rows are read.
CREATE TABLE mh (time timestamptz NOT NULL, dev int, v int);
SELECT create_hypertable('mh', by_range('time', interval '1 day'));
SELECT add_dimension('mh', by_hash('dev', 2)) IS NOT NULL AS added;
INSERT INTO mh SELECT t, i % 4, 1 FROM generate_series('2024-01-01'::timestamptz, '2024-01-02 23:00', interval '1 hour') WITH ORDINALITY g(t, i);
CREATE MATERIALIZED VIEW mh_agg WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM mh GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('mh_agg', NULL, NULL);
SELECT FROM pg_stat_force_next_flush();
SELECT coalesce(sum(idx_scan), 0) AS mh_scans FROM pg_stat_user_indexes WHERE relid IN (SELECT c FROM show_chunks('mh') c);
SELECT max(bucket), count(*) AS buckets, sum(n) AS n FROM mh_agg;
DROP MATERIALIZED VIEW mi_agg;
DROP MATERIALIZED VIEW md_agg;
DROP MATERIALIZED VIEW mh_agg;
DROP TABLE mi, md, mh;

DROP VIEW step_scans, state;
DROP TABLE scans;
DROP MATERIALIZED VIEW agg_on;
DROP MATERIALIZED VIEW agg_off;
DROP TABLE m CASCADE;
