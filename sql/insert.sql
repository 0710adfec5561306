-- Every way a row enters a hypertable goes to the right chunk.
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE readings (time timestamptz NOT NULL, device int NOT NULL, value float8,
                       note text DEFAULT 'none', PRIMARY KEY (device, time));
SELECT * FROM create_hypertable('readings', by_range('time', INTERVAL '1 day'));

-- single row, multi-row VALUES, RETURNING with the chunk
INSERT INTO readings VALUES ('2024-01-01 01:00+00', 1, 1.0);
INSERT INTO readings (time, device, value) VALUES
  ('2024-01-01 02:00+00', 1, 2.0), ('2024-01-02 02:00+00', 1, 3.0), ('2024-01-03 02:00+00', 2, 4.0)
RETURNING time, device, value, note, tableoid::regclass;
-- INSERT ... SELECT spanning many new chunks
INSERT INTO readings SELECT t, 3, extract(epoch FROM t) FROM generate_series('2024-02-01'::timestamptz, '2024-03-01', INTERVAL '6 hours') t;
SELECT count(*), count(DISTINCT tableoid) AS chunks, (SELECT count(*) FROM ONLY readings) AS in_parent FROM readings;
-- every row is in the chunk whose range holds it
SELECT count(*) AS misplaced FROM readings r JOIN _strata_catalog.chunk c
    ON format('%I.%I', c.schema_name, c.table_name)::regclass = r.tableoid
 WHERE extract(epoch FROM r.time) * 1000000 < c.range_start OR extract(epoch FROM r.time) * 1000000 >= c.range_end;

-- ON CONFLICT
INSERT INTO readings VALUES ('2024-01-01 01:00+00', 1, 100.0) ON CONFLICT DO NOTHING;
INSERT INTO readings VALUES ('2024-01-01 01:00+00', 1, 100.0) ON CONFLICT (device, time) DO UPDATE
  SET value = readings.value + excluded.value RETURNING value, tableoid::regclass;
INSERT INTO readings VALUES ('2024-01-01 01:00+00', 1, 5.0), ('2024-04-01', 9, 9)
  ON CONFLICT ON CONSTRAINT readings_pkey DO UPDATE SET note = 'updated' RETURNING time, note;
SELECT pg_temp.err($$INSERT INTO readings VALUES ('2024-01-01 01:00+00', 1, 7.0)$$);
-- NULL time
SELECT pg_temp.err($$INSERT INTO readings VALUES (NULL, 1, 7.0)$$);
-- a failing statement leaves nothing behind, not even its chunks
SELECT pg_temp.err($$INSERT INTO readings VALUES ('2030-01-01', 1, 1), ('2030-01-02', 1, 1), ('2030-01-02', 1, 1)$$);
SELECT count(*) FROM readings WHERE time >= '2030-01-01';
SELECT count(*) FROM strata_information.chunks WHERE hypertable_name = 'readings' AND range_start >= '2030-01-01';

-- prepared statements (custom and generic plans)
PREPARE ins(timestamptz, int, float8) AS INSERT INTO readings VALUES ($1, $2, $3);
EXECUTE ins('2024-05-01', 10, 1);
SET plan_cache_mode = force_generic_plan;
PREPARE ins2(timestamptz, int, float8) AS INSERT INTO readings VALUES ($1, $2, $3) RETURNING tableoid::regclass IS NOT NULL AS routed;
EXECUTE ins2('2024-05-02', 10, 1);
EXECUTE ins2('2024-05-03', 10, 1);
RESET plan_cache_mode;
-- PL/pgSQL, CTEs
DO $$
BEGIN
  FOR i IN 1..5 LOOP
    INSERT INTO readings VALUES ('2024-06-01'::timestamptz + i * INTERVAL '1 day', 20, i);
  END LOOP;
END $$;
WITH moved AS (INSERT INTO readings VALUES ('2024-07-01', 30, 1) RETURNING device)
SELECT device FROM moved;
SELECT count(*) FROM readings WHERE device IN (10, 20, 30);

-- row triggers of the hypertable fire for rows of its chunks
CREATE TABLE audit (what text);
CREATE FUNCTION readings_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_WHEN = 'BEFORE' THEN NEW.note := 'via trigger'; RETURN NEW; END IF;
  INSERT INTO audit VALUES (TG_OP || ' ' || NEW.device);
  RETURN NULL;
END $$;
CREATE TRIGGER readings_before BEFORE INSERT ON readings FOR EACH ROW EXECUTE FUNCTION readings_trg();
CREATE TRIGGER readings_after AFTER INSERT ON readings FOR EACH ROW EXECUTE FUNCTION readings_trg();
INSERT INTO readings VALUES ('2024-08-01', 40, 1), ('2024-01-01 03:00+00', 40, 2) RETURNING note;
SELECT * FROM audit ORDER BY what;

-- UPDATE and DELETE across chunks
UPDATE readings SET value = -1 WHERE device = 3 AND time < '2024-02-03';
SELECT count(*) FROM readings WHERE value = -1;
DELETE FROM readings WHERE device = 3 AND time >= '2024-02-20';
SELECT count(*) FROM readings WHERE device = 3;
-- an UPDATE moving a row to another chunk's range moves it (sql/update_move.sql has the details)
SELECT pg_temp.err($$UPDATE readings SET time = time + INTERVAL '10 days' WHERE device = 1$$);
SELECT count(*) FROM readings WHERE device = 1 AND time < '2024-01-04';

-- a column dropped from the hypertable: old and new chunks have different layouts
ALTER TABLE readings DROP COLUMN note;
ALTER TABLE readings ADD COLUMN extra int;
DROP TRIGGER readings_before ON readings;
DROP TRIGGER readings_after ON readings;
INSERT INTO readings VALUES ('2024-01-01 04:00+00', 50, 1, 7), ('2025-01-01', 50, 2, 8)
  RETURNING time, device, value, extra;
INSERT INTO readings VALUES ('2025-01-01', 50, 3, 9) ON CONFLICT DO NOTHING RETURNING *;
-- ON CONFLICT DO UPDATE on a chunk of each layout (the SET list, WHERE and EXCLUDED are renumbered)
INSERT INTO readings VALUES ('2025-01-01', 50, 4, 10), ('2024-01-01 04:00+00', 50, 10, 11)
  ON CONFLICT (device, time) DO UPDATE SET value = readings.value + excluded.value, extra = excluded.extra
  WHERE readings.device = 50 AND excluded.extra > 0
  RETURNING time, device, value, extra;
INSERT INTO readings VALUES ('2025-01-01', 50, 100, -1)
  ON CONFLICT (device, time) DO UPDATE SET value = 0 WHERE excluded.extra > 0 RETURNING *;
SELECT time, device, value, extra FROM readings WHERE device = 50 ORDER BY time;

-- row-level security WITH CHECK policies hold on chunks of either layout (extra is column 5 of the
-- hypertable and of old chunks, column 4 of chunks created after the drop)
CREATE ROLE strata_rls;
GRANT SELECT, INSERT ON readings TO strata_rls;
ALTER TABLE readings ENABLE ROW LEVEL SECURITY;
CREATE POLICY small_devices ON readings FOR ALL TO strata_rls USING (true) WITH CHECK (extra < 100);
SET ROLE strata_rls;
INSERT INTO readings VALUES ('2025-01-01 01:00+00', 60, 1, 1), ('2024-01-01 05:00+00', 60, 1, 1);
SELECT pg_temp.err($$INSERT INTO readings VALUES ('2025-01-01 02:00+00', 600, 1, 600)$$);
SELECT pg_temp.err($$INSERT INTO readings VALUES ('2024-01-01 06:00+00', 600, 1, 600)$$);
RESET ROLE;
SELECT count(*) FROM readings WHERE device IN (60, 600);
DROP POLICY small_devices ON readings;
ALTER TABLE readings DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON readings FROM strata_rls;
DROP ROLE strata_rls;

-- the parent itself never holds rows, even when the rows come in through the fallback trigger
SELECT count(*) FROM ONLY readings;
