-- Continuous aggregates over compressed raw chunks, and compressed continuous aggregates
-- (ALTER MATERIALIZED VIEW ... SET (timescaledb.compress)): refreshes read compressed raw
-- chunks, and delete and insert in compressed materialization chunks, exactly.
SET timezone = 'UTC';
SET client_min_messages = warning;
CREATE TABLE r (time timestamptz NOT NULL, dev int, v float8);
SELECT create_hypertable('r', by_range('time', interval '1 day')) IS NOT NULL AS created;
INSERT INTO r SELECT '2024-01-01'::timestamptz + g * interval '7 minutes', g % 5, g FROM generate_series(0, 3000) g;
ALTER TABLE r SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 'time');
CREATE MATERIALIZED VIEW c WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS s, max(v) AS hi FROM r GROUP BY 1, 2
  WITH NO DATA;
CREATE VIEW truth AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS s, max(v) AS hi FROM r GROUP BY 1, 2;
-- Rows missing on either side (0 and 0 when the aggregate is exact).
CREATE FUNCTION mismatches(view regclass) RETURNS TABLE (missing bigint, extra bigint) LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM %s) a),
                                      (SELECT count(*) FROM (SELECT * FROM %s EXCEPT SELECT * FROM truth) b)', view, view);
END $$;
SELECT count(compress_chunk(ch)) AS compressed FROM show_chunks('r') ch;
-- A full refresh reads the compressed raw chunks.
CALL refresh_continuous_aggregate('c', NULL, NULL);
SELECT count(*) FROM c;
SELECT * FROM mismatches('c');
-- Late rows, updates and deletes in compressed raw chunks are logged and refreshed.
INSERT INTO r VALUES ('2024-01-02 05:10', 1, 1000), ('2024-01-03 07:00', 9, 5);
UPDATE r SET v = v + 1 WHERE time >= '2024-01-01 10:00' AND time < '2024-01-01 12:00';
DELETE FROM r WHERE time >= '2024-01-02 20:00' AND time < '2024-01-02 21:00' AND dev = 2;
CALL refresh_continuous_aggregate('c', NULL, NULL);
SELECT * FROM mismatches('c');

-- Compressing the continuous aggregate: the materialization hypertable gets the columnstore
-- settings (segmented by the grouping columns, ordered by the bucket).
ALTER MATERIALIZED VIEW c SET (timescaledb.compress = true);
SELECT compression_enabled FROM strata_information.continuous_aggregates WHERE view_name = 'c';
SELECT segmentby, orderby FROM strata_information.hypertable_columnstore_settings s
  JOIN strata_information.continuous_aggregates a
    ON s.hypertable = format('%I.%I', a.materialization_hypertable_schema, a.materialization_hypertable_name)::regclass
 WHERE a.view_name = 'c';
SELECT count(compress_chunk(ch)) > 0 AS compressed
  FROM strata_information.continuous_aggregates a,
       show_chunks(format('%I.%I', a.materialization_hypertable_schema, a.materialization_hypertable_name)) ch
 WHERE a.view_name = 'c';
SELECT * FROM mismatches('c');
-- Refreshes delete and insert in the compressed materialization chunks.
INSERT INTO r VALUES ('2024-01-01 00:30', 3, 77), ('2024-01-02 13:00', 12, 1);
DELETE FROM r WHERE time >= '2024-01-01 03:00' AND time < '2024-01-01 04:00';
UPDATE r SET v = -v WHERE dev = 4 AND time < '2024-01-02';
CALL refresh_continuous_aggregate('c', NULL, NULL);
SELECT * FROM mismatches('c');
-- Real-time aggregation over compressed materialization chunks (a row above the watermark).
ALTER MATERIALIZED VIEW c SET (timescaledb.materialized_only = false);
INSERT INTO r VALUES ('2024-01-20 00:10', 1, 3);
SELECT * FROM mismatches('c');
CALL refresh_continuous_aggregate('c', NULL, NULL);
SELECT * FROM mismatches('c');
-- Options the materialization's layout decides are refused.
ALTER MATERIALIZED VIEW c SET (timescaledb.compress_segmentby = 'dev');
-- Turning compression off while chunks are compressed is refused by the columnstore.
ALTER MATERIALIZED VIEW c SET (timescaledb.compress = false);
DROP MATERIALIZED VIEW c;

-- Late rows merged into compressed materialization chunks: an aggregate maintained incrementally
-- (count, max), its delta rows added in place by the refresh's UPDATE (a group with a row) and
-- INSERT (a new group), through the columnstore's DML.
CREATE MATERIALIZED VIEW ci WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, max(v) AS hi FROM r GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW ci_truth AS SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, max(v) AS hi FROM r GROUP BY 1, 2;
CALL refresh_continuous_aggregate('ci', NULL, NULL);
ALTER MATERIALIZED VIEW ci SET (timescaledb.compress = true);
SELECT count(compress_chunk(ch)) > 0 AS compressed
  FROM strata_information.continuous_aggregates a,
       show_chunks(format('%I.%I', a.materialization_hypertable_schema, a.materialization_hypertable_name)) ch
 WHERE a.view_name = 'ci';
INSERT INTO r VALUES ('2024-01-01 00:40', 3, 1e6), ('2024-01-01 01:40', 42, 1);
SELECT count(*) AS deltas FROM _strata_catalog.continuous_agg_delta;
CALL refresh_continuous_aggregate('ci', NULL, NULL);
SELECT count(*) AS deltas FROM _strata_catalog.continuous_agg_delta;
SELECT (SELECT count(*) FROM (TABLE ci_truth EXCEPT TABLE ci) a) AS missing,
       (SELECT count(*) FROM (TABLE ci EXCEPT TABLE ci_truth) b) AS extra;
SELECT * FROM ci WHERE bucket < '2024-01-01 02:00' AND dev IN (3, 42) ORDER BY 1, 2;
DROP MATERIALIZED VIEW ci;
