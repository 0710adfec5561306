-- The real-time tail of a continuous aggregate filtered on an indexed column (one account):
-- strata.rowstore_agg_tail aggregates the raw side with one RowstoreAggregate over the ChunkAppend,
-- which reads the bitmap heap scan children that survive the ChunkAppend's exclusion itself (their
-- TID bitmaps, all-visible exact pages straight from the page, other pages through the heap AM).
-- Every result is compared with the same query with the setting off (PostgreSQL's HashAggregate).
SET timezone = 'UTC';
CREATE TABLE st (ts timestamptz NOT NULL, acct text NOT NULL, dev text, colo text, status text);
SELECT create_hypertable('st', 'ts', chunk_time_interval => interval '6 hours', create_default_indexes => false);
CREATE INDEX st_acct_ts ON st (acct, ts);
-- 4 chunks; 3 accounts over 40 devices, a status that is NULL sometimes; the last chunk's rows are
-- wide (about 10 a page: 1,440 pages, more than a bitmap of 64kB holds exactly).
INSERT INTO st SELECT '2024-01-01'::timestamptz + (g / 40) * interval '1 minute', 'acct_' || (g % 40) % 3,
    repeat('d', 40) || (g % 40), CASE WHEN g >= 18 * 60 * 40 THEN repeat('c', 800) ELSE 'colo' || (g % 5) END,
    CASE WHEN g % 17 = 0 THEN NULL ELSE 's' || (g % 4) END
  FROM generate_series(0, 24 * 60 * 40 - 1) g;
CREATE MATERIALIZED VIEW st_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', ts) AS bucket, acct, status, count(*) AS n FROM st GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('st_hourly', NULL, '2024-01-01 18:00');
VACUUM ANALYZE st;
-- The tail chunk's bitmap heap scan (small tables otherwise get a sequential or index scan).
SET enable_seqscan = off;
SET enable_indexscan = off;
-- The plan's lines about the tail (with `counts`, EXPLAIN ANALYZE's); st's chunks are hypertable
-- 1's, mt's (below) 3's.
CREATE FUNCTION tail_plan(query text, counts bool DEFAULT false) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF' || CASE WHEN counts THEN ', ANALYZE, TIMING OFF, SUMMARY OFF' ELSE '' END
                      || ') ' || query LOOP
    IF line ~ '(Aggregate|ChunkAppend\) on (st|mt)|Bitmap (Heap|Index) Scan on _hyper_[13]_|Scan\) on _hyper_3_|BitmapOr|SubPlan|Nested Loop|read directly|Read Directly|TID Lists|Rows Aggregated|Heap Blocks|excluded)' THEN
      RETURN NEXT regexp_replace(line, '_hyper_[0-9]+_[0-9]+_chunk( (st|mt)_[0-9]+)?', '<chunk>', 'g');
    END IF;
  END LOOP;
END $$;
CREATE FUNCTION same(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(r::text, '','' ORDER BY r::text)) || '' '' || count(*) FROM (%s) r', query) INTO a;
  SET LOCAL strata.rowstore_agg_tail = off;
  EXECUTE format('SELECT md5(string_agg(r::text, '','' ORDER BY r::text)) || '' '' || count(*) FROM (%s) r', query) INTO b;
  SET LOCAL strata.rowstore_agg_tail = on;
  RETURN CASE WHEN a = b THEN 'same ' || split_part(a, ' ', 2) || ' rows' ELSE 'DIFFERENT ' || a || ' / ' || b END;
END $$;
SELECT * FROM tail_plan($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1' ORDER BY 1, 2$$);
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
-- Two accounts: the index lists their TIDs one account after the other, out of page order (sorted
-- by the node); as a BitmapOr, the chunk's scan has the watermark as a filter and is pulled through
-- its node (the plan says nothing is read directly).
SELECT same($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct IN ('acct_0', 'acct_2')$$);
SELECT * FROM tail_plan($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct = 'acct_0' OR acct = 'acct_2'$$);
SELECT same($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct = 'acct_0' OR acct = 'acct_2'$$);
-- The rows the bitmap heap scan read, counted in EXPLAIN ANALYZE (all-visible pages: exact).
SELECT * FROM tail_plan($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$, true);
-- A filter on the chunk's scan (the bucket's bound): that child is read through its node.
SELECT * FROM tail_plan($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1' AND bucket >= '2024-01-01 20:00'$$, true);
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1' AND bucket >= '2024-01-01 20:00'$$);
-- Off: PostgreSQL's aggregation over the ChunkAppend.
SET strata.rowstore_agg_tail = off;
SELECT * FROM tail_plan($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1' ORDER BY 1, 2$$);
RESET strata.rowstore_agg_tail;
-- Pages that are not all-visible (rows written after the VACUUM, a deleted row, updated rows:
-- moved to the chunk's last page, then HOT-updated there, which leaves redirects once pruned) go
-- through the heap AM.
INSERT INTO st VALUES ('2024-01-01 19:30:00.5+00', 'acct_1', 'late', 'c', 's1'), ('2024-01-01 23:59:59+00', 'acct_1', 'late', 'c', NULL);
DELETE FROM st WHERE ts = '2024-01-01 20:00' AND acct = 'acct_1' AND dev = repeat('d', 40) || '1';
UPDATE st SET status = 's8' WHERE ts = '2024-01-01 21:00' AND acct = 'acct_1';
UPDATE st SET status = 's9' WHERE ts = '2024-01-01 21:00' AND acct = 'acct_1';
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
-- Pruned and vacuumed: all-visible pages whose index entries point at HOT redirects.
VACUUM st;
SELECT * FROM tail_plan($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$, true);
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1' AND bucket >= '2024-01-01 21:00' AND bucket < '2024-01-01 22:00' ORDER BY 1, 2;
-- Little work_mem: one account's TIDs (4,681) still fit (8 bytes each), two accounts' (9,362) go into
-- a TIDBitmap, which turns lossy: every tuple of a lossy page rechecked against the index condition.
SET work_mem = '64kB';
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
SELECT * FROM tail_plan($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct > 'acct_0'$$, true);
SELECT same($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct > 'acct_0'$$);
-- Pages prefetched further ahead from a second iterator of the TIDBitmap, and not at all.
SET effective_io_concurrency = 32;
SELECT same($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct > 'acct_0'$$);
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
SET effective_io_concurrency = 0;
SELECT same($$SELECT bucket, acct, status, n FROM st_hourly WHERE acct > 'acct_0'$$);
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
RESET effective_io_concurrency;
RESET work_mem;
-- A generic plan: chunks excluded at executor start, right before and after a refresh moves the
-- watermark, and the account a parameter.
PREPARE q(text) AS SELECT bucket, status, n FROM st_hourly WHERE acct = $1;
SET plan_cache_mode = force_generic_plan;
SELECT * FROM tail_plan('EXECUTE q(''acct_1'')');
CREATE TEMP TABLE before_refresh AS EXECUTE q('acct_1');
CALL refresh_continuous_aggregate('st_hourly', NULL, '2024-01-01 21:00');
CREATE TEMP TABLE after_refresh AS EXECUTE q('acct_1');
SELECT count(*) FROM ((TABLE before_refresh EXCEPT ALL TABLE after_refresh) UNION ALL (TABLE after_refresh EXCEPT ALL TABLE before_refresh)) d;
SELECT same($$SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_1'$$);
-- Materialized to the end: the cached plan's tail chunk is excluded at executor start, and the node
-- reads no child. PostgreSQL may rebuild a cached plan at any time (a backend that falls behind on
-- other sessions' invalidation messages, as under the parallel test schedule, resets all its plans);
-- a rebuilt plan excludes the chunk while planning. Either way no raw chunk may be read, and the
-- verdict says nothing about which way it was.
CREATE FUNCTION raw_tail_read(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE plan text := '';
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    plan := plan || line || E'\n';
  END LOOP;
  IF plan ~ 'Scan on _hyper_1_' THEN RETURN 'a raw chunk is read: ' || plan; END IF;
  IF plan ~ 'ChunkAppend\) on st' THEN
    IF plan !~ 'RowstoreAggregate\) \(actual rows=0 loops=1\)' OR plan !~ 'Chunks excluded during startup: 1'
       OR plan !~ 'Rows Aggregated: 0' THEN
      RETURN 'unexpected cached plan: ' || plan;
    END IF;
  END IF;
  RETURN 'no raw chunk read';
END $$;
CALL refresh_continuous_aggregate('st_hourly', NULL, NULL);
SELECT raw_tail_read('EXECUTE q(''acct_1'')');
DROP FUNCTION raw_tail_read(text);
CREATE TEMP TABLE all_refreshed AS EXECUTE q('acct_1');
SELECT count(*) FROM ((TABLE before_refresh EXCEPT ALL TABLE all_refreshed) UNION ALL (TABLE all_refreshed EXCEPT ALL TABLE before_refresh)) d;
RESET plan_cache_mode;
-- Inside a cursor moved back and forth (a rescan), and as the inner side of a nested loop.
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT bucket, status, n FROM st_hourly WHERE acct = 'acct_2' ORDER BY 1, 2;
MOVE FORWARD ALL IN c;
FETCH BACKWARD 2 FROM c;
FETCH ABSOLUTE 1 FROM c;
COMMIT;
SELECT * FROM tail_plan($$SELECT a.acct, h.bucket, h.status, h.n FROM (VALUES ('acct_0'), ('acct_2')) a(acct)
  CROSS JOIN LATERAL (SELECT * FROM st_hourly WHERE acct = a.acct) h$$);
SELECT same($$SELECT a.acct, h.bucket, h.status, h.n FROM (VALUES ('acct_0'), ('acct_2')) a(acct)
  CROSS JOIN LATERAL (SELECT * FROM st_hourly WHERE acct = a.acct) h$$);
DROP MATERIALIZED VIEW st_hourly;
DROP TABLE st;
-- A hypertable queried directly, its chunks excluded at executor start (now()): 4 chunks of 6
-- hours, the first compressed (pulled through its node), the others read by bitmap heap scans.
CREATE TABLE mt (ts timestamptz NOT NULL, acct int NOT NULL, v int, s text);
SELECT create_hypertable('mt', 'ts', chunk_time_interval => interval '6 hours', create_default_indexes => false);
CREATE INDEX mt_acct_ts ON mt (acct, ts);
INSERT INTO mt SELECT '2024-01-01'::timestamptz + g * interval '3 seconds', g % 50, g % 1000, 's' || (g % 7)
  FROM generate_series(0, 28799) g;
ALTER TABLE mt SET (timescaledb.compress, timescaledb.compress_segmentby = 'acct', timescaledb.compress_orderby = 'ts');
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('mt') c ORDER BY 1 LIMIT 1) s;
VACUUM ANALYZE mt;
-- A compressed chunk beside bitmap heap scan children, with and without HAVING.
SELECT * FROM tail_plan($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$, true);
SELECT same($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
SELECT * FROM tail_plan($$SELECT time_bucket('1 hour', ts), count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1 HAVING sum(v) > 4000$$);
SELECT same($$SELECT time_bucket('1 hour', ts), count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1 HAVING sum(v) > 4000$$);
-- IN (...): btree runs the array itself, the TIDs are still fetched into an array (TID Lists).
SELECT * FROM tail_plan($$SELECT time_bucket('1 hour', ts), acct, count(*), sum(v) FROM mt
  WHERE acct IN (3, 7, 11) AND ts >= now() - interval '100 years' GROUP BY 1, 2$$, true);
SELECT same($$SELECT time_bucket('1 hour', ts), acct, count(*), sum(v) FROM mt
  WHERE acct IN (3, 7, 11) AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
-- Rescanned with a changed parameter (a correlated subquery, the LATERAL side of a nested loop):
-- the account is the bitmap index scan's run-time key.
SELECT * FROM tail_plan($$SELECT a, (SELECT max(n) FROM (SELECT time_bucket('1 hour', ts), count(*) AS n FROM mt
  WHERE acct = a AND ts >= now() - interval '100 years' GROUP BY 1) x) FROM generate_series(1, 3) a$$, true);
SELECT same($$SELECT a, (SELECT max(n) FROM (SELECT time_bucket('1 hour', ts), count(*) AS n FROM mt
  WHERE acct = a AND ts >= now() - interval '100 years' GROUP BY 1) x) FROM generate_series(1, 3) a$$);
SELECT * FROM tail_plan($$SELECT a, h.* FROM generate_series(1, 3) a CROSS JOIN LATERAL (SELECT time_bucket('1 hour', ts),
  count(*), sum(v) FROM mt WHERE acct = a AND ts >= now() - interval '100 years' GROUP BY 1) h$$);
SELECT same($$SELECT a, h.* FROM generate_series(1, 3) a CROSS JOIN LATERAL (SELECT time_bucket('1 hour', ts),
  count(*), sum(v) FROM mt WHERE acct = a AND ts >= now() - interval '100 years' GROUP BY 1) h$$);
-- EXPLAIN ANALYZE with timing (as auto_explain's log_timing): the children's rescans for the changed
-- parameter run before their instrumentation starts (ExecReScan of a node whose timer runs fails).
CREATE FUNCTION timed_plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, TIMING ON, COSTS OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ '(RowstoreAggregate|ChunkAppend\) on mt| on _hyper_|Read Directly)' THEN
      RETURN NEXT regexp_replace(regexp_replace(line, '_hyper_[0-9]+_[0-9]+_chunk( mt_[0-9]+)?', '<chunk>', 'g'),
                                 'actual time=[0-9.]+\.\.[0-9.]+ ', 'actual ');
    END IF;
  END LOOP;
END $$;
SELECT * FROM timed_plan($$SELECT a, (SELECT max(n) FROM (SELECT time_bucket('1 hour', ts), count(*) AS n FROM mt
  WHERE acct = a AND ts >= now() - interval '100 years' GROUP BY 1) x) FROM generate_series(1, 3) a$$);
-- REPEATABLE READ and SERIALIZABLE (where all-visible pages still go through the table AM, which
-- takes the predicate locks).
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT same($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT * FROM tail_plan($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$, true);
SELECT same($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
COMMIT;
-- Most rows in compressed chunks, one bitmap heap scan child: the node, which would pull the
-- compressed chunks' rows one at a time, is not offered; PostgreSQL's aggregation stays.
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('mt') c ORDER BY 1 OFFSET 1 LIMIT 2) s;
ANALYZE mt;
SELECT * FROM tail_plan($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
SELECT same($$SELECT time_bucket('1 hour', ts), s, count(*), sum(v) FROM mt
  WHERE acct = 7 AND ts >= now() - interval '100 years' GROUP BY 1, 2$$);
DROP TABLE mt;
DROP FUNCTION timed_plan(text);
DROP FUNCTION tail_plan(text, bool);
DROP FUNCTION same(text);
