-- Aggregation pushdown over compressed chunks (ColumnstoreAggregate): count(*), count, sum, avg,
-- min and max grouped by nothing, by segmentby columns or by a time_bucket() are computed on the
-- batches and finished by PostgreSQL's Finalize Aggregate. Every query returns the same rows with
-- strata.enable_columnstore_agg_pushdown on and off and on a plain table with the same rows (NULLs,
-- NaN, all-NULL batches, a partial chunk, filters on segmentby and time, empty results, sum(int8)
-- beyond the int8 range), and says whether it was pushed down; EXPLAIN shows the plan shapes.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_agg;
SET search_path = cs_agg, public;

CREATE TABLE m (
  time timestamptz NOT NULL,
  host text,
  dev int,
  v4 int4,
  v8 int8,
  v2 int2,
  f4 float4,
  f8 float8,
  ts timestamp,
  d date,
  n numeric
);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '61 seconds',
       'host_' || (g % 7),
       CASE WHEN g % 11 = 0 THEN NULL ELSE g % 5 END,
       CASE WHEN g % 13 = 0 OR g % 7 = 6 THEN NULL ELSE (g * 7919) % 100000 - 50000 END,
       CASE WHEN g % 17 = 0 THEN NULL ELSE (g::int8 * 104729) % 10000000000 END,
       (g % 300)::int2,
       CASE WHEN g % 19 = 0 THEN NULL ELSE (g % 400) * 0.25 END,
       CASE WHEN g % 23 = 0 THEN NULL WHEN g % 997 = 0 THEN 'NaN' ELSE (g % 1000) * 0.5 - 100 END,
       '2024-01-01'::timestamp + g * interval '1 minute',
       '2024-01-01'::date + g / 500,
       g % 1000 / 10.0
FROM generate_series(1, 9000) g;
CREATE TABLE ref AS SELECT * FROM m;

ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC',
                   timescaledb.compress_index = 'minmax(v4), minmax(f8)');
-- Every chunk but the last compressed; then rows arrive in the first one (partial).
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 LIMIT 6) s;
INSERT INTO m VALUES ('2024-01-01 00:00:05+00', 'host_3', 1, 42, 9000000000, 7, 1.5, 2.5, '2024-01-01', '2024-01-01', 1),
                     ('2024-01-01 00:00:06+00', 'host_new', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ref VALUES ('2024-01-01 00:00:05+00', 'host_3', 1, 42, 9000000000, 7, 1.5, 2.5, '2024-01-01', '2024-01-01', 1),
                       ('2024-01-01 00:00:06+00', 'host_new', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT c.table_name, c.status FROM _strata_catalog.chunk c
 JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id WHERE h.table_name = 'm' ORDER BY c.id;

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
  ('SELECT count(*), count(v4), count(f8), count(dev), count(host) FROM %I'),
  ('SELECT sum(v4), sum(v8), sum(v2), avg(v4), avg(v8), avg(v2) FROM %I'),
  ('SELECT sum(f4), sum(f8), avg(f4), avg(f8) FROM %I'),
  ('SELECT min(v4), max(v4), min(f8), max(f8), min(v2), max(f4), min(time), max(time), min(ts), max(ts), min(d), max(d) FROM %I'),
  ('SELECT host, count(*), count(v4), sum(v4), avg(v8), min(f8), max(f8), min(time), max(time) FROM %I GROUP BY host'),
  ('SELECT count(*), sum(v4), max(v4) FROM %I WHERE host = ''host_3'''),
  ('SELECT count(*), min(v4), max(v4), count(v4) FROM %I WHERE host = ''host_6'''),
  ('SELECT host, count(*), min(v4), max(f8), count(f8) FROM %I WHERE host IN (''host_1'', ''host_2'') GROUP BY host'),
  ('SELECT time_bucket(''1 hour'', time) b, count(*), sum(v4), avg(f8), max(v8), min(v2) FROM %I GROUP BY b'),
  ('SELECT host, time_bucket(''3 hours'', time) b, count(*), sum(f4), max(time) FROM %I GROUP BY host, b'),
  ('SELECT time_bucket(''2 hours'', time, interval ''15 minutes'') b, count(*), avg(v4) FROM %I GROUP BY b'),
  ('SELECT time_bucket(''1 day'', ts) b, count(*), sum(v8) FROM %I GROUP BY b'),
  ('SELECT count(*), sum(v4), min(time), max(f8) FROM %I WHERE time > ''2024-01-03 07:00'''),
  ('SELECT host, count(*), avg(v4) FROM %I WHERE time >= ''2024-01-02'' AND time < ''2024-01-04 12:00'' GROUP BY host'),
  ('SELECT time_bucket(''1 day'', time) b, count(*), sum(v4), max(f4) FROM %I WHERE v4 > 0 GROUP BY b'),
  ('SELECT count(*), count(v4), sum(v8) FROM %I WHERE f8 IS NULL'),
  ('SELECT host, count(*), sum(v8) FROM %I WHERE host IN (''host_1'', ''host_5'') AND v8 IS NOT NULL AND time < ''2024-01-05'' GROUP BY host'),
  ('SELECT host, count(*) FROM %I GROUP BY host HAVING count(*) > 1280'),
  ('SELECT host, max(v4) - min(v4), count(*) + 1 FROM %I GROUP BY host'),
  ('SELECT count(*), sum(v4), max(time) FROM %I WHERE host = ''nohost'''),
  ('SELECT host, count(*) FROM %I WHERE host = ''nohost'' GROUP BY host'),
  ('SELECT count(*) FROM %I WHERE time > ''2030-01-01'''),
  ('SELECT max(f8), min(f8), sum(f8) FROM %I WHERE f8 > 390'),
  ('SELECT dev, count(*) FROM %I GROUP BY dev'),
  ('SELECT sum(n), min(host) FROM %I'),
  ('SELECT count(*) FILTER (WHERE v4 > 0), count(DISTINCT dev) FROM %I'),
  ('SELECT host, count(*) FROM %I WHERE v4 + 1 > 0 GROUP BY host');
SELECT id, agg_check(q), pushed(q), q FROM queries ORDER BY id;

-- sum(int8) and avg(int8) go beyond the int8 range (numeric results) as PostgreSQL's do.
CREATE TABLE big (time timestamptz NOT NULL, host int, v int8);
SELECT count(*) FROM create_hypertable('big', by_range('time', interval '1 day'));
INSERT INTO big SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g % 3,
                       CASE WHEN g % 2 = 0 THEN 9223372036854775807 ELSE 9223372036854775000 - g END
  FROM generate_series(1, 5000) g;
CREATE TABLE big_ref AS SELECT * FROM big;
ALTER TABLE big SET (timescaledb.compress, timescaledb.compress_segmentby = 'host');
SELECT count(compress_chunk(c)) FROM show_chunks('big') c;
SELECT sum(v), avg(v), min(v), max(v) FROM big;
SELECT sum(v), avg(v), min(v), max(v) FROM big_ref;
SELECT host, sum(v), avg(v) FROM big GROUP BY host ORDER BY host;
SELECT host, sum(v), avg(v) FROM big_ref GROUP BY host ORDER BY host;
SELECT sum(-v) FROM big WHERE host = 1;
SELECT sum(-v) FROM big_ref WHERE host = 1;

-- Plan shapes.
EXPLAIN (COSTS OFF) SELECT count(*), max(v4) FROM m;
EXPLAIN (COSTS OFF) SELECT host, count(*), avg(f8) FROM m WHERE time < '2024-01-03' GROUP BY host ORDER BY host;
EXPLAIN (COSTS OFF) SELECT time_bucket('1 hour', time) b, sum(v4) FROM m WHERE host = 'host_2' GROUP BY b;
-- From metadata: count(*), count() of a minmax column and min/max of the orderby column with only
-- segment quals decode nothing; a vectorized filter or sum() decodes.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), min(time), max(time), count(time) FROM big WHERE host = 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), max(time) FROM big WHERE v > 9223372036854775000;
-- Not pushed down: a filter PostgreSQL must evaluate on rows, an aggregate the node lacks, the setting off.
EXPLAIN (COSTS OFF) SELECT count(*) FROM m WHERE v4 + 1 > 0;
EXPLAIN (COSTS OFF) SELECT stddev(v4) FROM m;
SET strata.enable_columnstore_agg_pushdown = off;
EXPLAIN (COSTS OFF) SELECT count(*), max(v4) FROM m;
RESET strata.enable_columnstore_agg_pushdown;

-- Prepared statements run again (rescan-free re-execution) and in a subquery that is rescanned.
PREPARE p(text) AS SELECT count(*), sum(v4) FROM m WHERE host = $1;
EXECUTE p('host_1');
EXECUTE p('host_2');
SELECT h, (SELECT count(*) FROM m WHERE host = h) FROM (VALUES ('host_1'), ('host_6'), ('x')) v(h) ORDER BY h;
SELECT h, (SELECT count(*) FROM ref WHERE host = h) FROM (VALUES ('host_1'), ('host_6'), ('x')) v(h) ORDER BY h;

-- A chunk compressed with other settings (segmentby dev): grouping by host is pushed down for
-- the other chunks only; that chunk is aggregated by PostgreSQL.
ALTER TABLE m SET (timescaledb.compress_segmentby = 'dev');
SELECT decompress_chunk(c) IS NOT NULL FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 OFFSET 1 LIMIT 1) s;
SELECT compress_chunk(c) IS NOT NULL FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 OFFSET 1 LIMIT 1) s;
SELECT id, agg_check(q), pushed(q), q FROM queries WHERE id IN (1, 5, 10, 18) ORDER BY id;
EXPLAIN (COSTS OFF) SELECT host, count(*) FROM m WHERE time < '2024-01-03' GROUP BY host;

DROP SCHEMA cs_agg CASCADE;
