-- ChunkDispatch hands ModifyTable each row in a slot of the hypertable's row type, which ModifyTable
-- inserts as it is into a chunk of the same layout (no per-chunk projection), while still reading
-- the chunk's OID from the junk column past the row. Whatever ModifyTable does with that slot
-- must see exactly the row: RETURNING (columns, whole row, tableoid), generated columns, BEFORE
-- ROW triggers that change the row, ON CONFLICT, transition tables, prepared statements with
-- generic plans, and chunks of another layout (created after DROP COLUMN) in the same statement.
CREATE TABLE r (ts timestamptz NOT NULL, dev int NOT NULL, val float8,
                twice float8 GENERATED ALWAYS AS (val * 2) STORED, UNIQUE (dev, ts));
SELECT * FROM create_hypertable('r', by_range('ts', INTERVAL '1 day'));

-- rows to three chunks in one statement, RETURNING columns, tableoid and the whole row
INSERT INTO r (ts, dev, val) VALUES ('2024-01-01 01:00+00', 1, 1), ('2024-01-02 01:00+00', 1, 2),
                                    ('2024-01-03 01:00+00', 1, 3), ('2024-01-01 02:00+00', 2, 4)
RETURNING ts, dev, val, twice, tableoid::regclass AS chunk, r AS whole;
SELECT count(DISTINCT tableoid) AS chunks, count(*) FROM r;
-- every chunk row has exactly the table's columns, read back through the hypertable and the chunk
SELECT r::text, tableoid::regclass AS chunk FROM r ORDER BY ts, dev;
SELECT count(*) AS rows_with_four_columns FROM r WHERE row(ts, dev, val, twice) IS NOT DISTINCT FROM r.*;

-- a prepared statement past its custom plans (generic plan), into existing and new chunks
PREPARE ins(timestamptz, int, float8) AS INSERT INTO r (ts, dev, val) VALUES ($1, $2, $3);
EXECUTE ins('2024-01-01 03:00+00', 3, 5);
EXECUTE ins('2024-01-02 03:00+00', 3, 6);
EXECUTE ins('2024-01-03 03:00+00', 3, 7);
EXECUTE ins('2024-01-01 04:00+00', 3, 8);
EXECUTE ins('2024-01-02 04:00+00', 3, 9);
EXECUTE ins('2024-01-03 04:00+00', 3, 10);
EXECUTE ins('2024-01-04 04:00+00', 3, 11);
EXECUTE ins('2024-01-01 05:00+00', 3, 12);
SELECT ts, dev, val, twice, tableoid::regclass AS chunk FROM r WHERE dev = 3 ORDER BY ts;
DEALLOCATE ins;

-- the unique index of the chunk is there: ON CONFLICT DO NOTHING and DO UPDATE
INSERT INTO r (ts, dev, val) VALUES ('2024-01-02 01:00+00', 1, 100), ('2024-01-05 01:00+00', 1, 101)
ON CONFLICT DO NOTHING RETURNING ts, val, tableoid::regclass AS chunk;
INSERT INTO r (ts, dev, val) VALUES ('2024-01-02 01:00+00', 1, 200), ('2024-01-06 01:00+00', 1, 201)
ON CONFLICT (dev, ts) DO UPDATE SET val = excluded.val + 0.5 RETURNING ts, val, twice, tableoid::regclass AS chunk;

-- a BEFORE ROW trigger (cloned onto the chunks) that changes the row; an AFTER STATEMENT trigger
-- with a transition table sees the rows as inserted
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.val := NEW.val + 1000; RETURN NEW; END $$;
CREATE TRIGGER bump BEFORE INSERT ON r FOR EACH ROW WHEN (NEW.dev = 9) EXECUTE FUNCTION bump();
CREATE FUNCTION seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'new rows: %', (SELECT string_agg(format('%s/%s/%s', dev, val, twice), ' ' ORDER BY ts, dev) FROM new_rows);
  RETURN NULL;
END $$;
CREATE TRIGGER seen AFTER INSERT ON r REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION seen();
INSERT INTO r (ts, dev, val) VALUES ('2024-01-01 06:00+00', 9, 1), ('2024-01-07 06:00+00', 9, 2), ('2024-01-01 06:00+00', 8, 3)
RETURNING dev, val, twice, tableoid::regclass AS chunk;
DROP TRIGGER seen ON r;
DROP TRIGGER bump ON r;

-- a chunk created after a column was dropped has another layout: rows for it and for an older
-- chunk in one statement, then the same through a prepared statement; a whole-row reference in
-- RETURNING, ON CONFLICT DO UPDATE and a row-level security check reads the chunk's row as a row
-- of the hypertable
ALTER TABLE r DROP COLUMN twice;
ALTER TABLE r ADD COLUMN note text DEFAULT 'n';
INSERT INTO r (ts, dev, val, note) VALUES ('2024-01-01 07:00+00', 4, 1, 'old'), ('2024-01-10 07:00+00', 4, 2, 'new')
RETURNING *, tableoid::regclass AS chunk, r AS whole;
PREPARE ins2(timestamptz, int, float8) AS INSERT INTO r (ts, dev, val) VALUES ($1, $2, $3) RETURNING r;
EXECUTE ins2('2024-01-01 08:00+00', 5, 1);
EXECUTE ins2('2024-01-10 08:00+00', 5, 2);
EXECUTE ins2('2024-01-01 09:00+00', 5, 3);
EXECUTE ins2('2024-01-10 09:00+00', 5, 4);
EXECUTE ins2('2024-01-01 10:00+00', 5, 5);
EXECUTE ins2('2024-01-10 10:00+00', 5, 6);
EXECUTE ins2('2024-01-11 10:00+00', 5, 7);
SELECT ts, dev, val, note, tableoid::regclass AS chunk FROM r WHERE dev IN (4, 5) ORDER BY ts, dev;
INSERT INTO r (ts, dev, val) VALUES ('2024-01-10 07:00+00', 4, 3), ('2024-01-01 07:00+00', 4, 4)
ON CONFLICT (dev, ts) DO UPDATE SET note = r::text || '|' || excluded::text RETURNING note, tableoid::regclass AS chunk;
CREATE ROLE row_slot_user;
GRANT SELECT, INSERT ON r TO row_slot_user;
ALTER TABLE r ENABLE ROW LEVEL SECURITY;
CREATE POLICY p_sel ON r FOR SELECT USING (true);
CREATE POLICY p_ins ON r FOR INSERT WITH CHECK (r::text NOT LIKE '%forbidden%');
SET ROLE row_slot_user;
INSERT INTO r (ts, dev, val, note) VALUES ('2024-01-10 11:00+00', 6, 1, 'fine'), ('2024-01-01 11:00+00', 6, 2, 'fine')
RETURNING note, tableoid::regclass AS chunk;
INSERT INTO r (ts, dev, val, note) VALUES ('2024-01-10 12:00+00', 6, 1, 'forbidden');
INSERT INTO r (ts, dev, val, note) VALUES ('2024-01-01 12:00+00', 6, 1, 'forbidden');
RESET ROLE;
ALTER TABLE r DISABLE ROW LEVEL SECURITY;
DROP POLICY p_sel ON r;
DROP POLICY p_ins ON r;
REVOKE ALL ON r FROM row_slot_user;
DROP ROLE row_slot_user;

-- many rows of INSERT ... SELECT across chunks
INSERT INTO r (ts, dev, val) SELECT '2024-01-01 00:00+00'::timestamptz + i * interval '1 hour', 100, i
FROM generate_series(0, 299) AS i;
SELECT count(*), sum(val), count(DISTINCT tableoid) AS chunks FROM r WHERE dev = 100;
SELECT count(*) AS parent_rows FROM ONLY r;
