-- UPDATE that moves a row's time into or out of a compressed chunk's range (issue 17): out of one,
-- the row leaves its batch (the batch moves into the row part first, as for any UPDATE of
-- compressed rows); into one, it goes to the chunk's row part (the chunk becomes partial), with
-- unique keys checked across its batches. Results equal those of the same UPDATEs on a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_um;
SET search_path = cs_um, public;

CREATE TABLE m (time timestamptz NOT NULL, device int NOT NULL, v int, note text);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                   timescaledb.compress_orderby = 'time');
CREATE UNIQUE INDEX m_key ON m (device, time);
-- 3 days, 4 devices, a row every 10 minutes.
INSERT INTO m SELECT timestamptz '2026-01-01' + g * interval '10 minutes', d, g * 10 + d, 'n' || g
  FROM generate_series(0, 3 * 144 - 1) g, generate_series(1, 4) d;
CREATE TABLE p (LIKE m);
CREATE UNIQUE INDEX p_key ON p (device, time);
INSERT INTO p SELECT * FROM m;
-- Days 1 and 3 compressed, day 2 not.
SELECT count(compress_chunk(c)) FROM show_chunks('m') c WHERE c::text ~ '_(1|3)_chunk$';
CREATE FUNCTION states() RETURNS TABLE (day date, status int) LANGUAGE sql AS $$
  SELECT date_trunc('day', to_timestamp(range_start / 1000000.0))::date, status FROM _strata_catalog.chunk ORDER BY range_start $$;
CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((TABLE m EXCEPT ALL TABLE p) UNION ALL (TABLE p EXCEPT ALL TABLE m)) d $$;
SELECT * FROM states();

-- Out of a compressed chunk (day 1) into an uncompressed one (day 2).
UPDATE m SET time = time + interval '1 day 5 minutes', note = 'moved 1' WHERE device = 2 AND time < '2026-01-01 01:00'
  RETURNING tableoid::regclass AS chunk, *;
UPDATE p SET time = time + interval '1 day 5 minutes', note = 'moved 1' WHERE device = 2 AND time < '2026-01-01 01:00';
SELECT diff();
-- Into a compressed chunk (day 3) from an uncompressed one (day 2).
UPDATE m SET time = time + interval '1 day 1 minute', note = 'moved 2' WHERE device = 3 AND time >= '2026-01-02 12:00' AND time < '2026-01-02 13:00'
  RETURNING tableoid::regclass AS chunk, time, device, v, note;
UPDATE p SET time = time + interval '1 day 1 minute', note = 'moved 2' WHERE device = 3 AND time >= '2026-01-02 12:00' AND time < '2026-01-02 13:00';
SELECT diff();
-- From a compressed chunk into another compressed chunk (day 1 -> day 3), and back (day 3 -> day 1).
UPDATE m SET time = time + interval '2 days 2 minutes' WHERE device = 4 AND time >= '2026-01-01 06:00' AND time < '2026-01-01 07:00';
UPDATE p SET time = time + interval '2 days 2 minutes' WHERE device = 4 AND time >= '2026-01-01 06:00' AND time < '2026-01-01 07:00';
UPDATE m SET time = time - interval '2 days 3 minutes' WHERE device = 1 AND time >= '2026-01-03 20:00' AND time < '2026-01-03 21:00';
UPDATE p SET time = time - interval '2 days 3 minutes' WHERE device = 1 AND time >= '2026-01-03 20:00' AND time < '2026-01-03 21:00';
SELECT diff();
SELECT * FROM states();
SELECT count(*), sum(v) FROM m;
-- The same key already in a batch of the destination (device 2's rows of day 3 are all in their
-- batch): a unique violation, nothing changes.
SELECT format('%I.%I', schema_name, table_name) AS day3 FROM _strata_catalog.compressed_chunk ORDER BY chunk_id DESC LIMIT 1 \gset
SELECT device, _strata_count FROM :day3 WHERE device = 2;
\set VERBOSITY terse
UPDATE m SET time = time + interval '2 days' WHERE device = 2 AND time = '2026-01-01 08:00';
\set VERBOSITY default
SELECT diff();
-- Recompressing and decompressing keep the rows.
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT * FROM states();
SELECT diff();
SELECT count(decompress_chunk(c)) FROM show_chunks('m') c;
SELECT diff();

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA cs_um CASCADE;
