-- INSERT and COPY skip a chunk's range constraint (_strata_range) for rows they routed to it,
-- and only then: every other CHECK constraint is still enforced, and rows that can change after
-- routing (BEFORE ROW triggers, ON CONFLICT DO UPDATE) are still checked against the range.
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE m (time timestamptz NOT NULL, dev int NOT NULL, value float8 CHECK (value >= 0),
                note text, PRIMARY KEY (dev, time));
SELECT * FROM create_hypertable('m', by_range('time', INTERVAL '1 day'));
ALTER TABLE m ADD CONSTRAINT note_short CHECK (length(note) < 6);

-- routed rows go in (a new chunk, then an existing one), through INSERT and COPY
INSERT INTO m VALUES ('2024-01-01 01:00+00', 1, 1, 'a');
INSERT INTO m VALUES ('2024-01-01 02:00+00', 1, 2, 'b'), ('2024-01-02 02:00+00', 1, 3, 'c');
COPY m FROM stdin;
2024-01-01 03:00:00+00	2	4	d
2024-01-03 03:00:00+00	2	5	e
\.
SELECT count(*), count(DISTINCT tableoid) AS chunks FROM m;

-- the other CHECK constraints of the chunks hold, in an existing chunk and in a new one
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-01 04:00+00', 3, -1, 'x')$$);
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-09 04:00+00', 3, -1, 'x')$$);
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-01 04:00+00', 3, 1, 'toolong')$$);
SELECT pg_temp.err($$COPY m FROM PROGRAM 'printf "2024-01-02 05:00:00+00\t3\t-2\tx\n"'$$);
SELECT pg_temp.err($$COPY m FROM PROGRAM 'printf "2024-01-10 05:00:00+00\t3\t2\ttoolong\n"'$$);
-- a NOT VALID constraint added later is enforced for new rows too
ALTER TABLE m ADD CONSTRAINT dev_small CHECK (dev < 100) NOT VALID;
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-01 06:00+00', 100, 1, 'x')$$);
SELECT pg_temp.err($$COPY m FROM PROGRAM 'printf "2024-01-01 06:00:00+00\t100\t1\tx\n"'$$);

-- ON CONFLICT DO UPDATE that moves the row out of its chunk's range fails as PostgreSQL fails it for
-- a partition (0A000), not on the range constraint
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-01 01:00+00', 1, 9, 'z')
  ON CONFLICT (dev, time) DO UPDATE SET time = m.time + INTERVAL '10 days'$$);
-- while one that stays inside it works
INSERT INTO m VALUES ('2024-01-01 01:00+00', 1, 9, 'z')
  ON CONFLICT (dev, time) DO UPDATE SET time = m.time + INTERVAL '30 minutes' RETURNING time, value, note;

-- a BEFORE ROW trigger that moves the time after routing: the range constraint stops the row
CREATE FUNCTION shift() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.note = 'shift' THEN NEW.time := NEW.time + INTERVAL '10 days'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER m_shift BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION shift();
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-01 07:00+00', 4, 1, 'shift')$$);
SELECT pg_temp.err($$COPY m FROM PROGRAM 'printf "2024-01-02 07:00:00+00\t4\t1\tshift\n"'$$);
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-11 07:00+00', 4, 1, 'shift')$$);
INSERT INTO m VALUES ('2024-01-01 07:00+00', 4, 1, 'ok');
DROP TRIGGER m_shift ON m;

-- a chunk with another physical layout (created after a column was dropped) checks the same
ALTER TABLE m DROP COLUMN note;
INSERT INTO m VALUES ('2024-01-20 01:00+00', 5, 1);
SELECT pg_temp.err($$INSERT INTO m VALUES ('2024-01-20 02:00+00', 5, -1)$$);
SELECT pg_temp.err($$COPY m FROM PROGRAM 'printf "2024-01-20 03:00:00+00\t5\t-1\n"'$$);

-- the range constraint itself is still on every chunk: a row written into a chunk by name is checked
SELECT count(*) FROM pg_constraint c JOIN pg_inherits i ON c.conrelid = i.inhrelid
 WHERE i.inhparent = 'm'::regclass AND c.conname = '_strata_range';
SELECT pg_temp.err(format('INSERT INTO %s VALUES (%L, 6, 1)',
                          (SELECT tableoid::regclass FROM m WHERE time = '2024-01-20 01:00+00'), '2024-01-01 00:00+00'));

SELECT time, dev, value FROM m ORDER BY time, dev;
SELECT count(*) AS misplaced FROM m r JOIN _strata_catalog.chunk c
    ON format('%I.%I', c.schema_name, c.table_name)::regclass = r.tableoid
 WHERE extract(epoch FROM r.time) * 1000000 < c.range_start OR extract(epoch FROM r.time) * 1000000 >= c.range_end;

-- A chunk whose only constraints are the range check and NOT NULL on the time column skips
-- ExecConstraints for routed rows; NOT NULL on any other column or a CHECK keeps it. Through the
-- rowstore COPY, the direct-to-columnstore COPY and the direct multi-row INSERT.
CREATE TABLE nn (time timestamptz NOT NULL, dev int, value float8);
SELECT * FROM create_hypertable('nn', by_range('time', INTERVAL '1 day'));
ALTER TABLE nn SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
COPY nn FROM PROGRAM 'printf "2024-01-01 01:00:00+00\t1\t1\n"';
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "\\\\N\t1\t1\n"'$$);
SET strata.enable_direct_compress_copy = on;
COPY nn FROM PROGRAM 'printf "2024-01-02 01:00:00+00\t1\t2\n2024-01-02 02:00:00+00\t2\t\\\\N\n"';
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "\\\\N\t1\t1\n"'$$);
INSERT INTO nn VALUES ('2024-01-03 01:00+00', 1, 3), ('2024-01-03 02:00+00', 2, NULL);
SELECT pg_temp.err($$INSERT INTO nn VALUES (NULL, 1, 3), ('2024-01-03 02:00+00', 1, 3)$$);
-- NOT NULL on another column, then a CHECK: both hold in the chunks already there
ALTER TABLE nn ALTER COLUMN dev SET NOT NULL;
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "2024-01-02 03:00:00+00\t\\\\N\t1\n"'$$);
SELECT pg_temp.err($$INSERT INTO nn VALUES ('2024-01-03 03:00+00', NULL, 3), ('2024-01-03 04:00+00', 1, 3)$$);
RESET strata.enable_direct_compress_copy;
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "2024-01-01 03:00:00+00\t\\\\N\t1\n"'$$);
ALTER TABLE nn ALTER COLUMN dev DROP NOT NULL;
ALTER TABLE nn ADD CONSTRAINT value_positive CHECK (value > 0);
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "2024-01-01 04:00:00+00\t1\t-1\n"'$$);
SET strata.enable_direct_compress_copy = on;
SELECT pg_temp.err($$COPY nn FROM PROGRAM 'printf "2024-01-02 04:00:00+00\t1\t-1\n"'$$);
SELECT pg_temp.err($$INSERT INTO nn VALUES ('2024-01-03 04:00+00', 1, -1), ('2024-01-03 05:00+00', 1, 3)$$);
RESET strata.enable_direct_compress_copy;
SELECT time, dev, value FROM nn ORDER BY time;
-- the direct statements wrote batches
SELECT count(*) > 0 AS compressed FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk c ON c.id = cc.chunk_id
  JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id WHERE h.table_name = 'nn';
