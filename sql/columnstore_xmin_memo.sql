-- Copy mode's heap read (and the parallel worker's) keeps the verdict on the last inserting
-- transaction it looked up in the commit log and reuses it for the next rows with that xmin
-- (compress_parallel.cpp, tuple_visible_no_hints). Rows whose xmins alternate from row to row
-- (committed and aborted subtransactions, other transactions, the compressing transaction's own
-- rows) must each get their own verdict: exactly the rows a heap scan sees, the same batches as the
-- pinned-pages heap scan's, serially and with the parallel worker reading the upper pages.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_memo;
SET search_path = cs_memo, public;

-- Whether the companion rows of `ht`'s one compressed chunk stay the same, byte for byte, when it
-- is decompressed and compressed again from the pinned-pages heap scan (strata.compression_copy_rows
-- off), which asks HeapTupleSatisfiesVisibility about every row.
CREATE FUNCTION same_as_heap_scan(ht regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  ch regclass := (SELECT show_chunks(ht) LIMIT 1);
  comp text;
  d text;
  before text;
BEGIN
  FOR i IN 1..2 LOOP
    SELECT format('%I.%I', c.schema_name, c.table_name) INTO comp FROM _strata_catalog.compressed_chunk c
      JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = ch;
    EXECUTE format('SELECT md5(string_agg(t::text, '','' ORDER BY t::text)) FROM %s t', comp) INTO d;
    IF i = 1 THEN
      before := d;
      PERFORM decompress_chunk(ch);
      PERFORM set_config('strata.compression_copy_rows', 'off', true);
      PERFORM compress_chunk(ch);
      PERFORM set_config('strata.compression_copy_rows', 'on', true);
    END IF;
  END LOOP;
  RETURN d = before;
END $$;

-- Rows of `t` not in x_expected, rows of x_expected not in `t`, and the rows of `t`.
CREATE FUNCTION vs_expected(t regclass, OUT extra bigint, OUT missing bigint, OUT rows bigint) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('SELECT (SELECT count(*) FROM (TABLE %1$s EXCEPT ALL TABLE cs_memo.x_expected) d),
                         (SELECT count(*) FROM (TABLE cs_memo.x_expected EXCEPT ALL TABLE %1$s) d),
                         (SELECT count(*) FROM %1$s)', t) INTO extra, missing, rows;
END $$;

CREATE TABLE x (time timestamptz NOT NULL, dev int, val int, pad text);
SELECT count(*) FROM create_hypertable('x', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE x SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 'time');
-- (x is not read before compress_chunk: a scan would set every row's hint bits, and the read would
-- decide them from the hints without the memo; x_expected is filled from the generating queries)
CREATE TABLE x_expected (LIKE x);
-- 1. a committed multi-row insert (one xmin for many rows)
INSERT INTO x SELECT timestamptz '2026-03-01 00:00:00+00' + g * interval '1 second', g % 3, g, repeat('p', 100)
  FROM generate_series(1, 3000) g;
INSERT INTO x_expected SELECT timestamptz '2026-03-01 00:00:00+00' + g * interval '1 second', g % 3, g, repeat('p', 100)
  FROM generate_series(1, 3000) g;
-- 2. an aborted one right after it on the same pages
BEGIN;
INSERT INTO x SELECT timestamptz '2026-03-02 00:00:00+00' + g * interval '1 second', 9, -g, repeat('a', 100)
  FROM generate_series(1, 500) g;
ROLLBACK;
-- 3. one row per subtransaction, every other one rolled back: the xmin changes at every row,
-- committed and aborted alternately
DO $$
BEGIN
  FOR g IN 1..600 LOOP
    BEGIN
      INSERT INTO cs_memo.x VALUES (timestamptz '2026-03-03 00:00:00+00' + g * interval '1 second', g % 3, 100000 + g, 's');
      IF g % 2 = 0 THEN RAISE EXCEPTION 'roll back'; END IF;
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
  END LOOP;
END $$;
INSERT INTO x_expected SELECT timestamptz '2026-03-03 00:00:00+00' + g * interval '1 second', g % 3, 100000 + g, 's'
  FROM generate_series(1, 600) g WHERE g % 2 = 1;
-- 4. single-row transactions of their own, committed and aborted alternately
INSERT INTO x VALUES ('2026-03-04 00:00:01+00', 1, 200001, 't');
BEGIN; INSERT INTO x VALUES ('2026-03-04 00:00:02+00', 9, -200002, 't'); ROLLBACK;
INSERT INTO x VALUES ('2026-03-04 00:00:03+00', 1, 200003, 't');
BEGIN; INSERT INTO x VALUES ('2026-03-04 00:00:04+00', 9, -200004, 't'); ROLLBACK;
INSERT INTO x VALUES ('2026-03-04 00:00:05+00', 2, 200005, 't');
INSERT INTO x_expected VALUES ('2026-03-04 00:00:01+00', 1, 200001, 't'), ('2026-03-04 00:00:03+00', 1, 200003, 't'),
                              ('2026-03-04 00:00:05+00', 2, 200005, 't');
-- 5. another committed multi-row insert after them
INSERT INTO x SELECT timestamptz '2026-03-05 00:00:00+00' + g * interval '1 second', g % 3, 300000 + g, repeat('q', 100)
  FROM generate_series(1, 3000) g;
INSERT INTO x_expected SELECT timestamptz '2026-03-05 00:00:00+00' + g * interval '1 second', g % 3, 300000 + g, repeat('q', 100)
  FROM generate_series(1, 3000) g;
SELECT count(*) AS expected_rows FROM x_expected;
SELECT c AS x1 FROM show_chunks('x') c \gset

-- The compressing transaction inserts a row of its own (at the heap's end or in free space; the
-- memo never keeps the verdict on its own xid) and deletes the first row (by its TID, so that no
-- other row is read before compress_chunk).
BEGIN;
INSERT INTO x VALUES ('2026-03-06 00:00:01+00', 1, 400001, 'own');
INSERT INTO x_expected VALUES ('2026-03-06 00:00:01+00', 1, 400001, 'own');
DELETE FROM :x1 WHERE ctid = '(0,1)' RETURNING val AS deleted_val;
DELETE FROM x_expected WHERE val = 1;
SELECT compress_chunk(:'x1') IS NOT NULL AS compressed;
SELECT * FROM vs_expected('x');
COMMIT;
SELECT *, (SELECT count(*) FROM x WHERE val < 0) AS aborted_rows FROM vs_expected('x');
SELECT same_as_heap_scan('x');
-- The same with a parallel worker reading the upper half of the pages (its own memo), on a
-- fresh table whose rows alternate between committed and aborted subtransactions throughout.
CREATE TABLE y (LIKE x);
SELECT count(*) FROM create_hypertable('y', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE y SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 'time');
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM cs_memo.x_expected ORDER BY time LOOP
    IF r.val % 7 = 0 THEN
      BEGIN
        INSERT INTO cs_memo.y VALUES (r.time, 9, -r.val, 'aborted');
        RAISE EXCEPTION 'roll back';
      EXCEPTION WHEN raise_exception THEN NULL;
      END;
    END IF;
    INSERT INTO cs_memo.y VALUES (r.time, r.dev, r.val, r.pad);
  END LOOP;
END $$;
BEGIN;
INSERT INTO y SELECT time, 9, -val, pad FROM x_expected WHERE val % 5 = 0;
ROLLBACK;
INSERT INTO y VALUES ('2026-03-07 00:00:00+00', 1, 500000, 'last');
INSERT INTO x_expected VALUES ('2026-03-07 00:00:00+00', 1, 500000, 'last');
SELECT c AS y1 FROM show_chunks('y') c \gset
SET strata.compression_parallel_read = on;
SET strata.compression_parallel_read_min_pages = 0;
SET max_parallel_maintenance_workers = 2;
SET strata.compression_progress = on;  -- (reports the worker's pages)
SELECT compress_chunk(:'y1') IS NOT NULL AS compressed;
RESET strata.compression_progress;
RESET max_parallel_maintenance_workers;
RESET strata.compression_parallel_read_min_pages;
RESET strata.compression_parallel_read;
SELECT * FROM vs_expected('y');
SELECT same_as_heap_scan('y');

RESET search_path;
DROP SCHEMA cs_memo CASCADE;
