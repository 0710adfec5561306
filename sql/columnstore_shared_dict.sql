-- Per-segment shared dictionaries (issue 14, storage): a text or uuid column whose batches repeat
-- the same values (fleet device ids) is encoded against one dictionary per segment, stored once
-- in a dictionary row of the companion (_strata_count 0, the dictionary in _strata_dict); every
-- reader (scan, aggregation, DML, decompression, recompression, ALTER COLUMN TYPE) finds it, also
-- when it reads a segment's batches through the index and never meets the dictionary row.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dict;
SET search_path = cs_dict, public;
SET max_parallel_workers_per_gather = 0;

-- Accounts a0 and a1: 150 devices reporting every minute for 20 minutes (3 batches, each holding
-- every device); a2: 10 devices, 5 reports (one batch: no shared dictionary). status has 3 short
-- values (its batches' own dictionaries are small: not planned); model 10 longer ones, the same in
-- every account (planned in a0, its dictionary kept for a1 without reading a1's rows again).
CREATE TABLE t (ts timestamptz NOT NULL, account text NOT NULL, device text, u uuid, status text, v int,
                model text);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a' || a,
       CASE WHEN (s + d) % 41 = 0 THEN NULL ELSE 'dev-' || md5(a::text || '-' || d::text) END,
       md5('u' || d::text)::uuid, (ARRAY['up', 'down', 'idle'])[1 + (s + d) % 3], s * 1000 + d,
       'model-' || repeat('x', 20) || (d % 10)
FROM generate_series(0, 1) a, generate_series(0, 19) s, generate_series(0, 149) d;
INSERT INTO t
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a2', 'dev-' || md5('2-' || d::text),
       md5('u' || d::text)::uuid, 'up', s * 1000 + d, 'model-' || repeat('x', 20) || (d % 10)
FROM generate_series(0, 4) s, generate_series(0, 9) d;
CREATE TABLE ref AS SELECT * FROM t;
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device', timescaledb.compress_index = 'bloom(device)');

-- The same rows without shared dictionaries, for the sizes.
CREATE TABLE t_off (LIKE t);
SELECT count(*) FROM create_hypertable('t_off', by_range('ts', interval '1 day'));
INSERT INTO t_off SELECT * FROM t;
ALTER TABLE t_off SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                       timescaledb.compress_orderby = 'ts, device', timescaledb.compress_index = 'bloom(device)');
SET strata.compression_shared_dictionaries = off;
SELECT count(compress_chunk(c)) FROM show_chunks('t_off') c;
RESET strata.compression_shared_dictionaries;
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;

SELECT format('%I.%I', cc.schema_name, cc.table_name) AS comp FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id WHERE ch.table_name = (
    SELECT relname FROM pg_class WHERE oid = (SELECT c FROM show_chunks('t') c LIMIT 1)) \gset
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS comp_off FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id WHERE ch.table_name = (
    SELECT relname FROM pg_class WHERE oid = (SELECT c FROM show_chunks('t_off') c LIMIT 1)) \gset

-- Dictionary rows: one per column that pays (device, u and model) in a0 and a1; none in a2 (one
-- batch) and none for status; none with the setting off. Batches are unchanged. a0's and a1's
-- dictionaries of model are the same bytes (kept; u's differ in the order the values came in).
SELECT account, count(*) FILTER (WHERE _strata_count = 0) AS dictionaries,
       count(*) FILTER (WHERE _strata_count > 0) AS batches, sum(_strata_count) AS rows
  FROM :comp GROUP BY account ORDER BY account;
SELECT count(*) AS dictionaries, count(DISTINCT _strata_dict) AS different FROM :comp WHERE _strata_count = 0;
SELECT count(*) FILTER (WHERE _strata_count = 0) AS dictionaries, count(*) AS batches FROM :comp_off;
SELECT bool_and(_strata_seq = 0 AND _strata_dict IS NOT NULL AND device IS NULL AND _strata_min_1 IS NULL)
  AS dictionary_rows_hold_only_the_dictionary FROM :comp WHERE _strata_count = 0;
SELECT bool_and(_strata_dict IS NULL) AS batch_rows_have_none FROM :comp WHERE _strata_count > 0;
SELECT format_version FROM _strata_catalog.compressed_chunk ORDER BY chunk_id;
-- smaller: device's per-batch dictionaries were most of the batches' bytes
SELECT (SELECT sum(pg_column_size(c.*)) FROM :comp c)::float8
       / (SELECT sum(pg_column_size(c.*)) FROM :comp_off c) < 0.8 AS smaller;

-- Whether q returns the same rows on t and on ref (q's "%I" is the table): digests of the rows in
-- text order.
CREATE FUNCTION digest(q text, tab text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d text;
BEGIN
  EXECUTE format('SELECT md5(string_agg(x::text, '','' ORDER BY x::text)) FROM (%s) x', format(q, tab)) INTO d;
  RETURN d;
END $$;
CREATE FUNCTION same(q text) RETURNS boolean LANGUAGE sql AS $$ SELECT digest(q, 't') = digest(q, 'ref') $$;

-- Scans: every row; a device (pushed down onto the dictionary codes); a segment's time range
-- through the companion's index (which never meets the dictionary row: the scan looks it up);
-- ordered with a limit; aggregation pushdown grouped by the dictionary-coded column.
SELECT same('SELECT * FROM %I');
SELECT same($$SELECT ts, v FROM %I WHERE device = 'dev-' || md5('1-77')$$);
SELECT same($$SELECT * FROM %I WHERE account = 'a1' AND ts >= '2024-01-01 00:12+00' AND ts < '2024-01-01 00:15+00'$$);
SELECT same($$SELECT * FROM %I WHERE u = md5('u7')::uuid AND account = 'a0'$$);
SELECT same($$SELECT * FROM (SELECT * FROM %I WHERE account = 'a0' ORDER BY ts DESC, device LIMIT 20) s$$);
SELECT same($$SELECT device, count(*), min(v), max(v) FROM %I GROUP BY device$$);
SELECT same($$SELECT account, count(DISTINCT device), count(u) FROM %I GROUP BY account$$);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT same($$SELECT device, sum(v) FROM %I WHERE account = 'a0' AND ts > '2024-01-01 00:15+00' GROUP BY device$$);
RESET enable_seqscan;
RESET enable_bitmapscan;
-- EXPLAIN ANALYZE counts batches, not dictionary rows (7 batches in all).
CREATE FUNCTION batches(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
  o text := '';
BEGIN
  FOR r IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    IF r ~ 'Batches: ' THEN o := o || trim(r) || ' '; END IF;
  END LOOP;
  RETURN o;
END $$;
SET strata.enable_columnstore_agg_pushdown = off;
SELECT batches('SELECT v FROM t');
RESET strata.enable_columnstore_agg_pushdown;

-- ALTER COLUMN TYPE rewrites the batches of u (uuid to text): its old batches decode with the
-- segment's dictionary.
ALTER TABLE t ALTER COLUMN u TYPE text USING u::text;
ALTER TABLE ref ALTER COLUMN u TYPE text USING u::text;
SELECT same('SELECT * FROM %I');
SELECT same($$SELECT account, u, count(*) FROM %I GROUP BY account, u$$);

-- DML moves the batches of a device's rows into the row part (the dictionary row stays for the
-- segment's other batches).
UPDATE t SET v = -v WHERE device = 'dev-' || md5('0-5') AND ts < '2024-01-01 00:05+00';
UPDATE ref SET v = -v WHERE device = 'dev-' || md5('0-5') AND ts < '2024-01-01 00:05+00';
SELECT same('SELECT * FROM %I');
SELECT count(*) FILTER (WHERE _strata_count = 0) AS dictionaries FROM :comp;
DELETE FROM t WHERE account = 'a1' AND ts >= '2024-01-01 00:18+00';
DELETE FROM ref WHERE account = 'a1' AND ts >= '2024-01-01 00:18+00';
SELECT same('SELECT * FROM %I');

-- Recompression merges the row part into the touched segments (a0 and a1): their batches and
-- dictionary rows are written again, without shared dictionaries on this path.
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT account, count(*) FILTER (WHERE _strata_count = 0) AS dictionaries,
       count(*) FILTER (WHERE _strata_count > 0) AS batches
  FROM :comp GROUP BY account ORDER BY account;
SELECT same('SELECT * FROM %I');

-- Decompression: every row back.
SELECT count(decompress_chunk(c)) FROM show_chunks('t') c;
SELECT same('SELECT * FROM %I');
-- and compressed again, with dictionaries
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS comp FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id WHERE ch.table_name = (
    SELECT relname FROM pg_class WHERE oid = (SELECT c FROM show_chunks('t') c LIMIT 1)) \gset
SELECT count(*) FILTER (WHERE _strata_count = 0) > 0 AS has_dictionaries FROM :comp;
SELECT same('SELECT * FROM %I');

-- A batch whose dictionary row is gone is reported, not misread (count(*) decodes nothing).
DELETE FROM :comp WHERE _strata_count = 0 AND account = 'a0';
-- (this session keeps the dictionaries it decoded until the companion's relcache invalidation:
-- columnstore_dict_cache)
ANALYZE :comp;
SELECT count(*) FROM t WHERE account = 'a0';
SELECT sum(length(device)) FROM t WHERE account = 'a0';
SELECT sum(length(device)) FROM t WHERE account = 'a1';

DROP SCHEMA cs_dict CASCADE;
