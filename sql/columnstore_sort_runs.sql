-- compress_chunk's in-memory sort: when a segment's rows are already in order by the first
-- orderby column (rows loaded in time order) but not by the next ones, only each run of rows with
-- an equal first key is sorted. The batches are the same bytes as PostgreSQL's tuplesort gives
-- (strata.compression_sort_in_memory off) for orders without ties (the tuplesort keeps no order
-- among equal rows), with NULLs in the second key (NULLS FIRST and LAST), DESC, and a segment
-- whose first key is out of order.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_runs;
SET search_path = cs_runs, public;

-- Compresses every chunk of `tab` with the in-memory sort off (tuplesort), keeps the companion
-- rows as text, decompresses, compresses again in memory: batches, and companion rows that differ
-- (without shared dictionaries, which only the in-memory path plans).
CREATE FUNCTION vs_tuplesort(tab regclass, OUT batches bigint, OUT differences bigint) LANGUAGE plpgsql AS $$
DECLARE
  ch regclass := (SELECT show_chunks(tab) LIMIT 1);
  comp text;
BEGIN
  PERFORM set_config('strata.compression_shared_dictionaries', 'off', true);
  PERFORM set_config('strata.compression_sort_in_memory', 'off', true);
  PERFORM compress_chunk(ch);
  SELECT format('%I.%I', c.schema_name, c.table_name) INTO comp FROM _strata_catalog.compressed_chunk c
    JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = ch;
  EXECUTE format('CREATE TEMP TABLE rows_sorted AS SELECT c::text AS row FROM %s c', comp);
  PERFORM decompress_chunk(ch);
  PERFORM set_config('strata.compression_sort_in_memory', 'on', true);
  PERFORM compress_chunk(ch);
  EXECUTE format('SELECT count(*) FROM %s WHERE _strata_count > 0', comp) INTO batches;
  EXECUTE format('SELECT count(*) FROM ((SELECT c::text FROM %s c EXCEPT ALL SELECT row FROM rows_sorted)
                  UNION ALL (SELECT row FROM rows_sorted EXCEPT ALL SELECT c::text FROM %s c)) d', comp, comp) INTO differences;
  DROP TABLE rows_sorted;
  PERFORM decompress_chunk(ch);
END $$;

CREATE TABLE r (time timestamptz NOT NULL, acct text, device text, v int);
SELECT count(*) FROM create_hypertable('r', by_range('time', interval '100 days'), create_default_indexes => false);
-- rows in time order, devices shuffled within each time, a device twice at some times (a tie on
-- both, broken by v), NULL devices; segment 'late' has its times out of order
INSERT INTO r
SELECT timestamptz '2026-04-01 00:00:00+00' + (g / 60) * interval '1 minute', 'acct_' || (g % 2),
       CASE WHEN g % 17 = 0 THEN NULL ELSE 'dev_' || lpad(((g * 37) % 60 / (1 + g % 3 / 2))::text, 3, '0') END, g
  FROM generate_series(0, 5999) g;
INSERT INTO r
SELECT timestamptz '2026-04-01 00:00:00+00' + ((g * 7919) % 300) * interval '1 minute', 'late',
       'dev_' || lpad(((g * 13) % 40)::text, 3, '0'), g
  FROM generate_series(0, 2999) g;
ANALYZE r;
CREATE TABLE r_expected AS SELECT * FROM r;
ALTER TABLE r SET (timescaledb.compress, timescaledb.compress_segmentby = 'acct',
                   timescaledb.compress_orderby = 'time, device, v');
SELECT * FROM vs_tuplesort('r');
ALTER TABLE r SET (timescaledb.compress_orderby = 'time, device DESC NULLS LAST, v');
SELECT * FROM vs_tuplesort('r');
ALTER TABLE r SET (timescaledb.compress_orderby = 'time, device NULLS FIRST, v DESC');
SELECT * FROM vs_tuplesort('r');
-- (the first key in reverse order: rows loaded in time order under time DESC are reversed)
ALTER TABLE r SET (timescaledb.compress_orderby = 'time DESC, device, v');
SELECT * FROM vs_tuplesort('r');
SELECT count(*) AS differences FROM ((SELECT * FROM r EXCEPT ALL SELECT * FROM r_expected)
                                     UNION ALL (SELECT * FROM r_expected EXCEPT ALL SELECT * FROM r)) d;

RESET search_path;
DROP SCHEMA cs_runs CASCADE;
