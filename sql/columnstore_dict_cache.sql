-- A backend keeps the shared dictionaries it decoded (per companion table, by id) for its later
-- scans of the same companion: a short query that opens one batch then neither reads its
-- segment's dictionary rows nor deserializes the dictionaries again. The cache goes with the
-- companion's relcache invalidation. Shown by removing the dictionary rows behind the cache's
-- back: the next scan in the session still decodes (cached); after an invalidation of the
-- companion it cannot (the rows are gone), and neither can a new session.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dcache;
SET search_path = cs_dcache, public;
SET max_parallel_workers_per_gather = 0;
-- (errors are shown by their SQLSTATE only: the companion's name depends on the chunk ids)
\set VERBOSITY sqlstate

CREATE TABLE t (ts timestamptz NOT NULL, account text NOT NULL, device text, status text, v int);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a' || a,
       'dev-' || md5(a::text || '-' || d::text), (ARRAY['up', 'down', 'idle'])[1 + (s + d) % 3], s * 1000 + d
FROM generate_series(0, 1) a, generate_series(0, 19) s, generate_series(0, 149) d;
CREATE TABLE ref AS SELECT * FROM t;
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device', timescaledb.compress_index = 'bloom(device)');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS comp FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id WHERE ch.table_name = (
    SELECT relname FROM pg_class WHERE oid = (SELECT c FROM show_chunks('t') c LIMIT 1)) \gset
-- device is encoded against its segment's shared dictionary
SELECT count(*) FILTER (WHERE _strata_count = 0) AS dictionary_rows FROM :comp;

-- The newest rows of one device, as from the plain copy.
CREATE VIEW recent AS
  SELECT ts, account, device, status, v FROM t
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3;
SELECT * FROM recent;
SELECT ts, account, device, status, v FROM ref
  WHERE account = 'a1' AND device = 'dev-' || md5('1-7') ORDER BY ts DESC LIMIT 3;
EXPLAIN (COSTS OFF) SELECT * FROM recent;

-- strata.dictionary_cache_size = 0 keeps no dictionary (and drops those kept): without the
-- dictionary rows the batches cannot decode. Nor with a cache too small for the dictionaries
-- (one may take at most a quarter of it).
BEGIN;
DELETE FROM :comp WHERE _strata_count = 0;
SET LOCAL strata.dictionary_cache_size = 0;
SELECT * FROM recent;
ROLLBACK;
BEGIN;
SET LOCAL strata.dictionary_cache_size = '4kB';
SELECT * FROM recent;
DELETE FROM :comp WHERE _strata_count = 0;
SELECT * FROM recent;
ROLLBACK;
-- (with the default cache size, the dictionaries are kept again)
SELECT * FROM recent;

-- Without its dictionary rows, the companion's batches still decode in this session (the
-- dictionaries are cached)...
DELETE FROM :comp WHERE _strata_count = 0;
SELECT * FROM recent;
-- (the other segment, whose dictionaries no scan decoded, cannot: its rows are really gone)
SELECT count(DISTINCT device) FROM t WHERE account = 'a0';

-- ...until the companion's relcache entry is invalidated (here by ANALYZE: any change to it or
-- its pg_class row does), which drops its cached dictionaries: the batches refer to dictionaries
-- their segment no longer holds.
ANALYZE :comp;
SELECT * FROM recent;

-- A new session has no cached dictionaries either.
\c -
\set VERBOSITY sqlstate
SET search_path = cs_dcache, public;
SELECT * FROM recent;
DROP SCHEMA cs_dcache CASCADE;
