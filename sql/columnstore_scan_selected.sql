-- A ColumnarScan whose filter keeps few rows of a batch decodes its other columns at those rows
-- only (codec::decode_column_rows_into), and a text equality or IN on plain strings runs on the
-- encoded bytes before the column is decoded (codec::select_equal_strings). Every query below
-- returns the same rows as on a plain copy of the table: every column type family, NULLs, plain
-- strings of one length (key) and of many (v), dictionary strings (status), ordered and unordered
-- scans, a filter keeping many rows (every row decoded), aggregation over the filtered batches.
SET timezone = 'UTC';
CREATE TABLE cs (ts timestamptz NOT NULL, acct text NOT NULL, dev text, key text, v text, status text,
                 i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, b bool, d date, num numeric, u uuid);
SELECT create_hypertable('cs', 'ts', chunk_time_interval => interval '30 days',
                         create_default_indexes => false) IS NOT NULL AS created;
INSERT INTO cs
SELECT '2026-01-01 00:00:00+00'::timestamptz + (n / 80) * interval '60 s' + (n % 40) * interval '1 s',
       'a' || (n / 40) % 2, 'dev_' || lpad((n % 40)::text, 2, '0'), 'k' || lpad(n::text, 6, '0'),
       CASE WHEN n % 11 = 0 THEN NULL ELSE substr(md5(n::text), 1, 1 + n % 17) END,
       (ARRAY['ok', 'warn', 'fail'])[1 + (n * 7) % 3],
       CASE WHEN n % 13 = 0 THEN NULL ELSE (n % 7)::int2 END, n * 3, (n::int8 * 2654435761) % 1000003,
       (n % 10) * 0.5, n / 7.0, n % 3 = 0, DATE '2026-01-01' + n % 30, n / 100.0, md5(n::text)::uuid
  FROM generate_series(0, 4799) n;
CREATE TABLE cs_plain AS SELECT * FROM cs;
ALTER TABLE cs SET (timescaledb.compress, timescaledb.compress_segmentby = 'acct',
                    timescaledb.compress_orderby = 'ts, dev', timescaledb.compress_index = 'bloom(dev)');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('cs') c;
ANALYZE cs;

-- The query's rows on the compressed table, and how many of them differ from the plain copy's.
-- With `key` (the ORDER BY columns, unique among the query's rows), also whether the rows come in
-- the same order: the keys in output order, not sorted again, against the plain copy's.
CREATE FUNCTION pg_temp.same(q text, key text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  a bigint;
  d bigint;
  o1 text;
  o2 text;
  p text := replace(q, 'FROM cs ', 'FROM cs_plain ');
BEGIN
  EXECUTE format('SELECT count(*) FROM (%s) x', q) INTO a;
  EXECUTE format('SELECT count(*) FROM ((SELECT * FROM (%1$s) x EXCEPT ALL SELECT * FROM (%2$s) y) '
                 'UNION ALL (SELECT * FROM (%2$s) y EXCEPT ALL SELECT * FROM (%1$s) x)) z', q, p) INTO d;
  IF key IS NULL THEN
    RETURN a || ' rows, ' || d || ' differ';
  END IF;
  EXECUTE format('SELECT md5(string_agg(ROW(%s)::text, ''|'')) FROM (%s) x', key, q) INTO o1;
  EXECUTE format('SELECT md5(string_agg(ROW(%s)::text, ''|'')) FROM (%s) x', key, p) INTO o2;
  RETURN a || ' rows, ' || d || ' differ, ' || CASE WHEN o1 IS NOT DISTINCT FROM o2 THEN 'same order' ELSE 'ORDER DIFFERS' END;
END $$;

-- One device of its account, newest first: the ordered scan opens the newest batch and decodes
-- the other columns at the device's rows.
EXPLAIN (COSTS OFF) SELECT * FROM cs WHERE dev = 'dev_07' AND acct = 'a1' ORDER BY ts DESC LIMIT 10;
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev = 'dev_07' AND acct = 'a1' ORDER BY ts DESC LIMIT 10$$, 'ts');
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev = 'dev_07' ORDER BY ts, acct LIMIT 25$$, 'ts, acct');
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev = 'dev_07'$$);
-- Columns without NULLs hold the selected rows alone (codec::decode_selected_rows), read by the
-- row's rank in the selection, beside columns with NULLs read by row: ordered merges across the
-- batches of a segment both ways (LIMITs crossing batches), two devices, DISTINCT ON.
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev IN ('dev_07', 'dev_08') AND acct = 'a1' ORDER BY ts DESC, dev DESC LIMIT 70$$, 'ts, dev');
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev IN ('dev_07', 'dev_08') AND acct = 'a1' ORDER BY ts, dev LIMIT 70$$, 'ts, dev');
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev = 'dev_33' ORDER BY ts DESC, acct LIMIT 45$$, 'ts, acct');
SELECT pg_temp.same($$SELECT DISTINCT ON (acct) * FROM cs WHERE dev = 'dev_12' ORDER BY acct, ts DESC$$, 'acct, ts');
SELECT pg_temp.same($$SELECT ts, status, i4, f8, key FROM cs WHERE dev = 'dev_07' AND acct = 'a0'$$);
-- Plain strings of one length: one row, a list, a constant of another length, a missing one.
SELECT pg_temp.same($$SELECT * FROM cs WHERE key = 'k000123'$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE key IN ('k000000', 'k004799', 'k002400', 'nope')$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE key = 'k00012'$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE key = 'k999999' ORDER BY ts DESC LIMIT 3$$, 'ts');
-- Plain strings of many lengths with NULLs, and two predicates on one column.
SELECT pg_temp.same($$SELECT * FROM cs WHERE v = substr(md5('1234'), 1, 1 + 1234 % 17)$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE v IN ('c', '0', 'e', '1')$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE key >= 'k000100' AND key = 'k000123'$$);
-- With other predicates, dictionary strings, a filter that keeps most rows.
SELECT pg_temp.same($$SELECT * FROM cs WHERE dev = 'dev_07' AND i4 > 600 AND status = 'ok'$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE status = 'warn' AND i2 IS NULL$$);
SELECT pg_temp.same($$SELECT * FROM cs WHERE status <> 'fail'$$);
SELECT pg_temp.same($$SELECT ts, v, u FROM cs WHERE key IN ('k000011', 'k000022') ORDER BY ts$$, 'ts');
-- Aggregates over the filtered batches (every row of a batch decoded for them).
SELECT pg_temp.same($$SELECT dev, count(*), sum(i8), min(v), max(ts) FROM cs WHERE dev IN ('dev_07', 'dev_33') GROUP BY dev$$);
SELECT pg_temp.same($$SELECT count(*), sum(num) FROM cs WHERE key = 'k004000'$$);
-- The rows themselves, for one device.
SELECT ts, acct, dev, key, v, status, i2, i4, i8, f4, f8, b, d, num, u
  FROM cs WHERE dev = 'dev_07' AND acct = 'a1' ORDER BY ts DESC LIMIT 3;
DROP TABLE cs;
DROP TABLE cs_plain;
