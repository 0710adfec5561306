-- Continuous aggregates: refresh_continuous_aggregate (windows rounded to whole buckets, open
-- ends, force, errors), the invalidation log written by INSERT, COPY, UPDATE, DELETE and
-- TRUNCATE, real-time aggregation and a generic plan across a refresh, integer and date time.
SET timezone = 'UTC';
CREATE TABLE cond (time timestamptz NOT NULL, device int, temp float8);
SELECT create_hypertable('cond', by_range('time', interval '1 day'));
INSERT INTO cond SELECT t, (extract(epoch FROM t)::int / 60) % 3, extract(epoch FROM t)::int % 100
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-04 23:59', interval '7 minutes') t;
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(temp) AS total
    FROM cond GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW raw_hourly AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(temp) AS total
    FROM cond GROUP BY 1, 2;
-- Rows in which the aggregate and the raw aggregation differ.
CREATE VIEW diff AS
  (SELECT * FROM hourly EXCEPT ALL SELECT * FROM raw_hourly)
  UNION ALL (SELECT * FROM raw_hourly EXCEPT ALL SELECT * FROM hourly);
CREATE VIEW log AS
  SELECT _strata_internal.to_timestamptz(lowest) AS lowest,
         CASE WHEN greatest = 9223372036854775807 THEN 'infinity'
              ELSE _strata_internal.to_timestamptz(greatest) END AS greatest
    FROM _strata_catalog.continuous_agg_invalidation ORDER BY 1;
CREATE VIEW bounds AS
  SELECT CASE WHEN invalidation_threshold = -9223372036854775808 THEN '-infinity'
              ELSE _strata_internal.to_timestamptz(invalidation_threshold) END AS threshold,
         CASE WHEN watermark = -9223372036854775808 THEN '-infinity'
              ELSE _strata_internal.to_timestamptz(watermark) END AS watermark
    FROM _strata_catalog.continuous_agg;

-- Everything is invalid at first; the threshold and the watermark are at the start of time.
SELECT * FROM log;
SELECT * FROM bounds;
-- A window inside: whole buckets only (10:30 .. 14:10 refreshes 11:00 .. 14:00).
CALL refresh_continuous_aggregate('hourly', '2024-01-02 10:30', '2024-01-02 14:10');
SELECT min(bucket), max(bucket), count(*) FROM hourly;
SELECT * FROM log;
SELECT * FROM bounds;
-- Open ends: up to the end of the bucket of the newest row.
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT * FROM log;
SELECT * FROM bounds;
SELECT count(*) FROM diff;
-- Nothing invalidated: no work.
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
CALL refresh_continuous_aggregate('hourly', '2024-01-01', '2024-01-02');

-- Late rows: INSERT, COPY, UPDATE, DELETE each log the range they touched (one range per chunk
-- and transaction), never a row per row; rows at or after the threshold are not logged.
INSERT INTO cond VALUES ('2024-01-02 10:30', 1, 1000), ('2024-01-02 10:40', 1, 1000),
                        ('2024-01-03 11:30', 7, 5), ('2024-01-09 00:00', 1, 1);
SELECT * FROM log;
BEGIN;
INSERT INTO cond SELECT t, 2, 1 FROM generate_series('2024-01-01 00:00'::timestamptz, '2024-01-01 05:00', '1 minute') t;
INSERT INTO cond VALUES ('2024-01-01 07:00', 2, 1);
COMMIT;
SELECT * FROM log;
COPY cond FROM stdin;
2024-01-04 01:01:00+00	2	500
2024-01-04 03:59:00+00	2	500
\.
UPDATE cond SET temp = temp + 1 WHERE time >= '2024-01-02 20:00' AND time < '2024-01-02 21:00';
DELETE FROM cond WHERE time >= '2024-01-03 05:00' AND time < '2024-01-03 05:30';
SELECT * FROM log;
SELECT count(*) > 0 AS stale FROM diff;
-- A refresh consumes the log inside its window and leaves the rest.
CALL refresh_continuous_aggregate('hourly', '2024-01-02', '2024-01-03');
SELECT * FROM log;
-- Small batches (one bucket per transaction) give the same result.
SET strata.cagg_refresh_batch_buckets = 1;
CALL refresh_continuous_aggregate('hourly', NULL, '2024-01-05');
RESET strata.cagg_refresh_batch_buckets;
SELECT * FROM log;
-- (the row of 2024-01-09, after the threshold, is not materialized yet)
SELECT * FROM diff;
-- force recomputes even what is not invalidated.
UPDATE _strata_internal._materialized_hypertable_2 SET n = 0 WHERE bucket = '2024-01-01 03:00';
SELECT count(*) FROM diff;
CALL refresh_continuous_aggregate('hourly', '2024-01-01 03:00', '2024-01-01 04:00');
CALL refresh_continuous_aggregate('hourly', '2024-01-01 03:00', '2024-01-01 04:00', force => true);
SELECT count(*) FROM diff;
-- TRUNCATE invalidates everything below the threshold; dropping chunks invalidates nothing.
SELECT count(*) FROM show_chunks('cond', older_than => '2024-01-02'::timestamptz);
SELECT count(*) FROM drop_chunks('cond', older_than => '2024-01-02'::timestamptz);
SELECT * FROM log;
SELECT count(*) AS kept FROM hourly WHERE bucket < '2024-01-02';

-- Errors.
CALL refresh_continuous_aggregate('hourly', '2024-01-02 10:30', '2024-01-02 11:10');
CALL refresh_continuous_aggregate('hourly', '2024-01-03', '2024-01-02');
CALL refresh_continuous_aggregate('hourly', 1, 10);
CALL refresh_continuous_aggregate('hourly', '2024-01-02'::date, NULL);
CALL refresh_continuous_aggregate('cond', NULL, NULL);
CALL refresh_continuous_aggregate(NULL, NULL, NULL);
BEGIN;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
ROLLBACK;
SELECT 1 FROM (SELECT 1) x, LATERAL (SELECT refresh_continuous_aggregate('hourly', NULL, NULL)) y;
CREATE ROLE someone;
GRANT SELECT ON hourly TO someone;
SET ROLE someone;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
RESET ROLE;
-- From a procedure in a non-atomic context it may commit.
CREATE PROCEDURE refresh_all() LANGUAGE plpgsql AS $$
BEGIN
  CALL refresh_continuous_aggregate('hourly', NULL, NULL);
END $$;
CALL refresh_all();
DO $$ BEGIN CALL refresh_continuous_aggregate('hourly', NULL, NULL); END $$;

-- Real-time aggregation: materialized buckets below the watermark (the end of the newest
-- materialized bucket), the raw rows from there on.
TRUNCATE cond;
SELECT * FROM log;
CALL refresh_continuous_aggregate('hourly', NULL, '2024-02-01');
SELECT count(*) FROM hourly;
SELECT * FROM bounds;
INSERT INTO cond SELECT t, 1, 1 FROM generate_series('2024-01-10'::timestamptz, '2024-01-12', '1 hour') t;
CALL refresh_continuous_aggregate('hourly', NULL, '2024-01-11');
SELECT * FROM bounds;
INSERT INTO cond VALUES ('2024-01-13 00:00', 1, 1), ('2024-01-14 00:00', 1, 1);
SELECT count(*) FROM hourly;
SELECT count(*) FROM diff;
ALTER MATERIALIZED VIEW hourly SET (timescaledb.materialized_only = false);
SELECT count(*) FROM hourly;
SELECT count(*) FROM diff;
-- A generic plan reads the watermark when it starts: right before and after a refresh, and
-- the raw chunks below the watermark are excluded at startup.
SET plan_cache_mode = force_generic_plan;
PREPARE q AS SELECT count(*), sum(n) FROM hourly WHERE device = $1;
EXECUTE q(1);
EXPLAIN (COSTS OFF, ANALYZE, TIMING OFF, SUMMARY OFF) EXECUTE q(1);
-- The scans a plan runs, with their rows. PostgreSQL may plan a cached plan again at any time (a
-- backend that falls behind on other sessions' invalidation messages, as under the parallel test
-- schedule, resets all its plans): the plan made before the refresh excludes the raw chunks below
-- the new watermark at startup, one made after it while planning. Either way only these run.
CREATE FUNCTION scans(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF, ANALYZE, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Scan on _hyper_' THEN RETURN NEXT regexp_replace(line, '^ *(->  )?', ''); END IF;
  END LOOP;
END $$;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT * FROM bounds;
EXECUTE q(1);
SELECT * FROM scans('EXECUTE q(1)');
DROP FUNCTION scans(text);
SELECT count(*) FROM diff;
-- A late row below the watermark shows once refreshed.
INSERT INTO cond VALUES ('2024-01-10 05:30', 1, 1);
EXECUTE q(1);
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
EXECUTE q(1);
SELECT count(*) FROM diff;
RESET plan_cache_mode;
DROP VIEW diff;
DROP VIEW raw_hourly;
DROP MATERIALIZED VIEW hourly;

-- Integer time with an integer now function, and date time.
CREATE TABLE readings (t bigint NOT NULL, v int);
SELECT create_hypertable('readings', by_range('t', 100));
CREATE FUNCTION readings_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT coalesce(max(t), 0) FROM readings';
SELECT set_integer_now_func('readings', 'readings_now');
INSERT INTO readings SELECT g, g % 7 FROM generate_series(1, 1000) g;
CREATE MATERIALIZED VIEW r10 WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket(10, t) AS b, sum(v) AS s, count(*) AS n FROM readings GROUP BY 1 WITH NO DATA;
SELECT count(*), sum(s) FROM r10;
CALL refresh_continuous_aggregate('r10', 0, 500);
SELECT count(*), sum(s) FROM r10;
SELECT count(*) FROM _strata_internal._materialized_hypertable_4;
INSERT INTO readings VALUES (5, 1000), (1001, 1);
SELECT count(*), sum(s) FROM r10;
CALL refresh_continuous_aggregate('r10', NULL, NULL);
SELECT count(*), sum(s) FROM r10;
SELECT count(*) FROM ((SELECT * FROM r10 EXCEPT SELECT time_bucket(10, t), sum(v), count(*) FROM readings GROUP BY 1)
  UNION ALL (SELECT time_bucket(10, t), sum(v), count(*) FROM readings GROUP BY 1 EXCEPT SELECT * FROM r10)) d;
CALL refresh_continuous_aggregate('r10', 5, 12);

CREATE TABLE daily (d date NOT NULL, v int);
SELECT create_hypertable('daily', by_range('d', interval '1 month'));
INSERT INTO daily SELECT d, 1 FROM generate_series('2024-01-01'::date, '2024-03-31', '1 day') d;
CREATE MATERIALIZED VIEW weekly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 week', d) AS week, count(*) AS n FROM daily GROUP BY 1;
SELECT * FROM weekly ORDER BY week LIMIT 3;
INSERT INTO daily VALUES ('2024-01-02', 5);
CALL refresh_continuous_aggregate('weekly', '2024-01-01', '2024-01-15');
SELECT * FROM weekly ORDER BY week LIMIT 3;

-- A refresh with an open end, when the newest raw chunk ends at or below the invalidation
-- threshold, refreshes up to the threshold (without reading the newest chunk for its newest row):
-- rows written and removed again between the newest row and the threshold are consumed from
-- the log.
CREATE TABLE upto (time timestamptz NOT NULL, v int);
SELECT create_hypertable('upto', by_range('time', interval '1 hour'));
INSERT INTO upto SELECT '2024-01-01'::timestamptz + g * interval '10 minutes', 1 FROM generate_series(0, 59) g;
CREATE MATERIALIZED VIEW upto_h WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n FROM upto GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('upto_h', NULL, '2024-01-01 12:00+00');
INSERT INTO upto VALUES ('2024-01-01 11:00+00', 1);
DELETE FROM upto WHERE time = '2024-01-01 11:00+00';
SELECT count(*) AS logged FROM _strata_catalog.continuous_agg_invalidation i
  JOIN _strata_catalog.continuous_agg a ON a.mat_hypertable_id = i.mat_hypertable_id WHERE a.user_view_name = 'upto_h';
CALL refresh_continuous_aggregate('upto_h', NULL, NULL);
SELECT count(*) AS logged FROM _strata_catalog.continuous_agg_invalidation i
  JOIN _strata_catalog.continuous_agg a ON a.mat_hypertable_id = i.mat_hypertable_id WHERE a.user_view_name = 'upto_h';
SELECT count(*), sum(n) FROM upto_h;

-- A refresh writes the rows of a batch in the order of the materialization's index on (group
-- columns, bucket DESC): physically (ctid order) the chunk holds them in that order.
CREATE TABLE ordered (time timestamptz NOT NULL, dev text, v int);
SELECT create_hypertable('ordered', by_range('time', interval '1 day'));
INSERT INTO ordered SELECT '2024-01-01'::timestamptz + (g % 24) * interval '1 hour', 'd' || (g * 7919 % 50), 1
  FROM generate_series(0, 2399) g;
CREATE MATERIALIZED VIEW ordered_h WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n FROM ordered GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('ordered_h', NULL, NULL);
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS ordered_mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'ordered_h' \gset
SELECT count(*) AS chunks, min(c::text) AS ordered_chunk FROM show_chunks(:'ordered_mat') c \gset
SELECT :chunks AS chunks, count(*) AS rows, sum(n) AS n, bool_and(by_ctid = by_index) AS in_index_order
  FROM (SELECT row_number() OVER (ORDER BY ctid) AS by_ctid, row_number() OVER (ORDER BY dev, bucket DESC) AS by_index, n
          FROM :ordered_chunk) s;
