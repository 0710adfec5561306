-- Continuous aggregates: a refresh runs its aggregation as a SELECT of its own, which may use
-- parallel workers, and writes the rows in blocks (strata.cagg_refresh_parallel; off: INSERT ...
-- SELECT, never parallel). The aggregate column by_workers tells whether every raw row was
-- aggregated in a parallel worker: in_worker() compares the backend's pid with the leader's.
SET timezone = 'UTC';
CREATE TABLE pcond (time timestamptz NOT NULL, device int, temp float8, note text);
SELECT create_hypertable('pcond', by_range('time', interval '1 day'));
INSERT INTO pcond SELECT t, (extract(epoch FROM t)::int / 60) % 3, extract(epoch FROM t)::int % 100,
       CASE WHEN extract(epoch FROM t)::int % 7 = 0 THEN NULL ELSE 'n' || (extract(epoch FROM t)::int % 5) END
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-03 23:59', interval '7 minutes') t;
CREATE FUNCTION in_worker() RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE AS
$$ BEGIN RETURN pg_backend_pid() <> current_setting('strata_test.leader_pid')::int; END $$;
SELECT set_config('strata_test.leader_pid', pg_backend_pid()::text, false) IS NOT NULL AS set;
CREATE MATERIALIZED VIEW pdaily WITH (timescaledb.continuous) AS
  SELECT time_bucket('6 hours', time) AS bucket, device, note, count(*) AS n, sum(temp) AS total,
         max(note) AS top, bool_and(in_worker()) AS by_workers
    FROM pcond GROUP BY 1, 2, 3 WITH NO DATA;
CREATE VIEW raw_pdaily AS
  SELECT time_bucket('6 hours', time) AS bucket, device, note, count(*) AS n, sum(temp) AS total, max(note) AS top
    FROM pcond GROUP BY 1, 2, 3;
CREATE VIEW pdiff AS
  (SELECT bucket, device, note, n, total, top FROM pdaily EXCEPT ALL SELECT * FROM raw_pdaily)
  UNION ALL (SELECT * FROM raw_pdaily EXCEPT ALL SELECT bucket, device, note, n, total, top FROM pdaily);
-- Every parallel-safe plan runs in a worker.
SET force_parallel_mode = on;
CALL refresh_continuous_aggregate('pdaily', NULL, NULL);
SELECT count(*) AS groups, sum(n) AS rows FROM pdaily;
SELECT by_workers, count(*) FROM pdaily GROUP BY 1;
SELECT count(*) AS differences FROM pdiff;
-- Late rows: recomputed the same way.
INSERT INTO pcond VALUES ('2024-01-02 01:00', 1, 1000, NULL), ('2024-01-02 13:30', 7, 5, 'late');
CALL refresh_continuous_aggregate('pdaily', NULL, NULL);
SELECT count(*) AS differences FROM pdiff;
SELECT by_workers, count(*) FROM pdaily GROUP BY 1;
-- Off: the aggregation is the SELECT of an INSERT ... SELECT, which PostgreSQL 15 runs in the
-- leader.
SET strata.cagg_refresh_parallel = off;
CALL refresh_continuous_aggregate('pdaily', '2024-01-01', '2024-01-02', true);
SELECT bucket < '2024-01-02' AS refreshed_again, by_workers, count(*) FROM pdaily GROUP BY 1, 2 ORDER BY 1;
SELECT count(*) AS differences FROM pdiff;
RESET strata.cagg_refresh_parallel;
RESET force_parallel_mode;
-- A batch of more rows than one write block (10,000) takes several INSERTs.
CREATE TABLE many (time timestamptz NOT NULL, k int, v numeric);
SELECT create_hypertable('many', by_range('time', interval '1 day'));
INSERT INTO many SELECT '2024-01-01'::timestamptz + (i % 3) * interval '1 hour', i, i / 7.0 FROM generate_series(1, 25000) i;
CREATE MATERIALIZED VIEW many_hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, k, sum(v) AS s, avg(v) AS a FROM many GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('many_hourly', NULL, NULL);
SELECT count(*), sum(s), sum(a) FROM many_hourly;
SELECT count(*) AS differences FROM
  ((SELECT * FROM many_hourly EXCEPT ALL
    SELECT time_bucket('1 hour', time), k, sum(v), avg(v) FROM many GROUP BY 1, 2)
   UNION ALL
   (SELECT time_bucket('1 hour', time), k, sum(v), avg(v) FROM many GROUP BY 1, 2 EXCEPT ALL
    SELECT * FROM many_hourly)) d;
-- A column of a type without an array type (an array) is written with INSERT ... SELECT.
CREATE MATERIALIZED VIEW many_lists WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, k % 3 AS m, count(*) AS n, array_agg(k ORDER BY k) AS ks
    FROM many WHERE k <= 10 GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('many_lists', NULL, NULL);
SELECT * FROM many_lists ORDER BY 1, 2;
-- Created and filled in one transaction (WITH DATA in a transaction block refreshes in it):
-- parallel workers see the transaction's own tables and rows.
SET force_parallel_mode = on;
BEGIN;
CREATE TABLE fresh (time timestamptz NOT NULL, v int);
SELECT create_hypertable('fresh', by_range('time', interval '1 day'));
INSERT INTO fresh SELECT '2024-01-01'::timestamptz + i * interval '10 minutes', i FROM generate_series(0, 400) i;
CREATE MATERIALIZED VIEW fresh_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time) AS bucket, count(*) AS n, sum(v) AS s, bool_and(in_worker()) AS by_workers
    FROM fresh GROUP BY 1 WITH DATA;
SELECT * FROM fresh_daily ORDER BY 1;
COMMIT;
RESET force_parallel_mode;
