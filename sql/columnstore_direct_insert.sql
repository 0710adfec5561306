-- Multi-row INSERT straight into the columnstore (issue 17): an INSERT ... SELECT or a multi-row
-- INSERT ... VALUES into a hypertable with the columnstore enabled writes compressed batches like
-- a direct COPY: automatically for rows of an already compressed chunk when at least
-- strata.direct_compress_copy_min_rows rows are expected (fewer go to the row part), and for any
-- chunk when strata.enable_direct_compress_copy asks and more than one row is expected. Results
-- equal those of the same statements on a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_di;
SET search_path = cs_di, public;

CREATE TABLE src (time timestamptz NOT NULL, host text, v int, note text);
INSERT INTO src SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 3),
       CASE WHEN g % 17 = 0 THEN NULL ELSE g END, CASE WHEN g % 5 = 0 THEN NULL ELSE 'n' || (g % 13) END
  FROM generate_series(1, 6000) g;
ANALYZE src;

CREATE FUNCTION mk(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (time timestamptz NOT NULL, host text, v int, note text)', name);
  PERFORM create_hypertable(name, by_range('time', interval '10 days'));
  EXECUTE format($f$ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time')$f$, name);
  EXECUTE format('CREATE TABLE %I (LIKE %I)', name || '_plain', name);
END $$;
-- Per chunk of a hypertable: status, whether its row part has rows, batches and rows in them.
CREATE FUNCTION parts(ht regclass) RETURNS TABLE (chunk int, status int, row_part boolean, batches bigint, batch_rows bigint)
LANGUAGE plpgsql AS $$
DECLARE c regclass; comp text;
BEGIN
  chunk := 0;
  FOR c IN SELECT s FROM show_chunks(ht) s ORDER BY s::text LOOP
    chunk := chunk + 1;
    status := _strata_internal.chunk_status(c);
    row_part := pg_relation_size(c) > 0;
    SELECT format('%I.%I', cc.schema_name, cc.table_name) INTO comp
      FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
     WHERE format('%I.%I', ch.schema_name, ch.table_name)::regclass = c;
    batches := NULL; batch_rows := NULL;
    IF comp IS NOT NULL THEN
      EXECUTE format('SELECT count(*), coalesce(sum(_strata_count), 0) FROM %s', comp) INTO batches, batch_rows;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
-- Runs a statement on the hypertable t and on its plain twin t_plain: one result when both give
-- the same (errors by SQLSTATE and message, constraint names left out: a chunk's index has its own).
CREATE FUNCTION both_(t text, q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text := 'ok'; b text := 'ok';
BEGIN
  BEGIN EXECUTE replace(q, '%t', t);
  EXCEPTION WHEN OTHERS THEN a := SQLSTATE || ': ' || regexp_replace(SQLERRM, 'constraint "[^"]*"', 'constraint');
  END;
  BEGIN EXECUTE replace(q, '%t', t || '_plain');
  EXCEPTION WHEN OTHERS THEN b := SQLSTATE || ': ' || regexp_replace(replace(SQLERRM, t || '_plain', t), 'constraint "[^"]*"', 'constraint');
  END;
  RETURN CASE WHEN a = b THEN a ELSE 'hypertable: ' || a || ' / plain: ' || b END;
END $$;
-- Rows of t that t_plain does not have, and the other way round (0 0: the same).
CREATE FUNCTION differ(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE x bigint; y bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I) d', t, t || '_plain') INTO x;
  EXECUTE format('SELECT count(*) FROM (SELECT * FROM %I EXCEPT ALL SELECT * FROM %I) d', t || '_plain', t) INTO y;
  RETURN x || ' ' || y;
END $$;

-- ---- automatic: enough rows for an already compressed chunk ----------------------------------
SELECT mk('a1');
INSERT INTO a1 SELECT * FROM src WHERE host <> 'h2';
INSERT INTO a1_plain SELECT * FROM src WHERE host <> 'h2';
SELECT count(compress_chunk(c)) FROM show_chunks('a1') c;
SELECT * FROM parts('a1');
-- 2,000 rows of host h2 for the compressed chunks: written as batches, the row parts stay empty.
INSERT INTO a1 SELECT * FROM src WHERE host = 'h2';
INSERT INTO a1_plain SELECT * FROM src WHERE host = 'h2';
SELECT * FROM parts('a1');
SELECT differ('a1');
-- A few rows: the row part, as before.
INSERT INTO a1 VALUES ('2026-01-01 00:00:30', 'h2', 1, 'x'), ('2026-01-01 00:00:40', 'h9', 2, NULL);
INSERT INTO a1_plain VALUES ('2026-01-01 00:00:30', 'h2', 1, 'x'), ('2026-01-01 00:00:40', 'h9', 2, NULL);
SELECT * FROM parts('a1');
SELECT differ('a1');
-- Off with min_rows 0.
SET strata.direct_compress_copy_min_rows = 0;
INSERT INTO a1 SELECT time + interval '1 second', host, v, note FROM src WHERE host = 'h2';
INSERT INTO a1_plain SELECT time + interval '1 second', host, v, note FROM src WHERE host = 'h2';
SELECT * FROM parts('a1');
RESET strata.direct_compress_copy_min_rows;
SELECT differ('a1');
SELECT count(*), count(v), sum(v), count(note), min(time), max(time) FROM a1 WHERE host = 'h2';

-- ---- asked for: any chunk, from two rows on ---------------------------------------------------
SET strata.enable_direct_compress_copy = on;
SELECT mk('d1');
INSERT INTO d1 VALUES ('2026-02-01 00:00', 'h1', 1, 'a'), ('2026-02-01 00:01', 'h1', 2, NULL),
                      ('2026-02-01 00:02', 'h2', NULL, 'c');
INSERT INTO d1_plain VALUES ('2026-02-01 00:00', 'h1', 1, 'a'), ('2026-02-01 00:01', 'h1', 2, NULL),
                            ('2026-02-01 00:02', 'h2', NULL, 'c');
SELECT * FROM parts('d1');
-- One row: the row part.
INSERT INTO d1 VALUES ('2026-02-01 00:03', 'h1', 3, 'd');
INSERT INTO d1_plain VALUES ('2026-02-01 00:03', 'h1', 3, 'd');
SELECT * FROM parts('d1');
INSERT INTO d1 SELECT * FROM src;
INSERT INTO d1_plain SELECT * FROM src;
SELECT * FROM parts('d1');
SELECT differ('d1');
SELECT count(*), sum(v) FROM d1 WHERE host = 'h1' AND time < '2026-01-03';
SELECT count(*), sum(v) FROM d1_plain WHERE host = 'h1' AND time < '2026-01-03';
-- The timescaledb. spelling asks too.
SET strata.enable_direct_compress_copy = off;
SET timescaledb.enable_direct_compress_copy = on;
SELECT mk('d2');
INSERT INTO d2 SELECT * FROM src WHERE time < '2026-01-02';
SELECT * FROM parts('d2');
-- The statement's row count counts the rows written as batches.
CREATE FUNCTION row_count(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE q;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
SELECT row_count('INSERT INTO d2 SELECT * FROM src WHERE time >= ''2026-01-02'' AND time < ''2026-01-03''');
SELECT * FROM parts('d2');
RESET timescaledb.enable_direct_compress_copy;
SET strata.enable_direct_compress_copy = on;

-- ---- constraints and errors -------------------------------------------------------------------
SELECT mk('c1');
ALTER TABLE c1 ADD CONSTRAINT v_small CHECK (v < 5000);
ALTER TABLE c1_plain ADD CONSTRAINT v_small CHECK (v < 5000);
ALTER TABLE c1 ALTER COLUMN host SET NOT NULL;
ALTER TABLE c1_plain ALTER COLUMN host SET NOT NULL;
SELECT both_('c1', 'INSERT INTO %t SELECT * FROM src');
SELECT both_('c1', 'INSERT INTO %t VALUES (''2026-02-01'', NULL, 1, NULL), (''2026-02-02'', ''h1'', 2, NULL)');
SELECT both_('c1', 'INSERT INTO %t SELECT * FROM src WHERE v < 4000');
SELECT * FROM parts('c1');
SELECT differ('c1');
-- A unique index: each key is checked against the row part, the batches and the statement's
-- other rows (23505; the statement leaves nothing).
SELECT mk('u1');
CREATE UNIQUE INDEX ON u1 (host, time);
CREATE UNIQUE INDEX ON u1_plain (host, time);
SELECT both_('u1', 'INSERT INTO %t SELECT * FROM src');
SELECT * FROM parts('u1');
SELECT both_('u1', 'INSERT INTO %t VALUES (''2026-02-01'', ''h1'', 1, NULL), (''2026-01-01 00:03'', ''h0'', 2, NULL)');
SELECT both_('u1', 'INSERT INTO %t VALUES (''2026-02-01'', ''h1'', 1, NULL), (''2026-02-01'', ''h1'', 2, NULL)');
SELECT both_('u1', 'INSERT INTO %t VALUES (''2026-02-01'', NULL, 1, NULL), (''2026-02-01'', NULL, 2, NULL)');
SELECT differ('u1');
-- RETURNING and ON CONFLICT take the row path.
SELECT both_('u1', 'INSERT INTO %t VALUES (''2026-02-01 00:05'', ''h1'', 1, NULL), (''2026-02-01 00:06'', ''h1'', 2, NULL) RETURNING v');
SELECT both_('u1', 'INSERT INTO %t SELECT * FROM src ON CONFLICT DO NOTHING');
SELECT both_('u1', 'INSERT INTO %t SELECT time, host, -v, note FROM src WHERE v < 10 ON CONFLICT (host, time) DO UPDATE SET v = excluded.v');
SELECT differ('u1');
-- Rolled back: nothing is left.
SELECT mk('r1');
BEGIN;
INSERT INTO r1 SELECT * FROM src;
SELECT count(*) FROM r1;
ROLLBACK;
SELECT count(*) FROM r1;
-- A row trigger: the row path, with a NOTICE.
SELECT mk('t1');
CREATE FUNCTION t1_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t1_trig BEFORE INSERT ON t1 FOR EACH ROW EXECUTE FUNCTION t1_trig();
INSERT INTO t1 SELECT * FROM src WHERE time < '2026-01-02';
SELECT * FROM parts('t1');
RESET strata.enable_direct_compress_copy;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA cs_di CASCADE;
