-- RowstoreAggregate: aggregates over uncompressed (rowstore) chunks computed by strata as
-- partial aggregates (src/columnstore/rowagg_*.cpp). Every query returns the same rows as on a
-- plain table with the same rows, with strata.enable_rowstore_agg on and off, and says whether
-- it was computed by RowstoreAggregate: count(*), count, sum and avg of integers, min and max of
-- integers, floats (NaN, -0, infinities), dates and timestamps, grouped by nothing, by
-- time_bucket() (widths, origins, offsets, integer and date columns, rows out of time order)
-- and by columns of every supported type with NULLs (text, varchar, bytea, toasted text,
-- integers, bool, dates, timestamps); restrictions, empty chunks, deleted rows and rows of
-- another transaction's snapshot; more groups than the node keeps at once.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
SET max_parallel_workers_per_gather = 0;
-- Off by default (on in continuous aggregate refreshes, strata.cagg_refresh_rowstore_agg).
SHOW strata.enable_rowstore_agg;
SET strata.enable_rowstore_agg = on;
CREATE SCHEMA rowagg;
SET search_path = rowagg, public;

CREATE TABLE h (
  time timestamptz NOT NULL,
  dev text,
  st text,
  i2 int2,
  i4 int4,
  i8 int8,
  f4 float4,
  f8 float8,
  d date,
  ts timestamp,
  b bool,
  vc varchar(10),
  by bytea,
  big text,
  big2 text,
  bigc text
);
SELECT count(*) FROM create_hypertable('h', by_range('time', interval '1 day'));
ALTER TABLE h ALTER COLUMN big SET STORAGE external, ALTER COLUMN big2 SET STORAGE external;
-- Rows in a scrambled time order (g * 7919 mod n), so buckets change from row to row.
INSERT INTO h
SELECT '2024-01-01'::timestamptz + ((g * 7919) % 30000) * interval '13 seconds',
       'dev_' || (g % 13),
       CASE WHEN g % 29 = 0 THEN NULL WHEN g % 10 < 7 THEN 'connected' WHEN g % 10 < 9 THEN 'reconnecting'
            ELSE 'disconnected' END,
       CASE WHEN g % 31 = 0 THEN NULL ELSE (g % 7 - 3)::int2 END,
       CASE WHEN g % 37 = 0 THEN NULL WHEN g % 101 = 0 THEN 2147483647 ELSE g % 1000 - 500 END,
       CASE WHEN g % 41 = 0 THEN NULL WHEN g % 103 = 0 THEN 9223372036854775807 ELSE g::int8 * 1000003 END,
       CASE WHEN g % 43 = 0 THEN NULL WHEN g % 47 = 0 THEN 'NaN' WHEN g % 53 = 0 THEN '-0' ELSE g % 17 * 0.5 END,
       CASE WHEN g % 59 = 0 THEN NULL WHEN g % 61 = 0 THEN 'NaN' WHEN g % 67 = 0 THEN '-Infinity'
            WHEN g % 71 = 0 THEN 'Infinity' ELSE (g % 23) * 0.25 - 2 END,
       CASE WHEN g % 73 = 0 THEN NULL ELSE '2020-02-28'::date + g % 400 END,
       CASE WHEN g % 79 = 0 THEN NULL ELSE '2023-12-31 23:00'::timestamp + g * interval '13 minutes' END,
       CASE WHEN g % 83 = 0 THEN NULL ELSE g % 3 = 0 END,
       CASE WHEN g % 89 = 0 THEN NULL ELSE 'v' || (g % 4) END,
       CASE WHEN g % 97 = 0 THEN NULL ELSE decode(lpad(to_hex(g % 5), 2, '0'), 'hex') END,
       -- long values (odd rows): the tuple is too long, bigc is compressed inline and one of
       -- big, big2 (storage external) is moved out of line uncompressed
       CASE WHEN g % 2 = 0 THEN 'short' || (g % 3) ELSE repeat(chr(65 + g % 4), 1020) END,
       CASE WHEN g % 2 = 0 THEN 'short' ELSE repeat(chr(70 + g % 3), 1019) END,
       CASE WHEN g % 2 = 0 THEN NULL ELSE repeat(chr(75 + g % 2), 1020) END
FROM generate_series(1, 30000) g;
CREATE TABLE p AS SELECT * FROM h;
-- Out of line and compressed values in the chunks.
SELECT count(*) FILTER (WHERE pg_relation_size(c.reltoastrelid) > 0) AS chunks_with_toast
FROM show_chunks('h') ch JOIN pg_class c ON c.oid = ch;
SELECT count(*) FILTER (WHERE pg_column_size(bigc) < 1000) AS compressed FROM h WHERE bigc IS NOT NULL;
-- An empty chunk: every row of its day deleted (not vacuumed), and the same rows off p.
DELETE FROM h WHERE time >= '2024-01-03' AND time < '2024-01-04';
DELETE FROM p WHERE time >= '2024-01-03' AND time < '2024-01-04';
SELECT count(*) AS chunks FROM show_chunks('h');
ANALYZE h;
ANALYZE p;

-- The same rows as the plain table with RowstoreAggregate on, and whether it was used.
CREATE FUNCTION check_query(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
  extra bigint;
  total bigint;
  pushed bool := false;
  line text;
BEGIN
  SET LOCAL strata.enable_rowstore_agg = on;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'h') LOOP
    pushed := pushed OR line LIKE '%RowstoreAggregate%';
  END LOOP;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'p'), format(q, 'h')) INTO missing;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'h'), format(q, 'p')) INTO extra;
  EXECUTE format('SELECT count(*) FROM (%s) x', format(q, 'h')) INTO total;
  RETURN format('%s rows, %s%s', total, CASE WHEN missing = 0 AND extra = 0 THEN 'same'
                                             ELSE format('DIFFERENT (%s missing, %s extra)', missing, extra) END,
                CASE WHEN pushed THEN ', RowstoreAggregate' ELSE '' END);
END $$;

-- The same for the hypertable dh and the plain table dp.
CREATE FUNCTION check_dh(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
  extra bigint;
  total bigint;
  direct bool := false;
  line text;
BEGIN
  SET LOCAL strata.enable_rowstore_agg = on;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'dh') LOOP
    direct := direct OR line LIKE '%Heap Pages: read directly%';
  END LOOP;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'dp'), format(q, 'dh')) INTO missing;
  EXECUTE format('SELECT count(*) FROM ((%s) EXCEPT ALL (%s)) x', format(q, 'dh'), format(q, 'dp')) INTO extra;
  EXECUTE format('SELECT count(*) FROM (%s) x', format(q, 'dh')) INTO total;
  RETURN format('%s rows, %s%s', total, CASE WHEN missing = 0 AND extra = 0 THEN 'same'
                                             ELSE format('DIFFERENT (%s missing, %s extra)', missing, extra) END,
                CASE WHEN direct THEN ', read directly' ELSE '' END);
END $$;

-- EXPLAIN ANALYZE without its memory figures.
CREATE FUNCTION explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF line NOT LIKE '%Memory Usage%' THEN RETURN NEXT line; END IF;
  END LOOP;
END $$;

SELECT q, check_query(q) FROM (VALUES
  ('SELECT count(*) FROM %s'),
  ('SELECT count(*), count(st), count(bigc), sum(i2), sum(i4), sum(i8), avg(i2), avg(i4), avg(i8) FROM %s'),
  ('SELECT min(i2), max(i2), min(i4), max(i4), min(i8), max(i8), min(f4), max(f4), min(f8), max(f8) FROM %s'),
  ('SELECT min(d), max(d), min(ts), max(ts), min(time), max(time) FROM %s'),
  ('SELECT count(*), sum(i4) FROM %s WHERE time >= ''2024-01-02 05:00'' AND time < ''2024-01-04 07:00'''),
  ('SELECT count(*), sum(i4) FROM %s WHERE time >= ''2024-01-03'' AND time < ''2024-01-04'''),
  ('SELECT count(*), max(f8) FROM %s WHERE dev = ''dev_3'' AND i4 > 0'),
  ('SELECT time_bucket(''1 hour'', time) b, dev, st, count(*) FROM %s GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, count(*), sum(i8), min(f4), max(ts) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(''15 minutes'', time, ''2000-01-01 00:07''::timestamptz) b, count(*) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(''1 day'', time, interval ''3 hours'') b, st, avg(i4) FROM %s GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 month'', time) b, count(*), min(i2) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(''1 week'', d) b, count(*) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(''2 hours'', ts) b, count(*), sum(i2) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(7, i4) b, count(*), max(i8) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(5::int2, i2) b, count(*) FROM %s GROUP BY 1'),
  ('SELECT time_bucket(1000000007, i8) b, count(*) FROM %s GROUP BY 1'),
  ('SELECT st, count(*), count(st) FROM %s GROUP BY st'),
  ('SELECT vc, by, count(*), sum(i4) FROM %s GROUP BY vc, by'),
  ('SELECT big, bigc, count(*) FROM %s GROUP BY big, bigc'),
  ('SELECT time_bucket(''1 day'', time), big2, count(big) FROM %s GROUP BY 1, 2'),
  ('SELECT i2, b, count(*), min(f8), max(f8) FROM %s GROUP BY i2, b'),
  ('SELECT d, count(*) FROM %s GROUP BY d'),
  ('SELECT ts, i4, count(*) FROM %s GROUP BY ts, i4'),
  ('SELECT time, count(*) FROM %s GROUP BY time'),
  ('SELECT dev, st, count(*) FROM %s GROUP BY dev, st HAVING count(*) > 100'),
  ('SELECT dev, count(*) * 2 + 1, max(i2) - min(i2), max(i8) FROM %s GROUP BY dev'),
  -- not computed natively: sums of floats (their rounding depends on the order of additions),
  -- expressions, DISTINCT, FILTER, numeric
  ('SELECT dev, sum(f8) FROM %s GROUP BY dev'),
  ('SELECT dev, count(DISTINCT st) FROM %s GROUP BY dev'),
  ('SELECT dev, count(*) FILTER (WHERE i4 > 0) FROM %s GROUP BY dev'),
  ('SELECT lower(dev), count(*) FROM %s GROUP BY 1'),
  ('SELECT dev, sum(i4::numeric) FROM %s GROUP BY dev')
) AS t(q);

-- Rows deleted by the transaction itself are not counted, and are again after its rollback.
BEGIN;
DELETE FROM h WHERE dev = 'dev_5';
DELETE FROM p WHERE dev = 'dev_5';
SELECT check_query('SELECT time_bucket(''1 hour'', time) b, dev, count(*), sum(i4) FROM %s GROUP BY 1, 2');
ROLLBACK;
SELECT check_query('SELECT time_bucket(''1 hour'', time) b, dev, count(*), sum(i4) FROM %s GROUP BY 1, 2');
-- Rows deleted after a cursor's snapshot was taken: the cursor still counts them.
BEGIN;
DECLARE c CURSOR FOR SELECT dev, count(*), sum(i4), max(i8) FROM h WHERE dev IN ('dev_7', 'dev_8') GROUP BY dev ORDER BY dev;
DELETE FROM h WHERE dev = 'dev_7';
FETCH ALL FROM c;
SELECT dev, count(*), sum(i4), max(i8) FROM p WHERE dev IN ('dev_7', 'dev_8') GROUP BY dev ORDER BY dev;
SELECT dev, count(*), sum(i4), max(i8) FROM h WHERE dev IN ('dev_7', 'dev_8') GROUP BY dev ORDER BY dev;
ROLLBACK;

-- More groups in one chunk than the node keeps at once (65,536): groups emitted in several
-- rounds, combined by the Finalize Aggregate.
CREATE TABLE many (time timestamptz NOT NULL, k int8, v int4);
SELECT count(*) FROM create_hypertable('many', by_range('time', interval '1 day'));
INSERT INTO many SELECT '2024-01-01'::timestamptz + g * interval '100 milliseconds', g % 70001, g % 3
FROM generate_series(1, 210003) g;
INSERT INTO many VALUES ('2024-01-05', 1, 1);
CREATE TABLE many_p AS SELECT * FROM many;
ANALYZE many;
ANALYZE many_p;
SET strata.enable_rowstore_agg = on;
SET work_mem = '64MB';
SELECT explain_analyze('SELECT k, count(*), sum(v) FROM many GROUP BY k');
SELECT count(*), sum(n), min(s), max(s)
FROM (SELECT k, count(*) n, sum(v) s FROM many GROUP BY k) x;
SELECT count(*) FROM ((SELECT k, count(*), sum(v) FROM many GROUP BY k)
                      EXCEPT ALL (SELECT k, count(*), sum(v) FROM many_p GROUP BY k)) x;
RESET work_mem;

-- The node reads the pages of a heap chunk itself when its scan has no filter
-- (strata.rowstore_agg_direct_scan): rows written before a column was added (their default or
-- NULL), a dropped column before the ones read, NULLs before them, rows of an aborted insert,
-- old versions of updated rows, pages all-visible after VACUUM and not; grouping values of every
-- length from 0 to 20 bytes differing in any one byte (short ones are compared as words).
CREATE TABLE dh (time timestamptz NOT NULL, gone int8, a text, n int4, s text);
SELECT count(*) FROM create_hypertable('dh', by_range('time', interval '1 day'));
INSERT INTO dh SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g,
       CASE WHEN g % 5 = 0 THEN NULL ELSE repeat('x', g % 7) END, g % 11,
       overlay(repeat('k', g % 21) placing chr(97 + g % 3) from 1 + (g / 3) % greatest(g % 21, 1) for 1)
FROM generate_series(1, 6000) g;
VACUUM dh;
ALTER TABLE dh DROP COLUMN gone;
ALTER TABLE dh ADD COLUMN d int4 DEFAULT 7, ADD COLUMN e text;
INSERT INTO dh SELECT '2024-01-02'::timestamptz + g * interval '1 minute', 'y', g % 3, 'k', g % 4, 'e' || (g % 2)
FROM generate_series(1, 3000) g;
BEGIN;
INSERT INTO dh SELECT '2024-01-03'::timestamptz + g * interval '1 minute', 'z', 1, 'zz', 1, 'zz'
FROM generate_series(1, 500) g;
ROLLBACK;
UPDATE dh SET n = n + 100 WHERE time < '2024-01-01 12:00' AND n = 3;
CREATE TABLE dp AS SELECT * FROM dh;
ANALYZE dh;
ANALYZE dp;
SELECT count(*) AS rows, count(DISTINCT s) AS short_values FROM dp;
SELECT q, check_dh(q) FROM (VALUES
  ('SELECT time_bucket(''1 hour'', time) b, s, count(*), sum(n) FROM %s GROUP BY 1, 2'),
  ('SELECT s, a, count(*), min(n), max(n) FROM %s GROUP BY 1, 2'),
  ('SELECT e, d, count(*), sum(d), count(e) FROM %s GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 day'', time) b, e, count(*) FROM %s GROUP BY 1, 2')
) AS t(q);
SELECT check_dh('SELECT s, count(*) FROM %s GROUP BY s');
SELECT explain_analyze('SELECT e, count(*) FROM dh WHERE time >= ''2024-01-02'' AND time < ''2024-01-03'' GROUP BY e');
SET strata.rowstore_agg_direct_scan = off;
SELECT check_dh('SELECT s, a, count(*), min(n), max(n) FROM %s GROUP BY 1, 2');
SELECT explain_analyze('SELECT e, count(*) FROM dh WHERE time >= ''2024-01-02'' AND time < ''2024-01-03'' GROUP BY e');
RESET strata.rowstore_agg_direct_scan;

-- An integer time column.
CREATE TABLE ih (t int8 NOT NULL, dev int4, v int4);
SELECT count(*) FROM create_hypertable('ih', by_range('t', 1000));
INSERT INTO ih SELECT (g * 37) % 5000 - 1000, g % 5, CASE WHEN g % 7 = 0 THEN NULL ELSE g END
FROM generate_series(1, 3000) g;
CREATE TABLE ip AS SELECT * FROM ih;
SELECT count(*) FROM ((SELECT time_bucket(100, t), dev, count(*), sum(v), min(v) FROM ih GROUP BY 1, 2)
                      EXCEPT ALL (SELECT time_bucket(100, t), dev, count(*), sum(v), min(v) FROM ip GROUP BY 1, 2)) x;
SELECT count(*) FROM ((SELECT time_bucket(100, t), dev, count(*), sum(v), min(v) FROM ip GROUP BY 1, 2)
                      EXCEPT ALL (SELECT time_bucket(100, t), dev, count(*), sum(v), min(v) FROM ih GROUP BY 1, 2)) x;

-- Plans: RowstoreAggregate per chunk under PostgreSQL's Finalize Aggregate; off with the setting.
EXPLAIN (COSTS OFF)
SELECT time_bucket('1 hour', time) b, dev, st, count(*) FROM h WHERE time >= '2024-01-02' AND time < '2024-01-03' GROUP BY 1, 2, 3;
SELECT explain_analyze('SELECT st, count(*) FROM h WHERE time >= ''2024-01-01'' AND time < ''2024-01-02'' GROUP BY st');
SET strata.enable_rowstore_agg = off;
EXPLAIN (COSTS OFF)
SELECT time_bucket('1 hour', time) b, dev, st, count(*) FROM h WHERE time >= '2024-01-02' AND time < '2024-01-03' GROUP BY 1, 2, 3;
RESET strata.enable_rowstore_agg;
SHOW strata.enable_rowstore_agg;

-- A continuous aggregate refreshed through it (the refresh turns it on for its aggregation)
-- equals the plain aggregation; the setting is off again after the refresh.
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, st, count(*) AS n, sum(i4) AS s, max(f8) AS mx
  FROM h GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SHOW strata.enable_rowstore_agg;
SELECT count(*) FROM ((SELECT * FROM hourly)
                      EXCEPT ALL (SELECT time_bucket('1 hour', time), dev, st, count(*), sum(i4), max(f8) FROM p GROUP BY 1, 2, 3)) x;
SELECT count(*) FROM ((SELECT time_bucket('1 hour', time), dev, st, count(*), sum(i4), max(f8) FROM p GROUP BY 1, 2, 3)
                      EXCEPT ALL (SELECT * FROM hourly)) x;

RESET search_path;
DROP SCHEMA rowagg CASCADE;
