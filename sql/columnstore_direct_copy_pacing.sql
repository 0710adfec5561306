-- Direct-to-columnstore COPY writes the batches of every chunk while it reads
-- (src/columnstore/direct.cpp, "Paced writing"): a chunk that got no row while 32,000 rows (or
-- its own buffered rows, if more) went to other chunks has the last rows of its segments written
-- as batches then, not after the input; a row that comes for it later starts a new batch. With
-- strata.compression_encode_thread off the worker is never busy, so when batches are written does
-- not depend on timing. The results equal a plain table's either way.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set direct_pacing_dup :tmpdir '/direct_pacing_dup.csv'
\set direct_pacing_long :tmpdir '/direct_pacing_long.csv'
\set direct_pacing_short :tmpdir '/direct_pacing_short.csv'
\set direct_pacing_split :tmpdir '/direct_pacing_split.csv'
SET TimeZone = 'UTC';
CREATE SCHEMA cs_dcp;
SET search_path = cs_dcp, public;
-- 3 hosts: 1,500 rows of day 1, then `gap` rows of day 2, then 30 more rows of day 1.
CREATE FUNCTION write_input(path text, gap int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$COPY (
    SELECT time, host, v FROM (
      SELECT 1 AS part, g, timestamptz '2026-01-01 00:00:00+00' + g * interval '10 seconds' AS time, 'h' || (g %% 3) AS host, g AS v
        FROM generate_series(1, 1500) g
      UNION ALL
      SELECT 2, g, timestamptz '2026-01-02 00:00:00+00' + g * interval '1 second', 'h' || (g %% 3), g FROM generate_series(1, %s) g
      UNION ALL
      SELECT 3, g, timestamptz '2026-01-01 12:00:00+00' + g * interval '10 seconds', 'h' || (g %% 3), -g FROM generate_series(1, 30) g
    ) r ORDER BY part, g) TO %L WITH (FORMAT csv)$q$, gap, path);
END $$;
SELECT write_input(:'direct_pacing_long', 40000);
SELECT write_input(:'direct_pacing_short', 3000);
-- Per host, the batches of the day-1 chunk (rows in each, in _strata_seq order), and whether the
-- hypertable holds exactly the rows of the input.
CREATE FUNCTION day1_batches(ht regclass) RETURNS TABLE (host text, batch_rows int[]) LANGUAGE plpgsql AS $$
DECLARE comp text;
BEGIN
  SELECT format('%I.%I', cc.schema_name, cc.table_name) INTO comp
    FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
   WHERE format('%I.%I', ch.schema_name, ch.table_name)::regclass =
         (SELECT c FROM show_chunks(ht) c ORDER BY c::text LIMIT 1);
  RETURN QUERY EXECUTE format('SELECT host, array_agg(_strata_count ORDER BY _strata_seq) FROM %s GROUP BY host ORDER BY host', comp);
END $$;
CREATE FUNCTION check_rows(ht regclass, path text) RETURNS TABLE (row_parts bigint, rows bigint, differ bigint) LANGUAGE plpgsql AS $$
BEGIN
  CREATE TEMP TABLE input (time timestamptz, host text, v int);
  EXECUTE format('COPY input FROM %L WITH (FORMAT csv)', path);
  RETURN QUERY EXECUTE format($q$SELECT (SELECT count(*) FROM show_chunks(%1$L) c WHERE pg_relation_size(c) > 0),
    (SELECT count(*) FROM %1$s),
    (SELECT count(*) FROM ((SELECT * FROM %1$s EXCEPT ALL SELECT * FROM input)
                           UNION ALL (SELECT * FROM input EXCEPT ALL SELECT * FROM %1$s)) d)$q$, ht);
  DROP TABLE input;
END $$;
-- The hypertables of the cases below: 1-day chunks, segments by host, batches in time order.
CREATE TABLE long (time timestamptz NOT NULL, host text, v int);
CREATE TABLE short (LIKE long);
CREATE TABLE threaded (LIKE long);
CREATE TABLE split (LIKE long);
SELECT count(*) FROM unnest('{long,short,threaded,split}'::regclass[]) t, create_hypertable(t, by_range('time', interval '1 day')) h;
ALTER TABLE long SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
ALTER TABLE short SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
ALTER TABLE threaded SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
ALTER TABLE split SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
SET strata.compression_encode_thread = off;

-- 40,000 rows of day 2 in between: day 1's 500 rows per host were written as one batch each
-- while day 2 was read; its 10 late rows per host make a second batch.
COPY long FROM :'direct_pacing_long' WITH (FORMAT csv, direct_compress);
SELECT * FROM day1_batches('long');
SELECT * FROM check_rows('long', :'direct_pacing_long');

-- 3,000 rows in between: day 1 is not idle yet, its rows stay buffered (one batch per host).
COPY short FROM :'direct_pacing_short' WITH (FORMAT csv, direct_compress);
SELECT * FROM day1_batches('short');
SELECT * FROM check_rows('short', :'direct_pacing_short');

-- With the encoding worker (its timing decides when batches are written): the same rows.
RESET strata.compression_encode_thread;
COPY threaded FROM :'direct_pacing_long' WITH (FORMAT csv, direct_compress);
SELECT * FROM check_rows('threaded', :'direct_pacing_long');
SELECT sum(n) AS day1_rows FROM day1_batches('threaded') b, unnest(b.batch_rows) n;

-- The rows left at the end of the input (here 8 hosts with 900 rows each, 2 with 1,200) are
-- written through two writers in turn, a segment at a time: every host's batches are numbered
-- 1, 2, ... in time order, the rows and per-batch bounds are the input's.
COPY (SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second' AS time, 'w' || (g % 10) AS host, g AS v
        FROM generate_series(1, 12000) g WHERE g % 10 < 2 OR g <= 9000 ORDER BY g)
  TO :'direct_pacing_split' WITH (FORMAT csv);
COPY split FROM :'direct_pacing_split' WITH (FORMAT csv, direct_compress);
SELECT * FROM day1_batches('split');
SELECT * FROM check_rows('split', :'direct_pacing_split');
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS split_cs FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id WHERE ch.table_name = (SELECT relname FROM pg_class WHERE oid =
  (SELECT c FROM show_chunks('split') c LIMIT 1)) \gset
SELECT count(*) AS batches, count(DISTINCT (host, _strata_seq)) AS distinct_seq,
       count(*) FILTER (WHERE b.lo IS DISTINCT FROM b.min OR b.hi IS DISTINCT FROM b.max) AS wrong_bounds
  FROM (SELECT host, _strata_seq, _strata_min_1 AS min, _strata_max_1 AS max,
               (SELECT min(time) FROM split s WHERE s.host = c.host AND s.time >= c._strata_min_1 AND s.time <= c._strata_max_1) AS lo,
               (SELECT max(time) FROM split s WHERE s.host = c.host AND s.time >= c._strata_min_1 AND s.time <= c._strata_max_1) AS hi
          FROM :split_cs c) b;

-- A unique index, chunks this COPY creates: their batches are all the COPY's own, so no batch is
-- moved into the row part for a key and the empty row part is not probed; a key equal to one of
-- a batch written 2,000 rows before is found among the COPY's keys at the end (23505, nothing
-- left). A chunk that had a row before the COPY is probed as before.
CREATE TABLE uq (time timestamptz NOT NULL, host text, v int);
SELECT count(*) FROM create_hypertable('uq', by_range('time', interval '1 day'));
ALTER TABLE uq SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
CREATE UNIQUE INDEX ON uq (host, time);
CREATE FUNCTION try_copy(path text, clause text DEFAULT '') RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE format('COPY uq FROM %L WITH (FORMAT csv, direct_compress) ', path) || clause;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || d;
END $$;
COPY (SELECT timestamptz '2026-03-01 00:00:00+00' + (CASE WHEN g = 2500 THEN 10 ELSE g END) * interval '1 second', 'u1', g
        FROM generate_series(1, 2500) g ORDER BY g)
  TO :'direct_pacing_dup' WITH (FORMAT csv);
SELECT try_copy(:'direct_pacing_dup');
SELECT count(*) FROM uq;
COPY (SELECT timestamptz '2026-03-01 00:00:00+00' + g * interval '1 second', 'u1', g FROM generate_series(1, 2500) g ORDER BY g)
  TO :'direct_pacing_dup' WITH (FORMAT csv);
COPY uq FROM :'direct_pacing_dup' WITH (FORMAT csv, direct_compress);
INSERT INTO uq VALUES ('2026-03-02 00:00:05+00', 'u1', 0);
COPY (SELECT timestamptz '2026-03-02 00:00:00+00' + g * interval '1 second', 'u1', g FROM generate_series(1, 2500) g ORDER BY g)
  TO :'direct_pacing_dup' WITH (FORMAT csv);
SELECT try_copy(:'direct_pacing_dup');
SELECT count(*), count(*) FILTER (WHERE time >= '2026-03-02 00:00:00+00') AS day2 FROM uq;

-- A row the COPY's own statement writes into the row part of a chunk the COPY converted (here from
-- a function its WHERE calls, at the second row, for a key the COPY's fifth row has): the COPY's
-- keys are looked up in the row part at the end (23505, nothing left).
CREATE FUNCTION ins_dup(t timestamptz) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
  IF t = '2026-03-03 00:00:02+00' THEN INSERT INTO uq VALUES ('2026-03-03 00:00:05+00', 'u1', -1); END IF;
  RETURN true;
END $$;
COPY (SELECT timestamptz '2026-03-03 00:00:00+00' + g * interval '1 second', 'u1', g FROM generate_series(1, 2500) g ORDER BY g)
  TO :'direct_pacing_dup' WITH (FORMAT csv);
SELECT try_copy(:'direct_pacing_dup', 'WHERE ins_dup(time)');
SELECT count(*) FROM uq WHERE time >= '2026-03-03 00:00:00+00';

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA cs_dcp CASCADE;
