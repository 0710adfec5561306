-- Writes into compressed chunks: INSERT / COPY land in the row part (the chunk becomes partial);
-- unique and primary keys hold across the row part and the compressed batches (23505, ON
-- CONFLICT DO NOTHING / DO UPDATE with EXCLUDED, WHERE, RETURNING) by moving only the batches
-- that hold the key into the row part; UPDATE / DELETE / MERGE / SELECT FOR UPDATE move only the
-- batches their restrictions can match (EXPLAIN ANALYZE counts them), and a DELETE the metadata
-- proves true for a whole batch deletes it without decoding. Every statement also runs on a plain
-- table with the same constraints and the two must stay identical.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dml;
SET search_path = cs_dml, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- Runs a statement on the hypertable and, with ht replaced by pt, on the plain table: both
-- outcomes (ok or the error's SQLSTATE) must be the same.
CREATE FUNCTION state_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
CREATE FUNCTION on_both(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  a := state_of(q);
  b := state_of(replace(q, 'ht', 'pt'));
  IF a IS DISTINCT FROM b THEN RETURN 'DIFFERENT: ' || a || ' / ' || b; END IF;
  RETURN a;
END $$;
CREATE FUNCTION status() RETURNS TABLE(chunk text, status int) LANGUAGE sql AS $$
  SELECT c.table_name::text, c.status FROM _strata_catalog.chunk c ORDER BY c.id
$$;

CREATE TABLE ht (time timestamptz NOT NULL, device int NOT NULL, val float8, note text,
                 PRIMARY KEY (device, time));
CREATE TABLE pt (LIKE ht INCLUDING ALL);
-- Rows in one table and not the other (0 when identical).
CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((SELECT * FROM ht EXCEPT ALL SELECT * FROM pt)
                        UNION ALL (SELECT * FROM pt EXCEPT ALL SELECT * FROM ht)) d
$$;
SELECT count(*) FROM create_hypertable('ht', by_range('time', interval '1 day'));
INSERT INTO ht SELECT t, d, d * 100 + extract(hour from t), 'n' || d
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-02 23:55', '5 min') t, generate_series(1, 4) d;
INSERT INTO pt SELECT * FROM ht;
ALTER TABLE ht SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                    timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) FROM show_chunks('ht') c;
SELECT * FROM status();
SELECT count(*) FROM ht;

-- ---- INSERT into a compressed chunk -----------------------------------------------------------
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-01 00:01', 1, 1, 'new')$$);
SELECT * FROM status();
-- A key that is in a compressed batch: 23505, as on the rowstore.
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-01 00:05', 2, 0, 'dup')$$);
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-02 12:00', 3, 0, 'dup'), ('2024-01-02 12:02', 3, 0, 'ok')$$);
-- ON CONFLICT DO NOTHING, with RETURNING.
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-01 01:00', 1, -1, 'x'), ('2024-01-01 01:01', 1, -1, 'y')
              ON CONFLICT DO NOTHING$$);
INSERT INTO ht VALUES ('2024-01-01 02:00', 1, -1, 'x'), ('2024-01-01 02:01', 1, -1, 'y')
  ON CONFLICT DO NOTHING RETURNING *;
INSERT INTO pt VALUES ('2024-01-01 02:00', 1, -1, 'x'), ('2024-01-01 02:01', 1, -1, 'y')
  ON CONFLICT DO NOTHING;
-- ON CONFLICT DO UPDATE with EXCLUDED, the existing row, WHERE and RETURNING.
INSERT INTO ht VALUES ('2024-01-01 03:00', 2, 5, 'upd'), ('2024-01-01 03:05', 2, 6, 'upd')
  ON CONFLICT (device, time) DO UPDATE SET val = ht.val + excluded.val, note = excluded.note
  WHERE ht.time < '2024-01-01 03:05' RETURNING *;
INSERT INTO pt VALUES ('2024-01-01 03:00', 2, 5, 'upd'), ('2024-01-01 03:05', 2, 6, 'upd')
  ON CONFLICT (device, time) DO UPDATE SET val = pt.val + excluded.val, note = excluded.note
  WHERE pt.time < '2024-01-01 03:05';
-- The same key twice in one statement: the rowstore's error, also when the first one was in a batch.
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-01 04:00', 2, 1, 'a'), ('2024-01-01 04:00', 2, 2, 'b')
              ON CONFLICT (device, time) DO UPDATE SET val = excluded.val$$);
SELECT on_both($$INSERT INTO ht VALUES ('2024-01-02 04:07', 2, 1, 'a'), ('2024-01-02 04:07', 2, 2, 'b')
              ON CONFLICT (device, time) DO UPDATE SET val = excluded.val$$);
-- INSERT ... SELECT from the hypertable itself, every row conflicting.
SELECT on_both($$INSERT INTO ht SELECT time, device, val + 1000, 'self' FROM ht WHERE device = 4 AND time < '2024-01-01 06:00'
              ON CONFLICT (device, time) DO UPDATE SET val = excluded.val, note = excluded.note$$);
SELECT diff();

-- ---- COPY into a compressed chunk -------------------------------------------------------------
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
COPY ht FROM stdin;
2024-01-01 05:01:00+00	3	1	copy
2024-01-02 05:01:00+00	3	1	copy
\.
COPY pt FROM stdin;
2024-01-01 05:01:00+00	3	1	copy
2024-01-02 05:01:00+00	3	1	copy
\.
SELECT * FROM status();
\set ON_ERROR_STOP 0
COPY ht FROM stdin;
2024-01-01 07:03:00+00	3	1	copy
2024-01-01 07:00:00+00	3	1	copy
\.
\set ON_ERROR_STOP 1
SELECT diff();

-- ---- UPDATE / DELETE --------------------------------------------------------------------------
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
-- One device, one hour: one batch moved to the row part.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
UPDATE ht SET val = -val WHERE device = 1 AND time >= '2024-01-01 10:00' AND time < '2024-01-01 11:00';
UPDATE pt SET val = -val WHERE device = 1 AND time >= '2024-01-01 10:00' AND time < '2024-01-01 11:00';
SELECT * FROM status();
SELECT diff();
-- Point DELETE of one device's rows for one hour: at most two batches touched.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
DELETE FROM ht WHERE device = 2 AND time >= '2024-01-02 03:30' AND time < '2024-01-02 04:30';
DELETE FROM pt WHERE device = 2 AND time >= '2024-01-02 03:30' AND time < '2024-01-02 04:30';
SELECT diff();
-- A DELETE the metadata proves for whole batches deletes them without decoding.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
DELETE FROM ht WHERE device = 4;
DELETE FROM pt WHERE device = 4;
SELECT diff();
-- RETURNING, FROM / USING joins, sub-queries.
UPDATE ht SET note = 'ret' WHERE device = 3 AND time = '2024-01-01 08:00' RETURNING *;
UPDATE pt SET note = 'ret' WHERE device = 3 AND time = '2024-01-01 08:00';
CREATE TABLE fix (device int, at timestamptz, newval float8);
INSERT INTO fix VALUES (1, '2024-01-01 12:00', 1.5), (3, '2024-01-02 13:00', 3.5), (9, '2024-01-01 12:00', 9);
SELECT on_both($$UPDATE ht SET val = f.newval FROM fix f WHERE ht.device = f.device AND ht.time = f.at$$);
SELECT on_both($$DELETE FROM ht USING fix f WHERE ht.device = f.device AND ht.time = f.at + interval '5 min'$$);
SELECT on_both($$UPDATE ht SET note = 'sub' WHERE device IN (SELECT device FROM fix) AND time < '2024-01-01 00:30'$$);
SELECT on_both($$DELETE FROM ht WHERE val > (SELECT max(newval) FROM fix) + 320$$);
-- A sub-query reading the hypertable itself sees every row, moved or not.
SELECT on_both($$DELETE FROM ht WHERE device = 3 AND val > (SELECT avg(val) FROM ht WHERE device = 3) + 10$$);
-- An UPDATE that breaks the key: 23505 from the moved rows.
SELECT on_both($$UPDATE ht SET time = time + interval '5 min' WHERE device = 1 AND time = '2024-01-01 13:00'$$);
SELECT diff();
-- A prepared statement (generic plan): the batches are chosen with the parameters' values.
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
SET plan_cache_mode = force_generic_plan;
PREPARE upd(int, timestamptz) AS UPDATE ht SET val = val + 0.5 WHERE device = $1 AND time >= $2 AND time < $2 + interval '30 min';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE upd(3, '2024-01-02 20:00');
UPDATE pt SET val = val + 0.5 WHERE device = 3 AND time >= '2024-01-02 20:00' AND time < '2024-01-02 20:30';
RESET plan_cache_mode;
SELECT diff();
-- Naming a compressed chunk directly.
SELECT c AS chunk1 FROM show_chunks('ht') c LIMIT 1 \gset
UPDATE :chunk1 SET note = 'direct' WHERE device = 1 AND time = '2024-01-01 14:00';
UPDATE pt SET note = 'direct' WHERE device = 1 AND time = '2024-01-01 14:00';
DELETE FROM :chunk1 WHERE device = 1 AND time = '2024-01-01 14:05';
DELETE FROM pt WHERE device = 1 AND time = '2024-01-01 14:05';
SELECT diff();
-- SELECT FOR UPDATE locks rows of compressed batches.
BEGIN;
SELECT time, device, val FROM ht WHERE device = 3 AND time = '2024-01-02 01:00' FOR UPDATE;
COMMIT;

-- ---- row triggers and row-level security --------------------------------------------------------
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
CREATE TABLE audit (op text, device int, time timestamptz, val float8);
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN INSERT INTO audit VALUES (TG_OP, OLD.device, OLD.time, OLD.val); RETURN OLD; END IF;
  INSERT INTO audit VALUES (TG_OP, NEW.device, NEW.time, NEW.val);
  RETURN NEW;
END $$;
CREATE TRIGGER audit BEFORE UPDATE OR DELETE ON ht FOR EACH ROW EXECUTE FUNCTION audit_row();
UPDATE ht SET val = 7 WHERE device = 1 AND time >= '2024-01-01 20:00' AND time < '2024-01-01 20:15';
UPDATE pt SET val = 7 WHERE device = 1 AND time >= '2024-01-01 20:00' AND time < '2024-01-01 20:15';
-- With a row trigger a whole-batch DELETE still decodes (the trigger sees every row).
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM ht WHERE device = 3 AND time < '2024-01-01 01:00';
DELETE FROM pt WHERE device = 3 AND time < '2024-01-01 01:00';
SELECT op, count(*), min(time), max(time) FROM audit GROUP BY op ORDER BY op;
DROP TRIGGER audit ON ht;
-- A statement trigger with a transition table sees every deleted row: no batch is deleted whole.
CREATE TABLE del_log (n bigint);
CREATE FUNCTION log_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO del_log SELECT count(*) FROM old_rows;
  RETURN NULL;
END $$;
CREATE TRIGGER log_del AFTER DELETE ON ht REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION log_del();
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM ht WHERE device = 2 AND time >= '2024-01-02 12:00';
DELETE FROM pt WHERE device = 2 AND time >= '2024-01-02 12:00';
SELECT * FROM del_log;
DROP TRIGGER log_del ON ht;
SELECT diff();
CREATE ROLE cs_dml_user;
GRANT USAGE ON SCHEMA cs_dml TO cs_dml_user;
GRANT SELECT, INSERT, UPDATE, DELETE ON ht, pt TO cs_dml_user;
ALTER TABLE ht ENABLE ROW LEVEL SECURITY;
ALTER TABLE pt ENABLE ROW LEVEL SECURITY;
CREATE POLICY only1 ON ht USING (device = 1);
CREATE POLICY only1 ON pt USING (device = 1);
SET ROLE cs_dml_user;
SELECT on_both($$UPDATE ht SET note = 'rls' WHERE time >= '2024-01-02 00:00' AND time < '2024-01-02 00:20'$$);
SELECT on_both($$DELETE FROM ht WHERE time >= '2024-01-02 01:00' AND time < '2024-01-02 01:20'$$);
RESET ROLE;
SELECT note, device, count(*) FROM ht WHERE note = 'rls' GROUP BY 1, 2;
SELECT diff();
ALTER TABLE ht DISABLE ROW LEVEL SECURITY;
ALTER TABLE pt DISABLE ROW LEVEL SECURITY;

-- ---- MERGE ----------------------------------------------------------------------------------------
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
CREATE TABLE src (time timestamptz, device int, val float8);
INSERT INTO src VALUES ('2024-01-01 21:00', 1, 1000), ('2024-01-01 21:05', 2, 2000),
  ('2024-01-02 22:00', 3, 3000), ('2024-01-01 21:02', 1, 4000), ('2024-01-05 00:00', 9, 9);
SELECT on_both($$MERGE INTO ht USING src ON ht.device = src.device AND ht.time = src.time
              WHEN MATCHED AND src.val >= 3000 THEN DELETE
              WHEN MATCHED THEN UPDATE SET val = src.val
              WHEN NOT MATCHED THEN INSERT VALUES (src.time, src.device, src.val, 'merged')$$);
SELECT diff();
SELECT * FROM ht WHERE note = 'merged' OR val >= 1000 ORDER BY time, device;
-- A key the join does not match (a restriction on the target in ON) but a batch holds: 23505.
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
SELECT on_both($$MERGE INTO ht USING (VALUES ('2024-01-01 22:00'::timestamptz, 2, 1.0)) s(time, device, val)
              ON ht.device = s.device AND ht.time = s.time AND ht.time > '2024-01-01 23:00'
              WHEN MATCHED THEN UPDATE SET val = s.val
              WHEN NOT MATCHED THEN INSERT VALUES (s.time, s.device, s.val, 'merged')$$);
SELECT diff();
-- INSERT naming a compressed chunk would bypass the checks: refused.
SELECT err(format($$INSERT INTO %s VALUES ('2024-01-01 22:01', 2, 1, 'direct')$$, :'chunk1'));

-- ---- decompression and recompression keep every row --------------------------------------------
SELECT compress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
SELECT diff();
SELECT decompress_chunk(c) IS NOT NULL FROM show_chunks('ht') c;
SELECT diff(), (SELECT count(*) FROM ht);

DROP SCHEMA cs_dml CASCADE;
DROP ROLE cs_dml_user;
