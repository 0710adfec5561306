-- ColumnarScan on a fleet-like table (issue 14, the fleet one-device lookup): segmentby account,
-- orderby time then device, so every batch of an account holds every device of it. The scan's
-- cost counts only the batches of the selected segments (and of the time range), so a lookup of
-- one account's device is not costed like a scan of the whole chunk (which got it a parallel
-- plan that cost many times the scan); results against the same rows in a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_fleet;
SET search_path = cs_fleet, public;

-- 2 daily chunks; 12 accounts of 3 devices each, a report every 2 minutes: 3 batches per
-- account and chunk.
CREATE TABLE t (ts timestamptz NOT NULL, account text NOT NULL, device text NOT NULL, status text, v int);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01'::timestamptz + s * interval '2 minutes', 'acct_' || (d / 3), 'dev_' || d,
       (ARRAY['connected', 'reconnecting', 'disconnected'])[1 + (s * 7 + d) % 3], (s * 13 + d) % 1000
FROM generate_series(0, 2 * 720 - 1) s, generate_series(0, 35) d;
CREATE TABLE ref AS SELECT * FROM t;
CREATE INDEX ON ref (device, account, ts);
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device', timescaledb.compress_index = 'bloom(device)');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
ANALYZE t;
ANALYZE ref;

-- A figure of a query's plan's top node: its total cost, or its estimated rows.
CREATE FUNCTION plan_value(q text, field text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 -> 'Plan' ->> field)::float8;
END $$;
CREATE FUNCTION cost_of(q text) RETURNS float8 LANGUAGE sql AS $$ SELECT plan_value(q, 'Total Cost') $$;
CREATE FUNCTION rows_of(q text) RETURNS float8 LANGUAGE sql AS $$ SELECT plan_value(q, 'Plan Rows') $$;
-- Runs q on t and on ref ("%I" is the table) and says whether they return the same rows.
CREATE FUNCTION same(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  EXECUTE format('SELECT string_agg(x::text, '';'' ORDER BY x::text) FROM (' || q || ') x', 't') INTO a;
  EXECUTE format('SELECT string_agg(x::text, '';'' ORDER BY x::text) FROM (' || q || ') x', 'ref') INTO b;
  RETURN a IS NOT DISTINCT FROM b AND a IS NOT NULL;
END $$;

SET max_parallel_workers_per_gather = 0;
-- One account's batches cost a small share of the whole chunk's (against a restriction of about
-- the same selectivity on a column without metadata, 1 account of 12 and v < 83 of 0..999, whose
-- scan forms as many rows);
-- a time range on the first orderby column cuts it by its share of the chunk's range (at least
-- one batch per segment: a 1-hour range reads 12 to 24 of the day's 36 batches).
SELECT cost_of($$SELECT * FROM t WHERE account = 'acct_4'$$) < 0.5 * cost_of('SELECT * FROM t WHERE v < 83')
       AS segment_share;
SELECT cost_of($$SELECT * FROM t WHERE ts >= '2024-01-01 02:00' AND ts < '2024-01-01 03:00'$$)
       < 0.75 * cost_of($$SELECT * FROM t WHERE ts >= '2024-01-01 00:00' AND ts < '2024-01-02 00:00'$$) AS range_share;
-- With pushdown off every restriction is PostgreSQL's: the scan reads every batch.
SET strata.enable_columnar_pushdown = off;
SELECT cost_of($$SELECT * FROM t WHERE account = 'acct_4'$$) > 0.9 * cost_of('SELECT * FROM t WHERE v < 83')
       AS no_share_without_pushdown;
RESET strata.enable_columnar_pushdown;

-- The scan's row estimate of one device in its account: the bloom column is the lookup key and
-- the device lies in one account, so the device's rows (720 a chunk) are estimated, not the
-- product of the account's and the device's shares (60 a chunk, which kept the aggregation
-- pushdown's path below from being chosen when the estimates were that low). An equality on a column
-- without a bloom filter still multiplies (about 2 rows: 1 of 12 accounts, v = 13 of 1000 values).
SELECT count(*) AS device_rows FROM t WHERE device = 'dev_13' AND account = 'acct_4';
SELECT rows_of($$SELECT * FROM t WHERE device = 'dev_13' AND account = 'acct_4'$$) BETWEEN 1000 AND 2000
       AS device_in_account_estimate;
SELECT rows_of($$SELECT * FROM t WHERE device = 'dev_13' AND account = 'acct_4'
                 AND ts >= '2024-01-01 12:00' AND ts < '2024-01-02 12:00'$$) BETWEEN 500 AND 1000
       AS device_day_estimate;
SELECT rows_of($$SELECT * FROM t WHERE v = 13 AND account = 'acct_4'$$) < 20 AS other_column_multiplies;
SET strata.enable_columnar_pushdown = off;
SELECT rows_of($$SELECT * FROM t WHERE device = 'dev_13' AND account = 'acct_4'$$) < 200
       AS product_without_pushdown;
RESET strata.enable_columnar_pushdown;

-- The one-device lookup over 24 h (both chunks): no parallel plan, whose workers would start for
-- a scan of a few batches (with a cheap parallel start-up here, the whole-chunk cost used to make
-- a Gather over a Parallel Append of the two scans look worth it). Since the aggregation pushdown
-- takes date_trunc(), one ColumnstoreAggregate per chunk.
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 20;
SET parallel_tuple_cost = 0.01;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT date_trunc('hour', ts) AS hour, status, count(*)
FROM t WHERE device = 'dev_13' AND account = 'acct_4' AND ts >= '2024-01-01 12:00' AND ts < '2024-01-02 12:00'
GROUP BY 1, 2 ORDER BY 1, 2;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
SET max_parallel_workers_per_gather = 0;

SELECT same($$SELECT date_trunc('hour', ts) AS hour, status, count(*) FROM %I
              WHERE device = 'dev_13' AND account = 'acct_4' AND ts >= '2024-01-01 12:00' AND ts < '2024-01-02 12:00'
              GROUP BY 1, 2$$) AS device_hourly;
SELECT same($$SELECT * FROM (SELECT * FROM %I WHERE device = 'dev_13' AND account = 'acct_4'
                             ORDER BY ts DESC LIMIT 10) s$$) AS device_recent;
SELECT same($$SELECT * FROM %I WHERE account = 'acct_4' AND ts >= '2024-01-01 10:00' AND ts < '2024-01-01 10:30'$$)
       AS account_range;
SELECT same($$SELECT * FROM %I WHERE device IN ('dev_0', 'dev_35') AND ts > '2024-01-02 20:00'$$) AS devices_in;

DROP SCHEMA cs_fleet CASCADE;
