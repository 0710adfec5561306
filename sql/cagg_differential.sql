-- Continuous aggregates, differential test: random late INSERT / UPDATE / DELETE / COPY and
-- refreshes of random windows (some in one-bucket batches). At every step a real-time aggregate
-- that is never refreshed equals the raw aggregation; after refreshing everything, the
-- materialized aggregates equal it exactly. `inc` is maintained incrementally (count, sum, min,
-- max: late rows become delta rows that a refresh adds into its buckets).
SET timezone = 'UTC';
SELECT setseed(0.4242);
CREATE TABLE m (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT '2024-01-01'::timestamptz + random() * interval '10 days', (random() * 3)::int, (random() * 100)::int
  FROM generate_series(1, 3000);
CREATE MATERIALIZED VIEW mat WITH (timescaledb.continuous) AS
  SELECT time_bucket('2 hours', time) AS bucket, device, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi,
         avg(v) AS mean
    FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE MATERIALIZED VIEW rt WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('2 hours', time) AS bucket, device, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi,
         avg(v) AS mean
    FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE MATERIALIZED VIEW rt_refreshed WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', time, 'Europe/Berlin') AS day, count(*) AS n, sum(v) AS s
    FROM m GROUP BY 1 WITH NO DATA;
CREATE MATERIALIZED VIEW inc WITH (timescaledb.continuous) AS
  SELECT time_bucket('2 hours', time) AS bucket, device, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
    FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW raw_inc AS
  SELECT time_bucket('2 hours', time) AS bucket, device, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi
    FROM m GROUP BY 1, 2;
CREATE VIEW raw AS
  SELECT time_bucket('2 hours', time) AS bucket, device, count(*) AS n, sum(v) AS s, min(v) AS lo, max(v) AS hi,
         avg(v) AS mean
    FROM m GROUP BY 1, 2;
CREATE VIEW raw_day AS
  SELECT time_bucket('1 day', time, 'Europe/Berlin') AS day, count(*) AS n, sum(v) AS s FROM m GROUP BY 1;
CREATE FUNCTION differ(agg regclass, reference regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL (TABLE %s EXCEPT ALL TABLE %s)) d',
                 agg, reference, reference, agg) INTO n;
  RETURN n;
END $$;
CREATE TABLE mismatch (step int, n bigint);
-- Delta rows of inc pending before its refreshes (the incremental path is exercised).
CREATE TABLE deltas (step int, n bigint);
-- (one row per delta row: a catalog row holds one, or several of one bucket packed as rows x columns)
CREATE VIEW inc_deltas AS
  SELECT d.mat_hypertable_id, d.bucket, r FROM _strata_catalog.continuous_agg_delta d
    JOIN _strata_catalog.continuous_agg c USING (mat_hypertable_id)
   CROSS JOIN LATERAL generate_series(1, CASE array_ndims(d.vals) WHEN 2 THEN array_length(d.vals, 1) ELSE 1 END) r
   WHERE c.user_view_name = 'inc';

-- The steps, drawn once.
CREATE TABLE steps AS
  SELECT i, (random() * 5)::int % 5 AS kind,
         '2024-01-01'::timestamptz + random() * interval '11 days' AS t1,
         random() * interval '30 hours' AS span, (random() * 40)::int + 1 AS rows, random() < 0.5 AS small
    FROM generate_series(1, 60) i;
SELECT kind, count(*) FROM steps GROUP BY 1 ORDER BY 1;

SET client_min_messages = warning;
\set ECHO none
\o /dev/null
SELECT stmt FROM (
  SELECT i, 1 AS ord, CASE kind
    WHEN 0 THEN format($f$INSERT INTO m SELECT %L::timestamptz + random() * %L::interval, (random() * 3)::int,
                          (random() * 100)::int FROM generate_series(1, %s)$f$, t1, span, rows)
    WHEN 1 THEN format($f$UPDATE m SET v = v + 1, device = (device + 1) %% 3 WHERE time >= %L AND time < %L$f$,
                       t1, t1 + span / 10)
    WHEN 2 THEN format($f$DELETE FROM m WHERE time >= %L AND time < %L$f$, t1, t1 + span / 20)
    WHEN 3 THEN format($f$COPY m FROM PROGRAM %L WITH (FORMAT csv)$f$,
                       format('printf ''%s,1,7\n%s,2,9\n''', t1, t1 + span))
    ELSE format($f$SET strata.cagg_refresh_batch_buckets = %s$f$, CASE WHEN small THEN 1 ELSE 0 END)
    END AS stmt FROM steps
  UNION ALL
  SELECT i, 2, format($f$CALL refresh_continuous_aggregate('mat', %L, %L)$f$, t1 - interval '2 days', t1 + span)
    FROM steps WHERE kind = 4
  UNION ALL
  SELECT i, 3, format($f$CALL refresh_continuous_aggregate('rt_refreshed', %L, NULL)$f$, t1 - interval '3 days')
    FROM steps WHERE kind = 4
  UNION ALL
  SELECT i, 1.5, format($f$INSERT INTO deltas SELECT %s, count(*) FROM inc_deltas$f$, i)
    FROM steps WHERE kind = 4
  UNION ALL
  SELECT i, 2.5, format($f$CALL refresh_continuous_aggregate('inc', %L, %L)$f$, t1 - interval '2 days', t1 + span)
    FROM steps WHERE kind = 4
  UNION ALL
  SELECT i, 4, format($f$INSERT INTO mismatch SELECT %s, differ('rt', 'raw') WHERE differ('rt', 'raw') > 0$f$, i)
    FROM steps) s
 ORDER BY i, ord
\gexec
\o
\set ECHO all
RESET strata.cagg_refresh_batch_buckets;
RESET client_min_messages;

-- The never-refreshed real-time aggregate matched the raw rows at every step.
SELECT * FROM mismatch;
-- Refreshing everything: exact.
SET client_min_messages = warning;
CALL refresh_continuous_aggregate('mat', NULL, NULL);
CALL refresh_continuous_aggregate('rt', NULL, NULL);
CALL refresh_continuous_aggregate('rt_refreshed', NULL, NULL);
CALL refresh_continuous_aggregate('inc', NULL, NULL);
RESET client_min_messages;
SELECT differ('mat', 'raw') AS mat, differ('rt', 'raw') AS rt, differ('rt_refreshed', 'raw_day') AS rt_day,
       differ('inc', 'raw_inc') AS inc;
SELECT count(*) AS refreshes_with_deltas, sum(n) AS deltas FROM deltas WHERE n > 0;
SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation WHERE lowest < 9223372036854775807 - 1
   AND greatest < 9223372036854775807;
-- And stays exact after more late rows and one more refresh.
INSERT INTO m SELECT '2024-01-01'::timestamptz + random() * interval '10 days', 1, 1 FROM generate_series(1, 50);
DELETE FROM m WHERE time < '2024-01-02';
SELECT differ('mat', 'raw') > 0 AS stale;
CALL refresh_continuous_aggregate('mat', NULL, NULL);
SELECT differ('mat', 'raw') AS mat;
-- Late rows only (delta rows, no ranges) in many buckets and groups, new ones too: merged exactly.
SET client_min_messages = warning;
CALL refresh_continuous_aggregate('inc', NULL, NULL);
RESET client_min_messages;
INSERT INTO m SELECT '2024-01-02'::timestamptz + random() * interval '8 days', (random() * 4)::int,
                     (random() * 1000)::int - 500 FROM generate_series(1, 300);
COPY m FROM PROGRAM 'printf ''2024-01-05 01:00:00+00,9,\n2024-01-06 01:00:00+00,1,77\n''' WITH (FORMAT csv);
SELECT count(*) > 100 AS deltas, (SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i
                                    JOIN _strata_catalog.continuous_agg c USING (mat_hypertable_id)
                                   WHERE c.user_view_name = 'inc' AND i.lowest < c.invalidation_threshold) AS ranges
  FROM inc_deltas;
SELECT differ('inc', 'raw_inc') > 0 AS stale;
CALL refresh_continuous_aggregate('inc', NULL, NULL);
SELECT differ('inc', 'raw_inc') AS inc, (SELECT count(*) FROM inc_deltas) AS deltas_left;
