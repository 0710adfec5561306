-- Continuous aggregates: every CREATE form and option spelling, the validation errors, the
-- catalog view, ALTER / RENAME / SET SCHEMA / OWNER TO, DROP and its refusals.
SET client_min_messages = notice;
CREATE TABLE cond (time timestamptz NOT NULL, device int, temp float8, note text);
SELECT create_hypertable('cond', by_range('time', interval '1 day'));
CREATE TABLE devices (id int PRIMARY KEY, name text);
CREATE TABLE plain (time timestamptz NOT NULL, v int);
INSERT INTO devices VALUES (1, 'a'), (2, 'b');
INSERT INTO cond SELECT t, (extract(epoch FROM t)::int / 3600) % 2 + 1, 20, 'x'
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-03', interval '30 minutes') t;

-- The basic form, WITH NO DATA: empty until refreshed.
CREATE MATERIALIZED VIEW c1 WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, avg(temp) AS avg_temp
    FROM cond GROUP BY 1, 2 WITH NO DATA;
SELECT count(*) FROM c1;
SELECT view_schema, view_name, view_owner, materialized_only, compression_enabled,
       materialization_hypertable_schema, materialization_hypertable_name, finalized
  FROM strata_information.continuous_aggregates;
SELECT view_definition FROM strata_information.continuous_aggregates WHERE view_name = 'c1';
-- The materialization is a hypertable chunked by bucket, indexed on (group columns, bucket).
SELECT hypertable_schema, hypertable_name, primary_dimension, primary_dimension_type
  FROM strata_information.hypertables WHERE hypertable_name LIKE '_materialized%';
SELECT indexdef FROM pg_indexes WHERE tablename = '_materialized_hypertable_2' ORDER BY 1;

-- WITH DATA (the default) materializes at once; strata.continuous is the same option.
CREATE MATERIALIZED VIEW c2 WITH (strata.continuous, strata.materialized_only = false) AS
  SELECT time_bucket('1 day', time) AS day, max(temp) AS hi FROM cond GROUP BY 1;
SELECT * FROM c2 ORDER BY day;
SELECT view_name, materialized_only FROM strata_information.continuous_aggregates ORDER BY 1;
SELECT count(*) > 0 AS has_chunks FROM show_chunks('_strata_internal._materialized_hypertable_3');

-- Column names after the view name, a join with a plain table, WHERE and HAVING, FILTER,
-- DISTINCT aggregates, ordered-set aggregates, IF NOT EXISTS.
CREATE MATERIALIZED VIEW c3 (b, dev_name, n, n_distinct, p50, hot)
  WITH (timescaledb.continuous, timescaledb.create_group_indexes = false) AS
  SELECT time_bucket('6 hours', c.time), d.name, count(*), count(DISTINCT c.device),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY c.temp), count(*) FILTER (WHERE c.temp > 10)
    FROM cond c JOIN devices d ON d.id = c.device
   WHERE c.note = 'x'
   GROUP BY 1, 2 HAVING count(*) > 1;
SELECT * FROM c3 ORDER BY b, dev_name LIMIT 4;
SELECT count(*) FROM pg_indexes WHERE tablename = '_materialized_hypertable_4';
CREATE MATERIALIZED VIEW IF NOT EXISTS c3 WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) FROM cond GROUP BY 1;
-- timescaledb.continuous = false is refused (an ordinary materialized view takes no such option).
CREATE MATERIALIZED VIEW plain_mv WITH (timescaledb.continuous = false) AS SELECT 1 AS x;

-- Buckets with origin, offset and time zone.
CREATE MATERIALIZED VIEW c_origin WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time, origin => '2024-01-01 06:00+00'::timestamptz) AS bucket, count(*)
    FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW c_offset WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time, "offset" => interval '3 hours') AS bucket, count(*)
    FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW c_tz WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time, 'Europe/Berlin') AS bucket, count(*) FROM cond GROUP BY 1;
SELECT * FROM c_origin ORDER BY 1;
SELECT * FROM c_offset ORDER BY 1;
SELECT * FROM c_tz ORDER BY 1;

-- Errors.
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT device, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS SELECT count(*) FROM cond;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM plain GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', now()) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, sum(random()) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*), rank() OVER (ORDER BY count(*)) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT DISTINCT ON (device) time_bucket('1 hour', time) AS b, device FROM cond GROUP BY 1, 2;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1 ORDER BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1 LIMIT 3;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM (SELECT * FROM cond) s GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', c.time) AS b, count(*) FROM cond c, cond d GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY ROLLUP (1);
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond
   WHERE device IN (SELECT id FROM devices) GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket(NULL::interval, time) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous, timescaledb.foo = 1) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous, fillfactor = 50) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous, timescaledb.materialized_only = maybe) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous, timescaledb.compress) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) + 1 FROM cond GROUP BY 1;
CREATE MATERIALIZED VIEW c1 WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS b, count(*) FROM cond GROUP BY 1;
SELECT count(*) FROM pg_class WHERE relname = 'e';
-- A column named by PostgreSQL's rules is fine.
CREATE MATERIALIZED VIEW e WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time), count(*) FROM cond GROUP BY 1;
SELECT * FROM e ORDER BY 1 LIMIT 2;

-- Hierarchical: an aggregate on an aggregate, with whole buckets of it; the lower one cannot be
-- dropped while the upper one exists.
CREATE MATERIALIZED VIEW c1_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', bucket) AS day, device, sum(n) AS n FROM c1 GROUP BY 1, 2;
CALL refresh_continuous_aggregate('c1', NULL, NULL);
CALL refresh_continuous_aggregate('c1_daily', NULL, NULL);
SELECT * FROM c1_daily ORDER BY 1, 2 LIMIT 3;
CREATE MATERIALIZED VIEW e2 WITH (timescaledb.continuous) AS
  SELECT time_bucket('90 minutes', bucket) AS b, sum(n) AS n FROM c1 GROUP BY 1;
DROP MATERIALIZED VIEW c1;
DROP MATERIALIZED VIEW c1_daily;

-- REFRESH MATERIALIZED VIEW and the parts of an aggregate are refused.
REFRESH MATERIALIZED VIEW c1;
DROP VIEW c1;
DROP TABLE _strata_internal._materialized_hypertable_2;
ALTER MATERIALIZED VIEW c1 ALTER COLUMN n SET STATISTICS 10;
ALTER MATERIALIZED VIEW c1 RENAME COLUMN n TO m;
ALTER MATERIALIZED VIEW c1 SET (timescaledb.continuous = false);

-- ALTER: real-time aggregation on and off, RENAME, SET SCHEMA, OWNER TO.
ALTER MATERIALIZED VIEW c1 SET (timescaledb.materialized_only = false);
SELECT materialized_only FROM strata_information.continuous_aggregates WHERE view_name = 'c1';
SELECT count(*) FROM c1;
ALTER MATERIALIZED VIEW c1 SET (timescaledb.materialized_only = true);
SELECT count(*) FROM c1;
ALTER MATERIALIZED VIEW c1 RENAME TO c1_renamed;
CREATE SCHEMA other;
ALTER MATERIALIZED VIEW c1_renamed SET SCHEMA other;
CREATE ROLE cagg_owner;
ALTER MATERIALIZED VIEW other.c1_renamed OWNER TO cagg_owner;
SELECT view_schema, view_name, view_owner FROM strata_information.continuous_aggregates
 WHERE view_schema = 'other';
SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname IN ('_materialized_hypertable_2', '_direct_view_2');
-- Only the owner may refresh, alter or drop.
SET ROLE cagg_owner;
DROP MATERIALIZED VIEW c2;
RESET ROLE;

-- DROP MATERIALIZED VIEW removes the views, the materialization and its chunks, the catalog rows
-- and (with the last aggregate of a hypertable) the invalidation triggers.
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'strata_cagg%' AND tgrelid = 'cond'::regclass;
DROP MATERIALIZED VIEW other.c1_renamed, c2, c3, c_origin, c_offset;
DROP MATERIALIZED VIEW IF EXISTS nothing_here;
DROP MATERIALIZED VIEW nothing_here;
SELECT view_name FROM strata_information.continuous_aggregates;
DROP MATERIALIZED VIEW c_tz, e;
SELECT count(*) FROM _strata_catalog.continuous_agg;
SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation;
SELECT count(*) FROM _strata_catalog.hypertable;
SELECT count(*) FROM pg_class WHERE relname LIKE '\_materialized%' OR relname LIKE '\_direct_view%'
    OR relname LIKE '\_hyper\_2%';
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'strata_cagg%';
