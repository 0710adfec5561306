-- MERGE ... WHEN MATCHED THEN UPDATE that sets a row's time into another chunk's range moves the
-- row (src/ingest/row_move.cpp), as PostgreSQL 15 moves a row between partitions, and INSERT ...
-- ON CONFLICT DO UPDATE that would move a row fails as PostgreSQL fails it for partitions (0A000).
-- Every statement runs on the hypertable `ht` and, with ht replaced by pt, on a table
-- partitioned by day: outcomes (SQLSTATE or row count), contents and the triggers' trace must
-- be the same. Rowstore chunks first, then compressed ones.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE TABLE ht (time timestamptz NOT NULL, device int NOT NULL, v float8 CHECK (v >= 0), note text,
                 UNIQUE (device, time));
SELECT create_hypertable('ht', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
CREATE TABLE pt (time timestamptz NOT NULL, device int NOT NULL, v float8 CHECK (v >= 0), note text,
                 UNIQUE (device, time)) PARTITION BY RANGE (time);
DO $$
BEGIN
  FOR d IN 0..19 LOOP
    EXECUTE format('CREATE TABLE pt_%s PARTITION OF pt FOR VALUES FROM (%L) TO (%L)', d,
                   timestamptz '2026-01-01' + d * interval '1 day', timestamptz '2026-01-01' + (d + 1) * interval '1 day');
  END LOOP;
END $$;
INSERT INTO ht SELECT timestamptz '2026-01-01' + i * interval '6 hours', d, i * 10 + d, 'n'
  FROM generate_series(0, 15) i, generate_series(1, 3) d;
INSERT INTO pt SELECT * FROM ht;

-- The statement's outcome: its row count, or the error's SQLSTATE.
CREATE FUNCTION outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE q;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n || ' rows';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
-- Runs q on ht and on pt: one outcome when both agree.
CREATE FUNCTION on_both(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  a := outcome(q);
  b := outcome(replace(q, 'ht', 'pt'));
  IF a IS DISTINCT FROM b THEN RETURN 'DIFFERENT: ' || a || ' / ' || b; END IF;
  RETURN a;
END $$;
-- Rows in one table and not the other (0 when identical).
CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((SELECT * FROM ht EXCEPT ALL SELECT * FROM pt)
                        UNION ALL (SELECT * FROM pt EXCEPT ALL SELECT * FROM ht)) d $$;
-- Rows outside their chunk's range (0: every row was moved where it belongs).
CREATE FUNCTION misplaced() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ht r JOIN _strata_catalog.chunk c
      ON format('%I.%I', c.schema_name, c.table_name)::regclass = r.tableoid
   WHERE extract(epoch FROM r.time) * 1000000 < c.range_start OR extract(epoch FROM r.time) * 1000000 >= c.range_end $$;

-- Row triggers log what they see; the trace of ht and of pt must be the same.
CREATE TABLE trace (tbl text, seq serial, what text);
CREATE FUNCTION tr() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t text := CASE WHEN TG_TABLE_NAME ~ '^pt' OR TG_TABLE_NAME = 'pt' THEN 'pt' ELSE 'ht' END;
BEGIN
  INSERT INTO trace (tbl, what) VALUES (t, TG_WHEN || ' ' || TG_LEVEL || ' ' || TG_OP || ' ' ||
    CASE WHEN TG_LEVEL = 'STATEMENT' THEN ''
         WHEN TG_OP = 'DELETE' THEN OLD.time::text
         WHEN TG_OP = 'INSERT' THEN NEW.time::text
         ELSE OLD.time::text || ' -> ' || NEW.time::text END);
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
-- (As multisets: the two plans may join the source rows in different orders.)
CREATE FUNCTION trace_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((SELECT what FROM trace WHERE tbl = 'ht' EXCEPT ALL SELECT what FROM trace WHERE tbl = 'pt')
                        UNION ALL
                        (SELECT what FROM trace WHERE tbl = 'pt' EXCEPT ALL SELECT what FROM trace WHERE tbl = 'ht')) d $$;
CREATE TRIGGER a_bu BEFORE UPDATE ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER b_bd BEFORE DELETE ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER c_bi BEFORE INSERT ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER d_au AFTER UPDATE ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER e_ad AFTER DELETE ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER f_ai AFTER INSERT ON ht FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER a_bu BEFORE UPDATE ON pt FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER b_bd BEFORE DELETE ON pt FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER c_bi BEFORE INSERT ON pt FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER d_au AFTER UPDATE ON pt FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER e_ad AFTER DELETE ON pt FOR EACH ROW EXECUTE FUNCTION tr();
CREATE TRIGGER f_ai AFTER INSERT ON pt FOR EACH ROW EXECUTE FUNCTION tr();

CREATE TABLE src (time timestamptz, device int, shift interval, v float8);

-- ---- MERGE on rowstore chunks --------------------------------------------------------------------
-- One row moves to an existing chunk, one to a chunk that does not exist yet, one stays in its
-- chunk, one is deleted, one source row is inserted (the hypertable's routing trigger puts it
-- into its chunk; the command tag counts it, as PostgreSQL counts a partition's).
INSERT INTO src VALUES ('2026-01-01 06:00', 1, '1 day 10 minutes', 100), ('2026-01-01 12:00', 2, '15 days', 200),
                       ('2026-01-02 00:00', 3, '2 hours', 300), ('2026-01-02 06:00', 1, '1 day', 5),
                       ('2026-01-03 00:00', 9, '0', 900);
SELECT count(*) AS chunks_before FROM show_chunks('ht');
SELECT on_both($$MERGE INTO ht USING src ON ht.device = src.device AND ht.time = src.time
  WHEN MATCHED AND src.v < 10 THEN DELETE
  WHEN MATCHED THEN UPDATE SET time = ht.time + src.shift, v = src.v, note = 'moved'
  WHEN NOT MATCHED THEN INSERT VALUES (src.time, src.device, src.v, 'new')$$);
SELECT count(*) AS chunks_after FROM show_chunks('ht');
SELECT diff(), misplaced(), trace_diff();
SELECT tableoid::regclass AS chunk, * FROM ht WHERE note <> 'n' ORDER BY time, device;
-- The triggers fire as for a partition move: BEFORE UPDATE, BEFORE DELETE, BEFORE INSERT, AFTER
-- DELETE, AFTER INSERT (no AFTER UPDATE for a moved row).
SELECT what FROM trace WHERE tbl = 'ht' ORDER BY seq;
TRUNCATE trace;

-- EXPLAIN ANALYZE counts moved rows as updated and in "Rows Moved".
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
MERGE INTO ht USING (VALUES (timestamptz '2026-01-04 00:00', 2), ('2026-01-04 06:00', 2)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t AND ht.time >= '2026-01-04' AND ht.time < '2026-01-05'
  WHEN MATCHED THEN UPDATE SET time = ht.time + interval '3 days';
ROLLBACK;
TRUNCATE trace;

-- EXPLAIN ANALYZE counts NOT MATCHED inserts as inserted; the command tag counts the rows that
-- the BEFORE INSERT triggers keep (a partition's, a chunk's).
BEGIN;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
MERGE INTO ht USING (VALUES (timestamptz '2026-01-05 01:00', 7)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t
  WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, 1, 'explained');
ROLLBACK;
TRUNCATE trace;
BEGIN;
CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.note = 'skip' THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER g_skip BEFORE INSERT ON ht FOR EACH ROW EXECUTE FUNCTION skip_row();
CREATE TRIGGER g_skip BEFORE INSERT ON pt FOR EACH ROW EXECUTE FUNCTION skip_row();
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-05 02:00', 7, 'skip'), ('2026-01-05 03:00', 7, 'keep'),
                                              ('2026-01-19 03:00', 7, 'keep'), ('2026-01-04 00:00', 1, 'skip')) s(t, d, n)
  ON ht.device = s.d AND ht.time = s.t
  WHEN MATCHED THEN UPDATE SET note = 'matched'
  WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, 1, s.n)$$);
SELECT diff(), misplaced(), trace_diff();
ROLLBACK;
TRUNCATE trace;
-- A MERGE run while another MERGE into the same hypertable runs (from its source query) counts its
-- own inserts; the outer one inserts the inner one's count.
BEGIN;
CREATE FUNCTION inner_rows(tbl text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('MERGE INTO %1$I USING (VALUES (timestamptz ''2026-01-05 05:00'', 8), (''2026-01-05 06:00'', 8)) s(t, d)
                  ON %1$I.device = s.d AND %1$I.time = s.t WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, 0, ''inner'')', tbl);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
SELECT on_both($$MERGE INTO ht USING (SELECT timestamptz '2026-01-05 04:00' AS t, 8 AS d, inner_rows('ht') AS n) s
  ON ht.device = s.d AND ht.time = s.t
  WHEN NOT MATCHED THEN INSERT VALUES (s.t, s.d, s.n, 'outer')$$);
SELECT diff(), misplaced(), trace_diff();
SELECT time, device, v, note FROM ht WHERE device = 8 ORDER BY time;
ROLLBACK;
TRUNCATE trace;

-- A source row whose action leaves the row in place, next to one that moves it, for one chunk.
TRUNCATE src;
INSERT INTO src VALUES ('2026-01-03 06:00', 1, '1 hour', 1), ('2026-01-03 12:00', 1, '-2 days -5 minutes', 2);
SELECT on_both($$MERGE INTO ht USING src ON ht.device = src.device AND ht.time = src.time
  WHEN MATCHED THEN UPDATE SET time = ht.time + src.shift$$);
SELECT diff(), misplaced(), trace_diff();
TRUNCATE trace;

-- Errors: a unique key taken in the destination (23505), a CHECK of the new row (23514), a target
-- row matched twice (21000).
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-03 18:00', 2)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = '2026-01-01 00:00'$$);
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-03 18:00', 2)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = ht.time + interval '2 days', v = -1$$);
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-03 18:00', 2), ('2026-01-03 18:00', 2)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = ht.time + interval '2 days'$$);
-- Time set to NULL: the NOT NULL violation (23502; a partitioned table finds no partition, 23514).
SELECT outcome($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-03 18:00', 2)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = NULL$$);
SELECT diff(), misplaced();
TRUNCATE trace;

-- A BEFORE UPDATE trigger that skips the row: neither moved nor counted.
CREATE FUNCTION skip_dev3() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF OLD.device = 3 THEN RETURN NULL; END IF; RETURN NEW; END $$;
CREATE TRIGGER skip3 BEFORE UPDATE ON ht FOR EACH ROW EXECUTE FUNCTION skip_dev3();
CREATE TRIGGER skip3 BEFORE UPDATE ON pt FOR EACH ROW EXECUTE FUNCTION skip_dev3();
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-03 18:00', 3), ('2026-01-03 18:00', 1)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = ht.time + interval '3 days'$$);
SELECT diff(), misplaced(), trace_diff();
DROP TRIGGER skip3 ON ht;
DROP TRIGGER skip3 ON pt;
TRUNCATE trace;

-- Statement-level MERGE inside a transaction that rolls back leaves nothing.
BEGIN;
SELECT on_both($$MERGE INTO ht USING (SELECT time, device FROM ht WHERE time < '2026-01-02') s
  ON ht.device = s.device AND ht.time = s.time WHEN MATCHED THEN UPDATE SET time = ht.time + interval '10 days'$$);
SELECT diff(), misplaced(), trace_diff();
ROLLBACK;
SELECT diff(), misplaced();
TRUNCATE trace;

-- ---- INSERT ... ON CONFLICT DO UPDATE ------------------------------------------------------------
-- A move out of the row's chunk (partition): 0A000 on both, with PostgreSQL's message.
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-02 06:00', 2, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '1 day'$$);
\set VERBOSITY default
INSERT INTO ht VALUES ('2026-01-02 06:00', 2, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '1 day';
\set VERBOSITY terse
-- Inside the chunk it updates the row.
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-02 06:00', 2, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '1 minute', note = 'upserted'$$);
-- A BEFORE UPDATE trigger that moves the time: 0A000 too.
CREATE FUNCTION push() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.note = 'push' THEN NEW.time := NEW.time + interval '5 days'; END IF; RETURN NEW; END $$;
CREATE TRIGGER push BEFORE UPDATE ON ht FOR EACH ROW EXECUTE FUNCTION push();
CREATE TRIGGER push BEFORE UPDATE ON pt FOR EACH ROW EXECUTE FUNCTION push();
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-02 12:00', 2, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET note = 'push'$$);
DROP TRIGGER push ON ht;
DROP TRIGGER push ON pt;
-- A row inserted (no conflict) still satisfies its chunk's range; other CHECKs still hold.
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-05 01:00', 7, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '1 day'$$);
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-05 01:00', 7, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET v = -5$$);
SELECT diff(), misplaced(), trace_diff();
TRUNCATE trace;

-- ---- compressed chunks ---------------------------------------------------------------------------
ALTER TABLE ht SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                    timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('ht', older_than => timestamptz '2026-01-04') c;
-- Out of a compressed chunk into a rowstore one, out of a rowstore chunk into a compressed one,
-- and between two compressed chunks; one source row inserted into a compressed chunk.
TRUNCATE src;
INSERT INTO src VALUES ('2026-01-01 18:00', 1, '3 days 1 minute', 1001), ('2026-01-04 12:00', 3, '-2 days -1 minute', 1002),
                       ('2026-01-02 18:00', 2, '-1 day -1 minute', 1003), ('2026-01-01 07:00', 8, '0', 1004);
SELECT on_both($$MERGE INTO ht USING src ON ht.device = src.device AND ht.time = src.time
  WHEN MATCHED THEN UPDATE SET time = ht.time + src.shift, v = src.v$$);
SELECT on_both($$MERGE INTO ht USING src ON ht.device = src.device AND ht.time = src.time
  WHEN NOT MATCHED THEN INSERT VALUES (src.time, src.device, src.v, 'new')$$);
SELECT diff(), misplaced(), trace_diff();
SELECT tableoid::regclass AS chunk, time, device, v FROM ht WHERE v > 1000 ORDER BY time, device;
-- The unique key holds across a compressed destination's batches (23505).
SELECT on_both($$MERGE INTO ht USING (VALUES (timestamptz '2026-01-04 06:00', 3)) s(t, d)
  ON ht.device = s.d AND ht.time = s.t WHEN MATCHED THEN UPDATE SET time = '2026-01-01 00:00'$$);
-- ON CONFLICT DO UPDATE on a compressed chunk's row: 0A000 for a move, an update otherwise.
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-01 00:00', 1, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '4 days'$$);
SELECT on_both($$INSERT INTO ht VALUES ('2026-01-01 00:00', 1, 1, 'x')
  ON CONFLICT (device, time) DO UPDATE SET time = ht.time + interval '1 hour', note = 'upserted'$$);
SELECT diff(), misplaced(), trace_diff();
SELECT count(*) AS total FROM ht;

-- A space-partitioned hypertable: ON CONFLICT DO UPDATE that changes the hashed column so that the
-- row belongs to another chunk fails the same way (0A000); one that keeps it there updates it.
CREATE TABLE sp (time timestamptz NOT NULL, device int NOT NULL, v float8, UNIQUE (device, time));
SELECT create_hypertable('sp', by_range('time', interval '1 day')) IS NOT NULL AS created;
SELECT add_dimension('sp', by_hash('device', 4)) IS NOT NULL AS added;
INSERT INTO sp SELECT '2026-01-01 00:00', d, d FROM generate_series(1, 8) d;
SELECT count(DISTINCT tableoid) > 1 AS several_chunks FROM sp;
SELECT outcome(format($$INSERT INTO sp VALUES ('2026-01-01 00:00', 1, 0)
  ON CONFLICT (device, time) DO UPDATE SET device = %s$$,
  (SELECT device FROM sp WHERE tableoid <> (SELECT tableoid FROM sp WHERE device = 1) ORDER BY device LIMIT 1)));
SELECT outcome($$INSERT INTO sp VALUES ('2026-01-01 00:00', 1, 0)
  ON CONFLICT (device, time) DO UPDATE SET device = 1, v = 42$$);
SELECT count(*) AS rows, count(DISTINCT device) AS devices FROM sp;
