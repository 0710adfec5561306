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

DROP SCHEMA cs_orphan CASCADE;
