-- Percentiles and distinct counts that roll up: tdigest and hll states stored per hour in a
-- rollup hypertable, combined into daily p95 latency and distinct devices, compared with the
-- exact answers computed from the raw hypertable. Skipped (expected/sketches_1.out) only where
-- Debian's postgresql-15-tdigest / postgresql-15-hll are not installed.
SELECT count(*) = 2 AS have_sketches FROM pg_available_extensions WHERE name IN ('tdigest', 'hll')
\gset
\if :have_sketches
CREATE EXTENSION tdigest;
CREATE EXTENSION hll;
SET timezone = 'UTC';

CREATE TABLE requests (time timestamptz NOT NULL, device text NOT NULL, latency_ms double precision);
SELECT * FROM create_hypertable('requests', by_range('time', INTERVAL '1 day'));
-- Three days, an exponential latency, a few thousand devices a day (deterministic pseudo-random).
INSERT INTO requests
SELECT '2024-03-01'::timestamptz + (i * interval '4 seconds'),
       'device-' || ((hashint4(i) & 2147483647) % (1500 + 1000 * (i / 21600))),
       5 - 40 * ln(((hashint4(i * 7) & 2147483647) + 1) / 2147483648.0)
  FROM generate_series(0, 64799) i;

-- The hourly rollup: one row per hour with the sketch states (itself a hypertable).
CREATE TABLE requests_hourly (bucket timestamptz NOT NULL PRIMARY KEY, requests bigint,
                              latency tdigest, devices hll);
SELECT * FROM create_hypertable('requests_hourly', by_range('bucket', INTERVAL '1 day'));
-- Filled in two passes, as a scheduled refresh would.
INSERT INTO requests_hourly
SELECT time_bucket('1 hour', time), count(*), tdigest(latency_ms, 100), hll_add_agg(hll_hash_text(device))
  FROM requests WHERE time < '2024-03-03' GROUP BY 1;
INSERT INTO requests_hourly
SELECT time_bucket('1 hour', time), count(*), tdigest(latency_ms, 100), hll_add_agg(hll_hash_text(device))
  FROM requests WHERE time >= '2024-03-03' GROUP BY 1;
SELECT count(*) AS hours, sum(requests) AS requests FROM requests_hourly;

-- Daily answers rolled up from the hourly states ...
CREATE TEMP TABLE daily_rollup AS
SELECT time_bucket('1 day', bucket) AS day, sum(requests) AS requests,
       tdigest_percentile(latency, 0.95) AS p95, hll_cardinality(hll_union_agg(devices)) AS devices
  FROM requests_hourly GROUP BY 1;
-- ... and computed exactly from the raw rows.
CREATE TEMP TABLE daily_exact AS
SELECT time_bucket('1 day', time) AS day, count(*) AS requests,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
       count(DISTINCT device) AS devices
  FROM requests GROUP BY 1;

-- The sketches' error: the rolled-up p95 sits between the exact 94th and 96th percentiles and
-- within 2% of the exact p95; the distinct count is within 7% (three standard errors of hll's
-- default 2^11 registers).
SELECT r.day, r.requests = e.requests AS same_requests,
       r.p95 BETWEEN x.p94 AND x.p96 AS p95_rank_ok,
       abs(r.p95 - e.p95) / e.p95 < 0.02 AS p95_value_ok,
       abs(r.devices - e.devices) / e.devices < 0.07 AS devices_ok,
       e.devices AS exact_devices
  FROM daily_rollup r
  JOIN daily_exact e USING (day)
  JOIN (SELECT time_bucket('1 day', time) AS day,
               percentile_cont(0.94) WITHIN GROUP (ORDER BY latency_ms) AS p94,
               percentile_cont(0.96) WITHIN GROUP (ORDER BY latency_ms) AS p96
          FROM requests GROUP BY 1) x USING (day)
 ORDER BY r.day;

-- Two levels: daily states rolled up from the hourly ones, then the whole range from the daily.
CREATE TABLE requests_daily AS
SELECT time_bucket('1 day', bucket) AS day, tdigest(latency) AS latency, hll_union_agg(devices) AS devices
  FROM requests_hourly GROUP BY 1;
SELECT abs(tdigest_percentile(d.latency, 0.95) - e.p95) / e.p95 < 0.02 AS p95_ok,
       abs(hll_cardinality(hll_union_agg(d.devices)) - e.devices) / e.devices < 0.07 AS devices_ok
  FROM requests_daily d,
       (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
               count(DISTINCT device) AS devices FROM requests) e
 GROUP BY e.p95, e.devices;

-- A dashboard query over the rollup only touches the chunks of its range.
EXPLAIN (COSTS OFF)
SELECT tdigest_percentile(latency, 0.95) FROM requests_hourly WHERE bucket >= '2024-03-03';
\else
\echo 'tdigest or hll is not installed: test skipped'
\endif
