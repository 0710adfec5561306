-- Differential property test of writes into compressed chunks: a random sequence of INSERT,
-- COPY, upserts (DO NOTHING / DO UPDATE), UPDATE, DELETE, MERGE and ALTER TABLE (ADD / DROP /
-- RENAME COLUMN, ALTER COLUMN TYPE, SET / DROP NOT NULL), with compress_chunk in between, runs
-- on a compressed hypertable and on a plain table with the same primary key. Every
-- statement must have the same outcome on both (ok, or the same SQLSTATE) and the contents must be
-- identical after every step. Fixed seed, so a failure reproduces; the log of statements whose
-- outcome or contents differed is printed (empty when all is well).
SET TimeZone = 'UTC';
CREATE SCHEMA cs_diff;
SET search_path = cs_diff, public;
-- The COPY file goes to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh
-- and test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set copy_file :tmpdir '/cs_diff.copy'
SET cs_diff.copy_file = :'copy_file';

CREATE TABLE ht (time timestamptz NOT NULL, device int NOT NULL, val float8, tag text,
                 PRIMARY KEY (device, time));
CREATE TABLE pt (LIKE ht INCLUDING ALL);
SELECT count(*) FROM create_hypertable('ht', by_range('time', interval '1 day'));
ALTER TABLE ht SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                    timescaledb.compress_orderby = 'time');
INSERT INTO ht SELECT t, d, d + extract(minute from t), 'init'
  FROM generate_series('2024-01-01'::timestamptz, '2024-01-03 23:50', '10 min') t, generate_series(1, 4) d;
INSERT INTO pt SELECT * FROM ht;
SELECT count(compress_chunk(c)) FROM show_chunks('ht') c;

CREATE TABLE failures (step int, stmt text, ht_outcome text, pt_outcome text, diff bigint);
CREATE TABLE outcomes (step int, kind int, outcome text);

CREATE FUNCTION outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;

-- (PL/pgSQL: its plans are invalidated when compress_chunk replaces a companion table within
-- the transaction; a SQL function keeps its plan for the whole transaction.)
CREATE FUNCTION diff() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM ((SELECT * FROM ht EXCEPT ALL SELECT * FROM pt)
                                UNION ALL (SELECT * FROM pt EXCEPT ALL SELECT * FROM ht)) d);
END $$;

-- A random time on the 5-minute grid of the three days (half of them hit existing keys).
CREATE FUNCTION rt() RETURNS text LANGUAGE sql AS $$
  SELECT quote_literal('2024-01-01'::timestamptz + (floor(random() * 864) * interval '5 min'))
$$;
CREATE FUNCTION rd() RETURNS int LANGUAGE sql AS $$ SELECT 1 + floor(random() * 5)::int $$;

-- One random statement on table @T@ (ht or pt), from random draws already made in `r`.
CREATE FUNCTION stmt(kind int, r float8[], times text[], devs int[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  vals text := '';
BEGIN
  CASE kind
  WHEN 0 THEN  -- multi-row INSERT (may conflict: 23505 on both)
    FOR i IN 1..3 LOOP
      vals := vals || CASE WHEN i > 1 THEN ', ' ELSE '' END || format('(%s, %s, %s, %L)', times[i], devs[i], round(r[i] * 100), 'ins');
    END LOOP;
    RETURN 'INSERT INTO @T@ VALUES ' || vals;
  WHEN 1 THEN  -- upsert DO NOTHING
    FOR i IN 1..4 LOOP
      vals := vals || CASE WHEN i > 1 THEN ', ' ELSE '' END || format('(%s, %s, %s, %L)', times[i], devs[i], round(r[i] * 100), 'ups0');
    END LOOP;
    RETURN 'INSERT INTO @T@ VALUES ' || vals || ' ON CONFLICT DO NOTHING';
  WHEN 2 THEN  -- upsert DO UPDATE with EXCLUDED and WHERE (a repeated key: 21000 on both)
    FOR i IN 1..4 LOOP
      vals := vals || CASE WHEN i > 1 THEN ', ' ELSE '' END || format('(%s, %s, %s, %L)', times[i], devs[i], round(r[i] * 100), 'ups1');
    END LOOP;
    RETURN 'INSERT INTO @T@ VALUES ' || vals || format(' ON CONFLICT (device, time) DO UPDATE SET val = @T@.val + excluded.val, tag = excluded.tag WHERE @T@.val < %s', round(r[5] * 150));
  WHEN 3 THEN  -- UPDATE of a device and time range
    RETURN format('UPDATE @T@ SET val = val * 2, tag = %L WHERE device = %s AND time >= %s AND time < %s::timestamptz + interval %L',
                  'upd', devs[1], times[1], times[1], (1 + floor(r[1] * 180)) || ' min');
  WHEN 4 THEN  -- UPDATE on a non-key column's values (no metadata help)
    RETURN format('UPDATE @T@ SET tag = %L WHERE val BETWEEN %s AND %s', 'updv', round(r[1] * 50), round(r[1] * 50) + 3);
  WHEN 5 THEN  -- DELETE of a device and time range (whole batches sometimes)
    RETURN format('DELETE FROM @T@ WHERE device = %s AND time >= %s AND time < %s::timestamptz + interval %L',
                  devs[1], times[1], times[1], (1 + floor(r[1] * 120)) || ' min');
  WHEN 6 THEN  -- UPDATE that changes the key (may collide: 23505 on both)
    RETURN format('UPDATE @T@ SET time = time + interval %L WHERE device = %s AND time >= %s AND time < %s::timestamptz + interval %L',
                  (5 * (1 + floor(r[2] * 3))) || ' min', devs[1], times[1], times[1], '20 min');
  WHEN 7 THEN  -- MERGE
    FOR i IN 1..4 LOOP
      vals := vals || CASE WHEN i > 1 THEN ', ' ELSE '' END || format('(%s::timestamptz, %s, %s::float8)', times[i], devs[i], round(r[i] * 100));
    END LOOP;
    RETURN 'MERGE INTO @T@ USING (VALUES ' || vals || ') s(time, device, val) ON @T@.device = s.device AND @T@.time = s.time'
        || ' WHEN MATCHED AND s.val < 30 THEN DELETE WHEN MATCHED THEN UPDATE SET val = s.val, tag = ''mrg'''
        || ' WHEN NOT MATCHED THEN INSERT VALUES (s.time, s.device, s.val, ''mrgi'')';
  WHEN 8 THEN  -- DELETE with a sub-query
    RETURN format('DELETE FROM @T@ WHERE device = %s AND val > (SELECT avg(val) FROM @T@ WHERE device = %s) + %s',
                  devs[1], devs[1], round(r[1] * 40));
  WHEN 9 THEN  -- COPY from a file (may conflict: 23505 on both)
    RETURN format('COPY @T@ (time, device, val, tag) FROM %L', '@FILE@');
  WHEN 10 THEN  -- ADD COLUMN with a default (42701 on both when it is there)
    RETURN format('ALTER TABLE @T@ ADD COLUMN extra int DEFAULT %s', floor(r[1] * 10));
  WHEN 11 THEN  -- DROP COLUMN (42703 on both when it is not there)
    RETURN 'ALTER TABLE @T@ DROP COLUMN extra';
  WHEN 12 THEN  -- ALTER COLUMN TYPE, batch by batch on the compressed chunks
    RETURN CASE WHEN r[1] < 0.25 THEN 'ALTER TABLE @T@ ALTER COLUMN val TYPE numeric'
                WHEN r[1] < 0.5 THEN 'ALTER TABLE @T@ ALTER COLUMN val TYPE float8'
                WHEN r[1] < 0.75 THEN 'ALTER TABLE @T@ ALTER COLUMN extra TYPE bigint'
                ELSE 'ALTER TABLE @T@ ALTER COLUMN extra TYPE int' END;
  ELSE          -- RENAME COLUMN, SET / DROP NOT NULL
    RETURN CASE WHEN r[1] < 0.25 THEN 'ALTER TABLE @T@ RENAME COLUMN extra TO extra_r'
                WHEN r[1] < 0.5 THEN 'ALTER TABLE @T@ RENAME COLUMN extra_r TO extra'
                WHEN r[1] < 0.75 THEN 'ALTER TABLE @T@ ALTER COLUMN extra SET NOT NULL'
                ELSE 'ALTER TABLE @T@ ALTER COLUMN extra DROP NOT NULL' END;
  END CASE;
END $$;

SET client_min_messages = warning;  -- compress_chunk's NOTICEs for chunks already compressed
DO $$
DECLARE
  step int;
  kind int;
  r float8[];
  times text[];
  devs int[];
  q text;
  a text;
  b text;
  d bigint;
  f text := current_setting('cs_diff.copy_file');
BEGIN
  PERFORM setseed(0.17);
  FOR step IN 1..400 LOOP
    kind := floor(random() * 14)::int;
    r := ARRAY[random(), random(), random(), random(), random()];
    times := ARRAY[rt(), rt(), rt(), rt()];
    devs := ARRAY[rd(), rd(), rd(), rd()];
    IF kind = 9 THEN
      EXECUTE format($c$COPY (SELECT %s::timestamptz, %s, %s, 'copy' UNION ALL SELECT %s::timestamptz, %s, %s, 'copy') TO %L$c$,
                     times[1], devs[1], round(r[1] * 100), times[2], devs[2], round(r[2] * 100), f);
    END IF;
    q := replace(stmt(kind, r, times, devs), '@FILE@', f);
    a := outcome(replace(q, '@T@', 'ht'));
    b := outcome(replace(q, '@T@', 'pt'));
    d := diff();
    INSERT INTO outcomes VALUES (step, kind, a);
    IF a <> b OR d <> 0 THEN
      INSERT INTO failures VALUES (step, replace(q, '@T@', 'ht'), a, b, d);
      -- Start again from equal contents, so one failure does not hide the others.
      DELETE FROM pt;
      INSERT INTO pt SELECT * FROM ht;
    END IF;
    IF step % 4 = 0 THEN
      PERFORM compress_chunk(c) FROM show_chunks('ht') c;
    END IF;
  END LOOP;
END $$;

RESET client_min_messages;
SELECT * FROM failures ORDER BY step;
-- What the sequence exercised: statements by kind and outcome (errors included).
SELECT kind, outcome, count(*) FROM outcomes GROUP BY 1, 2 ORDER BY 1, 2;
SELECT diff(), (SELECT count(*) FROM ht) AS rows;

DROP SCHEMA cs_diff CASCADE;
