-- A plain INSERT keeps the routes of the kept hypertable's chunks across statements (KeptRoutes in
-- src/ingest/dispatch.cpp): a later statement routing to such a chunk takes its relid, its
-- indexes' IndexInfo and its prepared constraint checks from there. They must never be stale: a
-- unique index or a CHECK constraint added, an index dropped, a chunk dropped by drop_chunks, a
-- chunk or an index created in a (sub)transaction that rolled back, compression, each between two
-- executions, behave as with a fresh lookup.
SET timezone = 'UTC';
SET plan_cache_mode = force_generic_plan;
CREATE TABLE kr (ts timestamptz NOT NULL, dev int NOT NULL, val int);
SELECT * FROM create_hypertable('kr', by_range('ts', INTERVAL '1 day'));
CREATE UNIQUE INDEX kr_dev_ts ON kr (dev, ts);
-- where each row is: its chunk's first day
CREATE VIEW kr_rows AS
  SELECT to_char(c.range_start, 'MM-DD') AS chunk, to_char(r.ts, 'MM-DD HH24:MI') AS ts, r.dev, r.val
    FROM kr r JOIN strata_information.chunks c
      ON format('%I.%I', c.chunk_schema, c.chunk_name)::regclass = r.tableoid
   ORDER BY r.ts, r.dev;
PREPARE ins(timestamptz, int, int) AS INSERT INTO kr VALUES ($1, $2, $3);
EXECUTE ins('2024-01-01 01:00', 1, 1);
EXECUTE ins('2024-01-01 02:00', 2, 2);
EXECUTE ins('2024-01-02 01:00', 3, 3);
EXECUTE ins('2024-01-01 03:00', 4, 4);
EXECUTE ins('2024-01-02 02:00', 5, 5);

-- a unique index on (val, ts) added: a row with the time and value of one in the kept route's
-- chunk is refused
CREATE UNIQUE INDEX kr_val_ts ON kr (val, ts);
EXECUTE ins('2024-01-01 01:00', 90, 1);
EXECUTE ins('2024-01-02 01:00', 90, 3);
EXECUTE ins('2024-01-01 05:00', 6, 6);
-- dropped again: the same rows go in (the chunk's routes do not name the dropped index)
DROP INDEX kr_val_ts;
EXECUTE ins('2024-01-01 01:00', 91, 1);
EXECUTE ins('2024-01-02 01:00', 91, 3);

-- a CHECK constraint added: the routed row's checks are no longer only the skipped range check
ALTER TABLE kr ADD CONSTRAINT kr_val CHECK (val >= 0);
EXECUTE ins('2024-01-01 07:00', 7, -1);
EXECUTE ins('2024-01-02 07:00', 7, -1);
EXECUTE ins('2024-01-01 07:00', 7, 8);
ALTER TABLE kr DROP CONSTRAINT kr_val;
EXECUTE ins('2024-01-01 08:00', 8, -8);

-- a unique index created in a transaction that rolled back, used by a route kept in it
BEGIN;
DELETE FROM kr WHERE dev = 91;
CREATE UNIQUE INDEX kr_val_ts_rolled_back ON kr (val, ts);
EXECUTE ins('2024-01-01 09:00', 9, 9);
EXECUTE ins('2024-01-01 10:00', 10, 10);
EXECUTE ins('2024-01-01 10:00', 11, 10);
ROLLBACK;
EXECUTE ins('2024-01-01 01:00', 92, 1);
EXECUTE ins('2024-01-01 01:00', 93, 1);
SELECT * FROM kr_rows;

-- a chunk created in a subtransaction that rolled back, with a route kept in it
BEGIN;
SAVEPOINT before_chunk;
EXECUTE ins('2024-01-05 01:00', 20, 20);
EXECUTE ins('2024-01-05 02:00', 21, 21);
ROLLBACK TO SAVEPOINT before_chunk;
EXECUTE ins('2024-01-05 04:00', 23, 23);
COMMIT;
EXECUTE ins('2024-01-05 05:00', 24, 24);

-- the kept route's chunk dropped by drop_chunks: the next rows of its range go to a new chunk
SELECT count(*) AS dropped FROM drop_chunks('kr', older_than => timestamptz '2024-01-02 00:00+00');
EXECUTE ins('2024-01-01 13:00', 13, 13);
EXECUTE ins('2024-01-01 14:00', 14, 14);
EXECUTE ins('2024-01-02 08:00', 15, 15);
SELECT * FROM kr_rows;

-- compressed: rows of a compressed chunk get the unique check across its batches (a duplicate of
-- a compressed row is refused) and mark it partial
ALTER TABLE kr SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('kr', older_than => timestamptz '2024-01-03 00:00+00') c;
EXECUTE ins('2024-01-02 01:00', 3, 100);
EXECUTE ins('2024-01-02 09:00', 16, 16);
EXECUTE ins('2024-01-02 10:00', 17, 17);
EXECUTE ins('2024-01-02 10:00', 17, 17);
-- with a columnstore, the routes of chunks without compressed rows are kept: the day 01-05 chunk's,
-- until it is compressed between two executions (then a duplicate of a compressed row is refused)
EXECUTE ins('2024-01-05 06:00', 25, 25);
EXECUTE ins('2024-01-05 07:00', 26, 26);
EXECUTE ins('2024-01-05 08:00', 27, 27);
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('kr', newer_than => timestamptz '2024-01-05 00:00+00') c;
EXECUTE ins('2024-01-05 07:00', 26, 126);
EXECUTE ins('2024-01-05 09:00', 28, 28);
SELECT to_char(range_start, 'MM-DD') AS chunk, is_compressed,
       _strata_internal.chunk_status(format('%I.%I', chunk_schema, chunk_name)::regclass) AS status
  FROM strata_information.chunks WHERE hypertable_name = 'kr' ORDER BY range_start;
SELECT * FROM kr_rows;
DROP TABLE kr CASCADE;

-- a hash dimension: routes are kept per time range and hash slice; each row is in the chunk of its
-- device's slice (whose CHECK constraint on the slice would refuse it otherwise)
CREATE TABLE krs (ts timestamptz NOT NULL, dev int NOT NULL);
SELECT * FROM create_hypertable('krs', by_range('ts', INTERVAL '1 day'));
SELECT * FROM add_dimension('krs', by_hash('dev', 3));
PREPARE ins_s(timestamptz, int) AS INSERT INTO krs VALUES ($1, $2);
-- (12 executions, alternating between the two days, devices 1 to 5)
SELECT format('EXECUTE ins_s(%L, %s)', timestamptz '2024-01-01 00:00+00' + (g % 2) * INTERVAL '1 day' + g * INTERVAL '1 hour',
              g % 5 + 1)
  FROM generate_series(1, 12) g \gexec
SELECT to_char(min(ts), 'MM-DD') AS day, min(_strata_internal.get_partition_hash(dev)) AS min_hash,
       max(_strata_internal.get_partition_hash(dev)) AS max_hash, array_agg(dev ORDER BY ts) AS devs
  FROM krs GROUP BY tableoid ORDER BY 1, 2;
DROP TABLE krs;

-- the routes are started afresh (the stamp moved) in the middle of a statement that still uses a
-- kept route: its chunk's IndexInfo must stay as it was. Day 02-01's chunk keeps the dropped
-- column's place (val is its column 3), day 02-03's does not (val is column 2): one INSERT routes
-- to 02-01 (kept), creates 02-02 (the stamp moves), routes to 02-03 (kept anew) and to 02-01 again,
-- whose row must be found through the (val, ts) index.
CREATE TABLE krd (ts timestamptz NOT NULL, junk int, val int NOT NULL);
SELECT * FROM create_hypertable('krd', by_range('ts', INTERVAL '1 day'), create_default_indexes => false);
CREATE UNIQUE INDEX krd_val_ts ON krd (val, ts);
INSERT INTO krd VALUES ('2024-02-01 01:00', 0, 1);
ALTER TABLE krd DROP COLUMN junk;
INSERT INTO krd VALUES ('2024-02-03 01:00', 2);
PREPARE ins_d(timestamptz, int) AS INSERT INTO krd VALUES ($1, $2);
EXECUTE ins_d('2024-02-01 02:00', 3);
EXECUTE ins_d('2024-02-01 03:00', 4);
INSERT INTO krd SELECT ts::timestamptz, val
  FROM (VALUES ('2024-02-01 04:00+00', 5), ('2024-02-02 04:00+00', 6), ('2024-02-03 04:00+00', 7),
               ('2024-02-01 05:00+00', 8), ('2024-02-01 06:00+00', 9)) v(ts, val);
-- every row found through the index as through the heap
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT val, (SELECT count(*) FROM krd k WHERE k.val = r.val AND k.ts = r.ts) AS by_index
  FROM (SELECT * FROM krd ORDER BY ts) r;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- and a duplicate of the last row is refused
INSERT INTO krd VALUES ('2024-02-01 06:00', 9);
DROP TABLE krd;
