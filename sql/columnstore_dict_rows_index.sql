-- A segment's dictionary rows (count 0, NULL metadata) lie in the companion's index beside its
-- batches. When the index column after the segmentby columns is the batch minimum of a NOT NULL
-- column, the scans read the segment's range with an `IS NOT NULL` key on it: the index passes
-- over the dictionary rows (they are never fetched from the heap) and the range ends at the
-- first of them. Shown by the index entries the companion's index returns in the transaction
-- (pg_stat_get_xact_tuples_returned): the segment's batches only. With a nullable first orderby
-- column the key is not added (a batch of NULLs has a NULL minimum too): the dictionary rows are
-- returned and skipped as before. The rows are the plain copy's in every case.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dridx;
SET search_path = cs_dridx, public;
SET max_parallel_workers_per_gather = 0;

CREATE TABLE t (ts timestamptz NOT NULL, account text NOT NULL, device text, status text, v int);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a' || a,
       'dev-' || md5(a::text || '-' || d::text), (ARRAY['up', 'down', 'idle'])[1 + (s + d) % 3],
       CASE WHEN s < 8 THEN NULL ELSE s * 1000 + d END
FROM generate_series(0, 1) a, generate_series(0, 19) s, generate_series(0, 149) d;
CREATE TABLE ref AS SELECT * FROM t;
-- the same rows with the nullable v as the first orderby column
CREATE TABLE n (LIKE t);
SELECT count(*) FROM create_hypertable('n', by_range('ts', interval '1 day'));
INSERT INTO n SELECT * FROM t;
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device');
ALTER TABLE n SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'v, ts');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT count(compress_chunk(c)) FROM show_chunks('n') c;
CREATE FUNCTION companion_index(h regclass) RETURNS regclass LANGUAGE sql AS $$
  SELECT i.indexrelid::regclass FROM _strata_catalog.compressed_chunk cc
    JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
    JOIN pg_index i ON i.indrelid = format('%I.%I', cc.schema_name, cc.table_name)::regclass
   WHERE format('%I.%I', ch.schema_name, ch.table_name)::regclass IN (SELECT show_chunks(h))
$$;
CREATE FUNCTION companion(h regclass) RETURNS regclass LANGUAGE sql AS $$
  SELECT format('%I.%I', cc.schema_name, cc.table_name)::regclass FROM _strata_catalog.compressed_chunk cc
    JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
   WHERE format('%I.%I', ch.schema_name, ch.table_name)::regclass IN (SELECT show_chunks(h))
$$;
SELECT companion_index('t') AS tidx, companion('t') AS tcomp, companion_index('n') AS nidx,
       companion('n') AS ncomp \gset
-- batches and dictionary rows of segment a1 (device and status are coded into shared dictionaries)
SELECT count(*) FILTER (WHERE _strata_count > 0) AS batches, count(*) FILTER (WHERE _strata_count = 0) AS dictionary_rows
  FROM :tcomp WHERE account = 'a1';
SELECT count(*) FILTER (WHERE _strata_count > 0) AS batches, count(*) FILTER (WHERE _strata_count = 0) AS dictionary_rows
  FROM :ncomp WHERE account = 'a1';

-- The ordered scan (the newest rows of one device) and an unordered one (an aggregate over the
-- segment's rows, not pushed down: a filter on v).
SELECT ts, account, device, status, v FROM t
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3;
SELECT ts, account, device, status, v FROM ref
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3;
SELECT count(*), sum(v), min(status) FROM t WHERE account = 'a1' AND v % 7 = 3;
SELECT count(*), sum(v), min(status) FROM ref WHERE account = 'a1' AND v % 7 = 3;
BEGIN;
-- (the segment's dictionaries read into the backend's cache first, in the same transaction: its
-- locks held, no invalidation empties the cache before the counted scan)
SELECT count(*) FROM (SELECT * FROM t WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3) s;
SELECT pg_stat_get_xact_tuples_returned(:'tidx'::regclass) AS before \gset
SELECT count(*) FROM (SELECT * FROM t WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3) s;
SELECT pg_stat_get_xact_tuples_returned(:'tidx'::regclass) - :before AS index_entries_ordered \gset
SELECT count(*) FROM t WHERE account = 'a1' AND v % 7 = 3;
SELECT pg_stat_get_xact_tuples_returned(:'tidx'::regclass) - :before - :index_entries_ordered AS index_entries_unordered;
SELECT :index_entries_ordered AS index_entries_ordered;
COMMIT;

-- Nullable first orderby column: the dictionary rows are returned by the index (and skipped).
SELECT ts, account, device, status, v FROM n
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY v DESC NULLS LAST, ts LIMIT 3;
SELECT ts, account, device, status, v FROM ref
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY v DESC NULLS LAST, ts LIMIT 3;
SELECT count(*), count(v), min(status) FROM n WHERE account = 'a1' AND status <> 'idle';
SELECT count(*), count(v), min(status) FROM ref WHERE account = 'a1' AND status <> 'idle';
BEGIN;
SELECT count(*) FROM n WHERE account = 'a1' AND status <> 'idle';  -- (the dictionaries cached, as above)
SELECT pg_stat_get_xact_tuples_returned(:'nidx'::regclass) AS before \gset
SELECT count(*) FROM n WHERE account = 'a1' AND status <> 'idle';
SELECT pg_stat_get_xact_tuples_returned(:'nidx'::regclass) - :before AS index_entries;
COMMIT;

-- SET NOT NULL on the nullable first orderby column: the compressed rows are checked through the
-- columnstore scan after the column is marked NOT NULL (which the IS NOT NULL key trusts), and the
-- batch of NULLs (its minimum NULL, beside a dictionary row) must still be read: the ALTER fails.
SELECT count(*) FILTER (WHERE _strata_count > 0 AND _strata_min_1 IS NULL) AS batches_of_nulls,
       count(*) FILTER (WHERE _strata_count = 0) AS dictionary_rows
  FROM :ncomp WHERE account = 'a1';
ALTER TABLE n ALTER COLUMN v SET NOT NULL;
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'n'::regclass AND attname = 'v';
