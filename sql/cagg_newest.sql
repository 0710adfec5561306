-- Continuous aggregates: a refresh with an open end (window_end NULL) takes the newest raw time
-- that writers record in shared memory (src/caggs/newest.cpp) instead of reading the newest raw
-- chunk (no index on time here). The materialization stays exact after INSERT, COPY, UPDATE,
-- DELETE, TRUNCATE, a rolled back INSERT and an INSERT into a chunk by name; the value may be
-- later than the newest row left (the window then ends later), never earlier.
SET timezone = 'UTC';
SET stats_fetch_consistency = none;
CREATE TABLE m (time timestamptz NOT NULL, dev int, v int);
SELECT create_hypertable('m', 'time', chunk_time_interval => interval '1 day', create_default_indexes => false);
INSERT INTO m SELECT t, extract(minute FROM t)::int % 3, extract(epoch FROM t)::int % 97
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-03 12:00', interval '10 minutes') t;
CREATE MATERIALIZED VIEW agg WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS total
    FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW raw_agg AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS total FROM m GROUP BY 1, 2;
-- Rows in which the materialization and the raw aggregation differ.
CREATE VIEW diff AS
  (SELECT * FROM agg EXCEPT ALL SELECT * FROM raw_agg)
  UNION ALL (SELECT * FROM raw_agg EXCEPT ALL SELECT * FROM agg);
CREATE VIEW threshold AS
  SELECT _strata_internal.to_timestamptz(invalidation_threshold) AS threshold FROM _strata_catalog.continuous_agg;
-- Sequential scans of the raw chunks so far (the backend's pending counts flushed first).
CREATE FUNCTION raw_scans() RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(seq_scan), 0)::bigint FROM pg_stat_user_tables
   WHERE relid IN (SELECT c FROM show_chunks('m') c) $$;

-- The first refresh reads the rows written before the aggregate existed (its value is unknown).
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;
SELECT max(bucket) FROM agg;

-- Refreshed again with nothing new: no raw chunk is read (the newest chunk ends after the
-- threshold, so without the recorded value the refresh would read it for its newest row).
SELECT pg_stat_force_next_flush();
SELECT raw_scans() AS scans_before \gset
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT pg_stat_force_next_flush();
SELECT raw_scans() - :scans_before AS raw_scans;

-- Newer rows (INSERT): recorded at commit, the refresh reaches them without reading for them.
INSERT INTO m SELECT t, 1, 5 FROM generate_series('2024-01-03 12:10'::timestamptz, '2024-01-03 20:30', interval '20 minutes') t;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;

-- COPY, into a new chunk.
COPY m FROM STDIN;
2024-01-04 01:15:00+00	2	7
2024-01-04 06:45:00+00	0	8
\.
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;

-- UPDATE moving a row later (a new chunk).
UPDATE m SET time = '2024-01-05 03:30' WHERE time = '2024-01-04 06:45';
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;

-- A rolled back INSERT never reaches pre-commit: nothing recorded, the window does not grow.
BEGIN;
INSERT INTO m VALUES ('2030-06-01 10:00', 1, 1);
ROLLBACK;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;

-- A window that starts after the newest raw time: nothing to do.
CALL refresh_continuous_aggregate('agg', '2024-02-01', NULL);
SELECT * FROM threshold;

-- DELETE of the newest rows: the recorded value stays later than the rows left (still exact).
DELETE FROM m WHERE time >= '2024-01-04';
INSERT INTO m VALUES ('2024-01-03 21:10', 0, 3);
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;

-- An INSERT into a chunk by name records the chunk's end.
SELECT format('INSERT INTO %s VALUES (%L, 2, 9)', c, '2024-01-03 23:20') AS ins
  FROM show_chunks('m', newer_than => '2024-01-03'::timestamptz) c ORDER BY 1 LIMIT 1 \gset
:ins;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;

-- TRUNCATE makes the value unknown: the next refresh reads the rows again.
TRUNCATE m;
INSERT INTO m SELECT t, 2, 1 FROM generate_series('2024-01-10'::timestamptz, '2024-01-10 05:00', interval '30 minutes') t;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;
SELECT max(bucket) FROM agg;

-- With strata.cagg_refresh_cached_newest off, the refresh reads the newest chunk every time.
INSERT INTO m VALUES ('2024-01-10 08:10', 0, 4);
SET strata.cagg_refresh_cached_newest = off;
SELECT pg_stat_force_next_flush();
SELECT raw_scans() AS scans_before \gset
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT pg_stat_force_next_flush();
SELECT raw_scans() > :scans_before AS read_raw_chunks;
SELECT count(*) AS diff_rows FROM diff;
SELECT * FROM threshold;
RESET strata.cagg_refresh_cached_newest;

-- A second aggregate on the same hypertable has its own value.
CREATE MATERIALIZED VIEW agg2 WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 day', time) AS bucket, count(*) AS n FROM m GROUP BY 1;
INSERT INTO m VALUES ('2024-01-12 01:00', 1, 2);
CALL refresh_continuous_aggregate('agg2', NULL, NULL);
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
SELECT bucket, n FROM agg2 ORDER BY 1;
SELECT (SELECT count(*) FROM m) = (SELECT sum(n) FROM agg2) AS agg2_exact;

-- An open end reaches at least the threshold: buckets invalidated between the newest row left
-- and the threshold (the newest rows deleted, everything truncated) are recomputed, also when
-- the newest time is read from the rows.
SET strata.cagg_refresh_cached_newest = off;
DELETE FROM m WHERE time >= '2024-01-10 08:00';
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;
TRUNCATE m;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows, (SELECT count(*) FROM agg) AS agg_rows FROM diff;
RESET strata.cagg_refresh_cached_newest;

-- Rows captured as delta rows (a plain INSERT below the highest threshold of the hypertable's
-- aggregates) count for the newest raw time too: agg's threshold is moved ahead by a refresh of
-- an explicit window, agg2's stays behind; a row between the two is captured (agg logs it as a
-- delta row), and agg2's open-ended refresh reaches it.
INSERT INTO m VALUES ('2024-01-20 10:00', 1, 1);
CALL refresh_continuous_aggregate('agg2', NULL, NULL);
CALL refresh_continuous_aggregate('agg', NULL, '2024-03-01');
SELECT _strata_internal.to_timestamptz(invalidation_threshold) AS thresholds FROM _strata_catalog.continuous_agg ORDER BY 1;
INSERT INTO m VALUES ('2024-02-10 10:00', 2, 5);
CALL refresh_continuous_aggregate('agg2', NULL, NULL);
SELECT bucket, n FROM agg2 WHERE bucket >= '2024-01-15' ORDER BY 1;
SELECT (SELECT count(*) FROM m) = (SELECT sum(n) FROM agg2) AS agg2_exact;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT count(*) AS diff_rows FROM diff;

DROP VIEW diff, raw_agg, threshold;
DROP MATERIALIZED VIEW agg2;
DROP MATERIALIZED VIEW agg;
DROP TABLE m;
