-- A generic plan of a one-row INSERT keeps its compiled row across executions (ChunkDispatch,
-- RowProjection in src/ingest/dispatch.cpp): its second execution compiles the row into memory of
-- its own and later executions take it over. Rows must come out as if computed afresh: values of
-- each execution's parameters, in the right chunks, with RETURNING, ON CONFLICT, a chunk of another
-- layout, after failed executions; rows whose compiled form holds per-execution state (user
-- functions, init plans, domains) are computed per execution; a plan executed again inside its own
-- execution (from a trigger) computes a row of its own; and the EXECUTE privilege of a function in
-- the row holds for every user and after a REVOKE.
SET plan_cache_mode = force_generic_plan;
CREATE TABLE k (ts timestamptz NOT NULL, dev int NOT NULL, val float8, note text, UNIQUE (dev, ts));
SELECT * FROM create_hypertable('k', by_range('ts', INTERVAL '1 day'));
CREATE VIEW k_rows AS
SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS ts_utc, dev, val,
       (SELECT c.chunk_name FROM strata_information.chunks c
         WHERE format('%I.%I', c.chunk_schema, c.chunk_name)::regclass = k.tableoid) AS chunk
FROM k;

-- parameters and built-in functions, as pgbench -M prepared sends the bench's INSERT
PREPARE p(timestamptz, float8, int, float8) AS
  INSERT INTO k (ts, dev, val) VALUES ($1 + $2 * INTERVAL '1 microsecond', $3, $4) RETURNING dev, val;
EXPLAIN (COSTS OFF, VERBOSE) EXECUTE p('2024-01-01 00:00+00', 0, 0, 0);
EXECUTE p('2024-01-01 00:00+00', 3600e6, 1, 1);
EXECUTE p('2024-01-02 00:00+00', 3600e6, 2, 2);
EXECUTE p('2024-01-03 00:00+00', 7200e6, 3, 3);
EXECUTE p('2024-01-01 00:00+00', 10800e6, 4, NULL);
EXECUTE p('2024-01-05 00:00+00', 0, 5, 5);
-- failed executions (a unique violation, a NULL time) leave it usable
EXECUTE p('2024-01-01 00:00+00', 3600e6, 1, 9);
EXECUTE p(NULL, 0, 6, 6);
EXECUTE p('2024-01-01 00:00+00', 14400e6, 6, 6);
EXPLAIN (COSTS OFF, VERBOSE) EXECUTE p('2024-01-01 00:00+00', 0, 0, 0);
SELECT * FROM k_rows ORDER BY dev;

-- ON CONFLICT, text
PREPARE q(timestamptz, int, text) AS
  INSERT INTO k (ts, dev, val, note) VALUES ($1, $2, length($3), upper($3))
  ON CONFLICT (dev, ts) DO UPDATE SET note = excluded.note || '!' RETURNING dev, val, note;
EXECUTE q('2024-01-01 05:00+00', 10, 'a');
EXECUTE q('2024-01-01 05:00+00', 10, 'bb');
EXECUTE q('2024-01-01 05:00+00', 10, 'ccc');
EXECUTE q('2024-01-02 05:00+00', 10, 'dddd');
EXECUTE q('2024-01-02 05:00+00', 10, 'eeeee');

-- computed per execution: a user function, an init plan, a domain with a check
CREATE FUNCTION plus_one(int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN $1 + 1; END $$;
PREPARE u(timestamptz, int) AS
  INSERT INTO k (ts, dev, val) VALUES ($1, plus_one($2), (SELECT count(*) FROM k WHERE dev < $2)) RETURNING dev, val;
EXECUTE u('2024-01-01 06:00+00', 10);
EXECUTE u('2024-01-01 07:00+00', 11);
EXECUTE u('2024-01-01 08:00+00', 12);
CREATE DOMAIN small_val AS float8 CHECK (VALUE < 100);
PREPARE dom(timestamptz, float8) AS INSERT INTO k (ts, dev, val) VALUES ($1, 15, $2::small_val) RETURNING dev, val;
EXECUTE dom('2024-01-01 09:00+00', 1);
EXECUTE dom('2024-01-01 10:00+00', 2);
EXECUTE dom('2024-01-01 11:00+00', 300);
EXECUTE dom('2024-01-01 12:00+00', 3);

-- a chunk of another layout (created after a column was dropped) and an older chunk
ALTER TABLE k DROP COLUMN note;
PREPARE d(timestamptz, int) AS INSERT INTO k (ts, dev, val) VALUES ($1, $2, $2 * 2) RETURNING k, tableoid = 'k'::regclass AS parent;
EXECUTE d('2024-01-10 00:00+00', 20);
EXECUTE d('2024-01-01 13:00+00', 21);
EXECUTE d('2024-01-10 01:00+00', 22);
EXECUTE d('2024-01-01 14:00+00', 23);
SELECT ts_utc, dev, val, chunk FROM k_rows WHERE dev BETWEEN 20 AND 23 ORDER BY dev;

-- the plan executed again inside its own execution, from a trigger on the chunks
CREATE FUNCTION again() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.dev = 30 THEN
    EXECUTE 'EXECUTE d(''2024-01-02 08:00+00'', 31)';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER again BEFORE INSERT ON k FOR EACH ROW EXECUTE FUNCTION again();
EXECUTE d('2024-01-03 08:00+00', 28);
EXECUTE d('2024-01-03 09:00+00', 29);
EXECUTE d('2024-01-03 10:00+00', 30);
EXECUTE d('2024-01-03 11:00+00', 32);
SELECT ts_utc, dev, val, chunk FROM k_rows WHERE dev BETWEEN 28 AND 32 ORDER BY dev;
DROP TRIGGER again ON k;

-- the EXECUTE privilege of a built-in function in the row: per user, and after a REVOKE
CREATE ROLE kept_row_a;
CREATE ROLE kept_row_b;
GRANT INSERT ON k TO kept_row_a, kept_row_b;
REVOKE EXECUTE ON FUNCTION upper(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION upper(text) TO kept_row_a;
PREPARE r(timestamptz, text) AS INSERT INTO k (ts, dev, val) VALUES ($1, 40, length(upper($2)));
SET ROLE kept_row_a;
EXECUTE r('2024-01-01 15:00+00', 'a');
EXECUTE r('2024-01-01 16:00+00', 'bb');
EXECUTE r('2024-01-01 17:00+00', 'ccc');
SET ROLE kept_row_b;
EXECUTE r('2024-01-01 18:00+00', 'dddd');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION upper(text) FROM kept_row_a;
SET ROLE kept_row_a;
EXECUTE r('2024-01-01 19:00+00', 'eeeee');
RESET ROLE;
-- a privilege held through a role's membership, which no pg_proc change revokes
CREATE ROLE kept_row_grp;
GRANT EXECUTE ON FUNCTION upper(text) TO kept_row_grp;
GRANT kept_row_grp TO kept_row_a;
SET ROLE kept_row_a;
EXECUTE r('2024-01-01 19:10+00', 'g');
EXECUTE r('2024-01-01 19:20+00', 'gg');
RESET ROLE;
REVOKE kept_row_grp FROM kept_row_a;
SET ROLE kept_row_a;
EXECUTE r('2024-01-01 19:30+00', 'ggg');
RESET ROLE;
GRANT EXECUTE ON FUNCTION upper(text) TO PUBLIC;
EXECUTE r('2024-01-01 20:00+00', 'ffffff');
SELECT ts_utc, dev, val FROM k_rows WHERE dev = 40 ORDER BY ts_utc;

SELECT count(*) AS rows, count(DISTINCT tableoid) AS chunks FROM k;
RESET plan_cache_mode;
DEALLOCATE ALL;
DROP TABLE k CASCADE;
REVOKE ALL ON FUNCTION upper(text) FROM kept_row_a;
REVOKE ALL ON FUNCTION upper(text) FROM kept_row_grp;
DROP ROLE kept_row_grp;
DROP ROLE kept_row_a;
DROP ROLE kept_row_b;
