-- Shared-dictionary rows of a segment left without batches (issue 14 storage, issue 17 DML): an
-- UPDATE, DELETE or MERGE that moves or deletes every batch of a segment deletes the segment's
-- dictionary rows too (no orphan dictionary rows stay in the companion); a segment that keeps a
-- batch keeps them; a rolled-back statement keeps them; results stay those of a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET strata.dictionary_cache_size = 0;  -- (every scan decodes from the segment's dictionary rows)
CREATE SCHEMA cs_orphan;
SET search_path = cs_orphan, public;
SET max_parallel_workers_per_gather = 0;

-- Accounts a0..a3: 150 devices every minute for 20 minutes (3 batches each, device and model
-- planned as shared dictionaries).
CREATE TABLE t (ts timestamptz NOT NULL, account text NOT NULL, device text, v int, model text);
SELECT count(*) FROM create_hypertable('t', by_range('ts', interval '1 day'));
INSERT INTO t
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a' || a,
       'dev-' || md5(a::text || '-' || d::text), s * 1000 + d, 'model-' || repeat('x', 20) || (d % 10)
FROM generate_series(0, 3) a, generate_series(0, 19) s, generate_series(0, 149) d;
CREATE TABLE ref AS SELECT * FROM t;
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device');
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
-- Per segment of the (one) compressed chunk of a hypertable: its dictionary rows and batches.
CREATE FUNCTION segments_of(ht regclass) RETURNS TABLE (account text, dictionaries bigint, batches bigint)
LANGUAGE plpgsql AS $$
DECLARE comp text;
BEGIN
  SELECT format('%I.%I', cc.schema_name, cc.table_name) INTO comp
    FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
   WHERE format('%I.%I', ch.schema_name, ch.table_name)::regclass = (SELECT c FROM show_chunks(ht) c LIMIT 1);
  RETURN QUERY EXECUTE format('SELECT account, count(*) FILTER (WHERE _strata_count = 0),
    count(*) FILTER (WHERE _strata_count > 0) FROM %s GROUP BY account ORDER BY account', comp);
END $$;
CREATE VIEW segments AS SELECT * FROM segments_of('t');
CREATE FUNCTION same() RETURNS boolean LANGUAGE sql AS $$
  SELECT NOT EXISTS ((SELECT * FROM t EXCEPT ALL SELECT * FROM ref) UNION ALL (SELECT * FROM ref EXCEPT ALL SELECT * FROM t))
$$;
SELECT * FROM segments;

-- A DELETE of a whole segment (its batches deleted whole, without decoding): its dictionary rows go.
DELETE FROM t WHERE account = 'a0';
DELETE FROM ref WHERE account = 'a0';
SELECT * FROM segments;
SELECT same();

-- An UPDATE that moves every batch of a segment into the row part: its dictionary rows go too
-- (a recompression writes the segment's batches again).
UPDATE t SET v = v + 1 WHERE account = 'a1';
UPDATE ref SET v = v + 1 WHERE account = 'a1';
SELECT * FROM segments;
SELECT same();

-- A DELETE of part of a segment: the batches left keep their dictionary rows, and decode.
DELETE FROM t WHERE account = 'a2' AND ts >= '2024-01-01 00:15+00';
DELETE FROM ref WHERE account = 'a2' AND ts >= '2024-01-01 00:15+00';
SELECT * FROM segments;
SELECT same();
SELECT count(*), sum(length(device)), count(DISTINCT model) FROM t WHERE account = 'a2';

-- Rolled back: the segment's batches and dictionary rows are back.
BEGIN;
DELETE FROM t WHERE account = 'a3';
SELECT * FROM segments;
ROLLBACK;
SELECT * FROM segments;
SELECT same();

-- A whole-segment DELETE with RETURNING (rows moved, then deleted from the row part).
WITH d AS (DELETE FROM t WHERE account = 'a3' AND v >= 0 RETURNING v) SELECT count(*), sum(v) FROM d;
DELETE FROM ref WHERE account = 'a3';
SELECT * FROM segments;
SELECT same();

-- Recompression merges the row part into a1 and a2 (rows moved there): their batches are written
-- again, with batch-local dictionaries on this path (no dictionary rows).
SELECT count(compress_chunk(c)) FROM show_chunks('t') c;
SELECT * FROM segments;
SELECT same();

-- Batches moved by INSERT ... ON CONFLICT (their rows stay in the row part, so the segment's
-- dictionary rows stay for its recompression), whose rows are then deleted from the row part: the
-- next recompression, which does not touch the segment (no rows of it in the row part), deletes
-- the dictionary rows of the segment left without batches.
CREATE TABLE u (ts timestamptz NOT NULL, account text NOT NULL, device text, v int, model text,
                UNIQUE (account, ts, device));
SELECT count(*) FROM create_hypertable('u', by_range('ts', interval '1 day'));
INSERT INTO u SELECT * FROM ref WHERE account = 'a2';
INSERT INTO u SELECT ts, 'b' || substr(account, 2), device, v, model FROM ref WHERE account = 'a2';
ALTER TABLE u SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device');
SELECT count(compress_chunk(c)) FROM show_chunks('u') c;
CREATE VIEW usegments AS SELECT * FROM segments_of('u');
SELECT * FROM usegments;
-- one conflicting key in each of a2's batches
INSERT INTO u SELECT * FROM ref WHERE account = 'a2' AND device = 'dev-' || md5('2-0')
   AND ts IN ('2024-01-01 00:00+00', '2024-01-01 00:07+00', '2024-01-01 00:14+00')
ON CONFLICT DO NOTHING;
SELECT * FROM usegments;
DELETE FROM u WHERE account = 'a2';
SELECT * FROM usegments;
SELECT count(compress_chunk(c)) FROM show_chunks('u') c;
SELECT * FROM usegments;
SELECT count(*), sum(v), count(DISTINCT device) FROM u;

-- The catalog row's has_dictionaries says whether the companion may hold dictionary rows: a
-- DELETE or UPDATE that empties segments of a companion without any does not look for theirs.
-- d and nd hold the same rows; nd is compressed with shared dictionaries off.
CREATE TABLE d (LIKE t);
SELECT count(*) FROM create_hypertable('d', by_range('ts', interval '1 day'));
INSERT INTO d
SELECT '2024-01-01 00:00:00+00'::timestamptz + s * interval '1 minute', 'a' || a,
       'dev-' || md5(a::text || '-' || d::text), s * 1000 + d, 'model-' || repeat('x', 20) || (d % 10)
FROM generate_series(0, 3) a, generate_series(0, 19) s, generate_series(0, 149) d;
CREATE TABLE nd (LIKE d);
SELECT count(*) FROM create_hypertable('nd', by_range('ts', interval '1 day'));
INSERT INTO nd SELECT * FROM d;
ALTER TABLE d SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'ts, device');
ALTER TABLE nd SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                    timescaledb.compress_orderby = 'ts, device');
SELECT count(compress_chunk(c)) FROM show_chunks('d') c;
SET strata.compression_shared_dictionaries = off;
SELECT count(compress_chunk(c)) FROM show_chunks('nd') c;
RESET strata.compression_shared_dictionaries;
CREATE VIEW dsegments AS SELECT * FROM segments_of('d');
CREATE VIEW ndsegments AS SELECT * FROM segments_of('nd');
SELECT * FROM dsegments;
SELECT * FROM ndsegments;
CREATE VIEW flags AS
SELECT h.table_name, cc.has_dictionaries FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
 WHERE h.table_name IN ('d', 'nd') ORDER BY 1;
SELECT * FROM flags;
-- The index scans of a hypertable's companion tables in this transaction (pg_stat_xact: this
-- backend's own counts, up to date).
CREATE FUNCTION companion_scans(ht text) RETURNS bigint LANGUAGE sql AS $$
  SELECT coalesce(sum(pg_stat_get_xact_numscans(i.indexrelid)), 0)::bigint
    FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
    JOIN pg_class c ON c.relname = cc.table_name AND c.relnamespace = cc.schema_name::regnamespace
    JOIN pg_index i ON i.indrelid = c.oid
   WHERE h.table_name = ht
$$;
-- The scans of ht's companion indexes that statement `stmt` makes itself to find batches and
-- dictionary rows (its plan reads the chunk without index scans).
CREATE FUNCTION scans_of(ht text, stmt text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE before bigint := companion_scans(ht);
BEGIN
  SET LOCAL enable_indexscan = off;
  SET LOCAL enable_bitmapscan = off;
  EXECUTE stmt;
  RETURN companion_scans(ht) - before;
END $$;
-- A whole segment deleted (its batches without decoding): with dictionary rows, the scan that
-- finds the batches and one that finds the emptied segment's dictionary rows (they go); without,
-- the first one only.
BEGIN;
SELECT ht, scans_of(ht, format('DELETE FROM %I WHERE account = ''a0''', ht)) FROM unnest('{d,nd}'::text[]) ht;
SELECT * FROM dsegments;
SELECT * FROM ndsegments;
ROLLBACK;
-- An UPDATE that moves every batch of a segment (decoded: with dictionary rows, the reads of the
-- segment's dictionaries count too): without dictionary rows, again the first scan only.
BEGIN;
SELECT ht, scans_of(ht, format('UPDATE %I SET v = v + 1 WHERE account = ''a2''', ht)) FROM unnest('{d,nd}'::text[]) ht;
SELECT * FROM dsegments;
SELECT * FROM ndsegments;
ROLLBACK;
-- Recompression (segment-wise, batch-local dictionaries) keeps each flag.
INSERT INTO d VALUES ('2024-01-01 00:30+00', 'a3', 'dev-new', 1, 'model-new');
INSERT INTO nd VALUES ('2024-01-01 00:30+00', 'a3', 'dev-new', 1, 'model-new');
SELECT count(compress_chunk(c)) FROM show_chunks('d') c;
SELECT count(compress_chunk(c)) FROM show_chunks('nd') c;
SELECT * FROM flags;
SELECT * FROM dsegments;
SELECT * FROM ndsegments;
SELECT NOT EXISTS ((SELECT * FROM d EXCEPT ALL SELECT * FROM nd) UNION ALL (SELECT * FROM nd EXCEPT ALL SELECT * FROM d)) AS same;

DROP SCHEMA cs_orphan CASCADE;
