-- time_bucket_gapfill(), locf() and interpolate(): a row for every bucket of the range, per group,
-- compared with the same result built by hand from generate_series and a LEFT JOIN.
SET timezone = 'UTC';
CREATE TABLE readings (time timestamptz NOT NULL, device text, temp double precision, n integer);
SELECT create_hypertable('readings', 'time', chunk_time_interval => interval '1 day');
INSERT INTO readings VALUES
  ('2024-01-01 00:10', 'a', 10.0, 1), ('2024-01-01 00:20', 'a', 12.0, 2),
  ('2024-01-01 03:15', 'a', 16.0, 3),
  ('2024-01-01 01:05', 'b', 20.0, 4), ('2024-01-01 05:30', 'b', NULL, 5),
  ('2024-01-01 02:00', 'c', 5.0, NULL);

-- Bounds from the WHERE clause; every device gets every hour of [00:00, 06:00).
SELECT time_bucket_gapfill('1 hour', time) AS hour, device, avg(temp), count(*)
  FROM readings
 WHERE time >= '2024-01-01 00:00' AND time < '2024-01-01 06:00'
 GROUP BY hour, device ORDER BY device, hour;

-- The same as a hand-built gap fill (differential).
WITH filled AS (
  SELECT time_bucket_gapfill('1 hour', time) AS hour, device, avg(temp) AS avg_temp, count(*) AS cnt
    FROM readings WHERE time >= '2024-01-01 00:00' AND time < '2024-01-01 06:00'
   GROUP BY hour, device),
manual AS (
  SELECT h AS hour, d.device, r.avg_temp, r.cnt
    FROM generate_series('2024-01-01 00:00'::timestamptz, '2024-01-01 05:00', '1 hour') h
   CROSS JOIN (SELECT DISTINCT device FROM readings WHERE time >= '2024-01-01 00:00' AND time < '2024-01-01 06:00') d
    LEFT JOIN (SELECT time_bucket('1 hour', time) AS hour, device, avg(temp) AS avg_temp, count(*) AS cnt
                 FROM readings GROUP BY 1, 2) r ON r.hour = h AND r.device = d.device)
SELECT (SELECT count(*) FROM filled) AS filled_rows,
       (SELECT count(*) FROM (SELECT * FROM filled EXCEPT ALL SELECT * FROM manual) x) AS only_filled,
       (SELECT count(*) FROM (SELECT * FROM manual EXCEPT ALL SELECT * FROM filled) x) AS only_manual;

-- Explicit start and finish; no other grouping column; ORDER BY DESC on top. (Untyped literals
-- would choose the time zone form, as in TimescaleDB: text is the preferred type for unknowns.)
SELECT time_bucket_gapfill('30 minutes', time, '2024-01-01 00:00'::timestamptz, '2024-01-01 03:00'::timestamptz) AS b, sum(n)
  FROM readings GROUP BY b ORDER BY b DESC;

-- locf and interpolate.
SELECT time_bucket_gapfill('1 hour', time) AS hour, device,
       avg(temp) AS raw, locf(avg(temp)) AS carried, interpolate(avg(temp)) AS interpolated
  FROM readings
 WHERE time >= '2024-01-01 00:00' AND time < '2024-01-01 06:00' AND device IN ('a', 'b')
 GROUP BY hour, device ORDER BY device, hour;

-- locf with a prev value, and treat_null_as_missing; interpolate on integers with prev/next.
SELECT time_bucket_gapfill('1 hour', time) AS hour,
       locf(max(temp), 99.0::float8) AS with_prev,
       locf(max(temp), treat_null_as_missing => true) AS skip_nulls,
       interpolate(max(n), ('2023-12-31 23:00'::timestamptz, 0), ('2024-01-01 07:00'::timestamptz, 70)) AS ints
  FROM readings
 WHERE time >= '2024-01-01 00:00' AND time <= '2024-01-01 06:00' AND device = 'b'
 GROUP BY hour ORDER BY hour;

-- Correlated prev: the last temperature of the device before the range.
INSERT INTO readings VALUES ('2023-12-31 22:00', 'c', 1.5, 0);
SELECT time_bucket_gapfill('1 hour', time) AS hour, device,
       locf(avg(temp), (SELECT temp FROM readings r2 WHERE r2.device = readings.device
                         AND r2.time < '2024-01-01' ORDER BY r2.time DESC LIMIT 1)) AS temp
  FROM readings
 WHERE time >= '2024-01-01 00:00' AND time < '2024-01-01 04:00' AND device = 'c'
 GROUP BY hour, device ORDER BY hour;

-- No rows at all: without grouping columns every bucket is there; with them, no group exists.
SELECT time_bucket_gapfill('1 day', time) AS day, count(*)
  FROM readings WHERE time >= '2030-01-01' AND time < '2030-01-04' GROUP BY day ORDER BY day;
SELECT time_bucket_gapfill('1 day', time) AS day, device, count(*)
  FROM readings WHERE time >= '2030-01-01' AND time < '2030-01-04' GROUP BY day, device;

-- Month buckets, a time zone, dates and integers.
SELECT time_bucket_gapfill('1 month', time, start => '2023-11-15', finish => '2024-04-01') AS month, count(*)
  FROM readings GROUP BY month ORDER BY month;
SELECT time_bucket_gapfill('1 day', time, 'Europe/Berlin', '2024-03-30', '2024-04-02') AS day, count(*)
  FROM readings GROUP BY day ORDER BY day;
CREATE TABLE daily (day date, v integer);
INSERT INTO daily VALUES ('2024-02-27', 1), ('2024-03-02', 5);
SELECT time_bucket_gapfill('1 day', day) AS d, sum(v), interpolate(sum(v))
  FROM daily WHERE day BETWEEN '2024-02-26' AND '2024-03-03' GROUP BY d ORDER BY d;
CREATE TABLE ticks (t bigint, v real);
INSERT INTO ticks VALUES (10, 1), (35, 3.5), (95, 9.5);
SELECT time_bucket_gapfill(20, t) AS b, avg(v), interpolate(avg(v)), locf(avg(v))
  FROM ticks WHERE t >= 0 AND t < 120 GROUP BY b ORDER BY b;
SELECT time_bucket_gapfill(20::smallint, t::smallint, 0::smallint, 100::smallint) AS b, count(*)
  FROM ticks GROUP BY b ORDER BY b;

-- Rows outside the range pass through unchanged; HAVING filters before filling.
SELECT time_bucket_gapfill('1 hour', time, start => '2024-01-01 01:00', finish => '2024-01-01 04:00') AS hour, count(*)
  FROM readings WHERE device = 'a' GROUP BY hour HAVING count(*) > 1 ORDER BY hour;

-- Groups ordered descending; bounds relative to now(); a rescanned (LATERAL) gap fill.
SELECT time_bucket_gapfill('2 hours', time) AS h, device, count(*)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-01 06:00'
 GROUP BY h, device ORDER BY device DESC, h;
SELECT count(*) AS buckets, count(c) AS with_data
  FROM (SELECT time_bucket_gapfill('1 hour', time) AS h, count(*) AS c
          FROM readings WHERE time > now() - interval '1 day' AND time <= now() GROUP BY h) x;
SELECT d.device, g.h, g.c
  FROM (VALUES ('a'), ('b')) d(device),
       LATERAL (SELECT time_bucket_gapfill('1 hour', time) AS h, count(*) AS c FROM readings r
                 WHERE r.device = d.device AND time >= '2024-01-01' AND time < '2024-01-01 03:00'
                 GROUP BY h) g
 ORDER BY 1, 2;

-- Prepared statements: bounds as parameters, generic plan.
SET plan_cache_mode = force_generic_plan;
PREPARE hourly(timestamptz, timestamptz, text) AS
  SELECT time_bucket_gapfill('1 hour', time) AS hour, locf(last(temp, time)) AS temp
    FROM readings WHERE device = $3 AND time >= $1 AND time < $2 GROUP BY hour ORDER BY hour;
EXECUTE hourly('2024-01-01 00:00', '2024-01-01 05:00', 'a');
EXECUTE hourly('2024-01-01 02:00', '2024-01-01 04:00', 'b');
EXPLAIN (COSTS OFF) EXECUTE hourly('2024-01-01 00:00', '2024-01-01 05:00', 'a');
DEALLOCATE hourly;
RESET plan_cache_mode;

-- Plan shape: GapFill above a sort of the aggregation by the group, then the bucket.
EXPLAIN (COSTS OFF)
SELECT time_bucket_gapfill('1 hour', time) AS hour, device, avg(temp)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY hour, device;
EXPLAIN (COSTS OFF, VERBOSE)
SELECT time_bucket_gapfill('1 hour', time) AS hour, locf(avg(temp))
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY hour;

-- Outside GROUP BY it is time_bucket, and the markers return their value.
SELECT time_bucket_gapfill('1 hour', '2024-01-01 10:42'::timestamptz), locf(3), interpolate(2.5::float8);

-- Errors.
SELECT time_bucket_gapfill('1 hour', time) AS hour, count(*) FROM readings GROUP BY hour;
SELECT time_bucket_gapfill('1 hour', time) AS hour, count(*) FROM readings WHERE time >= '2024-01-01' GROUP BY hour;
SELECT time_bucket_gapfill('1 hour', time) AS h1, time_bucket_gapfill('2 hours', time) AS h2, count(*)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY h1, h2;
SELECT time_bucket_gapfill('1 hour', time) AS hour, round(locf(avg(temp))::numeric, 1)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY hour;
SELECT time_bucket_gapfill('1 hour', time, NULL::timestamptz, '2024-01-02') AS hour, count(*)
  FROM readings WHERE time >= now() - interval '1 hour' * n GROUP BY hour;
SELECT time_bucket_gapfill('1 hour', time, (SELECT min(time) FROM readings), '2024-01-02') AS hour, count(*)
  FROM readings GROUP BY hour;
SELECT time_bucket_gapfill('1 hour', time) AS hour, count(*)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY ROLLUP (hour);
SELECT time_bucket_gapfill('0 hours', time) AS hour, count(*)
  FROM readings WHERE time >= '2024-01-01' AND time < '2024-01-02' GROUP BY hour;

-- Over a real-time continuous aggregate: the materialized part and the raw tail both feed GapFill.
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, avg(temp) AS t FROM readings GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('hourly', NULL, '2024-01-01 03:00');
SELECT time_bucket_gapfill('1 hour', bucket) AS h, device, avg(t), locf(avg(t))
  FROM hourly WHERE bucket >= '2024-01-01' AND bucket < '2024-01-01 06:00' AND device = 'a'
 GROUP BY h, device ORDER BY h;
