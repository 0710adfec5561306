-- Aggregation pushdown over compressed chunks grouped by columns that are not segmentby columns
-- (hash grouping on the decoded values: dictionary codes of text, integers, floats with NaN and
-- -0, bool, uuid, NULLs), alone and with segmentby columns and a time_bucket(), and sum/avg of
-- numeric (scales 0 to 62, NaN, infinities, sums beyond 10^36) and min/max of numeric (of a
-- column of one scale: which of two equal numerics of different scales (1.5, 1.50) min/max
-- returns depends on the order rows are read, in PostgreSQL too). Every query
-- returns the same rows with strata.enable_columnstore_agg_pushdown on and off and on a plain
-- table with the same rows, and says whether it was pushed down. Then the shape of a continuous
-- aggregate's refresh (INSERT ... SELECT with the window as parameters) over compressed chunks.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_aggg;
SET search_path = cs_aggg, public;

CREATE TABLE m (
  time timestamptz NOT NULL,
  account text,
  device text,
  status text,
  code int4,
  small int2,
  flag bool,
  f8 float8,
  f4 float4,
  u uuid,
  vc varchar(20),
  ts timestamp,
  v8 int8,
  n numeric,
  n2 numeric(12, 3),
  n3 numeric
);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '53 seconds',
       'acct_' || (g % 5),
       'dev_' || (g % 613),
       CASE WHEN g % 29 = 0 THEN NULL WHEN g % 10 < 7 THEN 'connected' WHEN g % 10 < 9 THEN 'reconnecting'
            ELSE 'disconnected' END,
       CASE WHEN g % 31 = 0 THEN NULL ELSE g % 4 END,
       (g % 3 - 1)::int2,
       CASE WHEN g % 37 = 0 THEN NULL ELSE g % 2 = 0 END,
       CASE WHEN g % 41 = 0 THEN NULL WHEN g % 43 = 0 THEN 'NaN' WHEN g % 47 = 0 THEN '-0' ELSE (g % 3) * 0.5 END,
       (g % 4) * 0.25,
       CASE WHEN g % 53 = 0 THEN NULL ELSE ('00000000-0000-0000-0000-00000000000' || (g % 3))::uuid END,
       'v' || (g % 2),
       '2024-01-01'::timestamp + g * interval '1 minute',
       (g::int8 * 7919) % 100000,
       CASE WHEN g % 59 = 0 THEN NULL WHEN g % 61 = 0 THEN 'NaN' WHEN g % 67 = 0 THEN 'Infinity'
            WHEN g % 71 = 0 THEN '-Infinity' WHEN g % 73 = 0 THEN 1e35 * g
            ELSE round((g % 1000) / 7.0, g % 5) - 50 END,
       CASE WHEN g % 79 = 0 THEN NULL ELSE (g % 997) * 0.001 - g END,
       CASE WHEN g % 73 = 0 THEN 1e35 * g WHEN g % 83 = 0 THEN -12345678901234567890.123456
            WHEN g % 89 = 0 THEN ('0.' || repeat('0', 60))::numeric
            WHEN g % 97 = 0 THEN ('0.' || repeat('0', 40) || '15')::numeric
            ELSE (g % 100) * 0.01 END
FROM generate_series(1, 12000) g;
CREATE TABLE ref AS SELECT * FROM m;

ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'time');
-- Every chunk but the last compressed; then rows arrive in the first one (partial).
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 LIMIT 6) s;
INSERT INTO m (time, account, device, status, code, v8) VALUES
  ('2024-01-01 00:00:05+00', 'acct_3', 'dev_1', 'connected', 1, 5),
  ('2024-01-01 00:00:06+00', 'acct_new', NULL, 'weird', NULL, NULL);
INSERT INTO ref (time, account, device, status, code, v8) VALUES
  ('2024-01-01 00:00:05+00', 'acct_3', 'dev_1', 'connected', 1, 5),
  ('2024-01-01 00:00:06+00', 'acct_new', NULL, 'weird', NULL, NULL);

-- Runs q ("%I" is the table) on m with the pushdown on and off and on ref: 'same' when all agree.
CREATE FUNCTION agg_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  sql text := 'SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t';
  a text;
  b text;
  r text;
BEGIN
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'm') INTO a;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', true);
  EXECUTE format(sql, 'm') INTO b;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'ref') INTO r;
  IF a IS DISTINCT FROM r THEN
    RAISE NOTICE 'pushdown: %', a;
    RAISE NOTICE 'plain:    %', r;
    RETURN 'pushdown differs';
  END IF;
  RETURN CASE WHEN b IS DISTINCT FROM r THEN 'off differs' ELSE 'same' END;
END $$;

-- Whether the plan of q on m has a ColumnstoreAggregate.
CREATE FUNCTION pushed(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'm') LOOP
    IF line LIKE '%ColumnstoreAggregate%' THEN
      RETURN true;
    END IF;
  END LOOP;
  RETURN false;
END $$;

CREATE TABLE queries (id serial, q text);
INSERT INTO queries (q) VALUES
  ('SELECT status, count(*) FROM %I GROUP BY status'),
  ('SELECT account, status, count(*), sum(code), avg(f8), min(time), max(ts) FROM %I GROUP BY account, status'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*), max(v8) FROM %I GROUP BY 1, 2'),
  ('SELECT code, count(*), sum(v8), avg(small) FROM %I GROUP BY code'),
  ('SELECT small, flag, count(*) FROM %I GROUP BY small, flag'),
  ('SELECT f8, count(*), sum(f4) FROM %I GROUP BY f8'),
  ('SELECT f4, count(*) FROM %I GROUP BY f4'),
  ('SELECT u, count(*), min(code) FROM %I GROUP BY u'),
  ('SELECT vc, status, count(*) FROM %I GROUP BY vc, status'),
  ('SELECT device, count(*), max(code) FROM %I GROUP BY device'),
  ('SELECT account, device, count(*) FROM %I WHERE account = ''acct_2'' GROUP BY account, device'),
  ('SELECT status, count(*), sum(v8) FROM %I WHERE time >= ''2024-01-02'' AND time < ''2024-01-04 05:00'' GROUP BY status'),
  ('SELECT time_bucket(''1 day'', time) b, status, count(*) FROM %I WHERE code > 1 GROUP BY 1, 2'),
  ('SELECT status, count(*) FROM %I WHERE status = ''nothing'' GROUP BY status'),
  ('SELECT time_bucket(''1 day'', ts) b, code, status, count(*), sum(code) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT status, count(*) FROM %I GROUP BY status HAVING count(*) > 3000'),
  ('SELECT ts::date, count(*) FROM %I GROUP BY 1'),
  ('SELECT status COLLATE "C", count(*) FROM %I GROUP BY 1'),
  ('SELECT device, status, code, count(*), sum(v8), min(f8), max(f8) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT sum(n2), avg(n2), count(n2) FROM %I'),
  ('SELECT account, sum(n), avg(n), sum(n2) FROM %I GROUP BY account'),
  ('SELECT status, sum(n2), avg(n), avg(n2) FROM %I GROUP BY status'),
  ('SELECT time_bucket(''1 day'', time) b, sum(n2), avg(n2), sum(n) FROM %I GROUP BY 1'),
  ('SELECT time_bucket(''1 hour'', time) b, sum(n), avg(n) FROM %I WHERE code = 2 GROUP BY 1'),
  ('SELECT sum(n), avg(n) FROM %I WHERE time < ''2024-01-02'' AND n2 IS NOT NULL'),
  ('SELECT account, sum(n3), avg(n3) FROM %I GROUP BY account'),
  ('SELECT time_bucket(''1 hour'', time) b, status, sum(n3), avg(n3) FROM %I GROUP BY 1, 2'),
  ('SELECT min(n2), max(n2), count(*) FROM %I'),
  ('SELECT account, min(n2), max(n2) FROM %I GROUP BY account'),
  ('SELECT status, time_bucket(''1 day'', time) b, min(n2), max(n2) FROM %I WHERE code > 0 GROUP BY 1, 2');
SELECT id, agg_check(q), pushed(q), q FROM queries ORDER BY id;

-- Plan shapes: grouped by segmentby, bucket and a data column; EXPLAIN ANALYZE counts the groups.
EXPLAIN (COSTS OFF) SELECT time_bucket('1 hour', time) b, account, status, count(*) FROM m GROUP BY 1, 2, 3;
CREATE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line NOT LIKE '%Memory Usage%' THEN
      RETURN NEXT line;
    END IF;
  END LOOP;
END $$;
SELECT explain_analyze($$SELECT status, count(*), sum(code) FROM m WHERE time < '2024-01-03' GROUP BY status$$);

-- count(*) only, grouped by one text column in dictionary form (a continuous aggregate's rollup):
-- rows counted per dictionary code within each bucket run ("Batches Counted per Code"): NULLs,
-- rows filtered inside a batch, batches over many buckets and in one bucket, two count(*); with
-- another aggregate beside count(*) the general path (no batch counted per code).
CREATE FUNCTION agg_counters(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || format(q, 'm') LOOP
    IF line ~ '(Batches Decoded|Batches in One Bucket|Batches Counted per Code|Partial Groups)' THEN
      RETURN NEXT btrim(line);
    END IF;
  END LOOP;
END $$;
CREATE TABLE count_queries (id serial, q text);
INSERT INTO count_queries (q) VALUES
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I WHERE time < ''2024-01-03'' GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 day'', time) b, account, status, count(*) FROM %I WHERE time < ''2024-01-03'' GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) AS n, count(*) AS n2 FROM %I WHERE time < ''2024-01-03'' GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I WHERE code > 2 AND time < ''2024-01-03'' GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) FROM %I WHERE time >= ''2024-01-01 05:10+00'' AND time < ''2024-01-02 03:50+00'' GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*), count(code) FROM %I WHERE time < ''2024-01-03'' GROUP BY 1, 2, 3');
SELECT id, agg_check(q), pushed(q) FROM count_queries ORDER BY id;
SELECT id, agg_counters(q) FROM count_queries ORDER BY id;

-- The shape of a continuous aggregate's refresh: INSERT ... SELECT over the window given as
-- parameters (a custom plan, so the window excludes chunks when planning).
CREATE TABLE mat (bucket timestamptz, account text, status text, n bigint);
PREPARE refresh_like(timestamptz, timestamptz) AS
INSERT INTO mat SELECT time_bucket('1 hour', time) AS bucket, account, status, count(*) AS n
FROM m WHERE time >= $1 AND time < $2 GROUP BY 1, 2, 3;
EXPLAIN (COSTS OFF) EXECUTE refresh_like('2024-01-02', '2024-01-04');
EXECUTE refresh_like('2024-01-01', '2024-01-09');
SELECT count(*), sum(n) FROM mat;
SELECT count(*) FROM (
  (SELECT * FROM mat EXCEPT ALL
   SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3)
  UNION ALL
  (SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3
   EXCEPT ALL SELECT * FROM mat)) d;

-- A generic plan (chunks excluded at executor start by ChunkAppend) is not pushed down yet, and
-- returns the same rows.
SET plan_cache_mode = force_generic_plan;
PREPARE window_q(timestamptz, timestamptz) AS
SELECT time_bucket('1 hour', time) AS bucket, account, status, count(*) AS n
FROM m WHERE time >= $1 AND time < $2 GROUP BY 1, 2, 3;
SELECT pushed('EXECUTE window_q(''2024-01-02'', ''2024-01-04'')');
CREATE TEMP TABLE w AS EXECUTE window_q('2024-01-02', '2024-01-04');
SELECT count(*) FROM (
  (SELECT * FROM w EXCEPT ALL
   SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref
   WHERE time >= '2024-01-02' AND time < '2024-01-04' GROUP BY 1, 2, 3)
  UNION ALL
  (SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref
   WHERE time >= '2024-01-02' AND time < '2024-01-04' GROUP BY 1, 2, 3
   EXCEPT ALL SELECT * FROM w)) d;
RESET plan_cache_mode;

-- A continuous aggregate over the compressed hypertable, refreshed from the columnstore.
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
SELECT time_bucket('1 hour', time) AS bucket, account, status, count(*) AS n
FROM m GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT count(*) FROM (
  (SELECT bucket, account, status, n FROM hourly EXCEPT ALL
   SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3)
  UNION ALL
  (SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3
   EXCEPT ALL SELECT bucket, account, status, n FROM hourly)) d;

DROP SCHEMA cs_aggg CASCADE;
