-- Direct-to-columnstore COPY (issue 17): with strata.enable_direct_compress_copy (or its
-- timescaledb. spelling, or the COPY option direct_compress) the rows of a COPY into a hypertable
-- with the columnstore enabled are written as compressed batches, not into the chunks' row parts;
-- automatically for rows that go to an already compressed chunk in groups of at least
-- strata.direct_compress_copy_min_rows. Results equal those of the same COPY into a plain table.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set direct_copy :tmpdir '/direct_copy.csv'
\set direct_copy_big :tmpdir '/direct_copy_big.csv'
\set direct_copy_more :tmpdir '/direct_copy_more.csv'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dc;
SET search_path = cs_dc, public;

-- The data: 3 hosts, 2 chunks of 10 days, some NULLs; written to a file once.
COPY (SELECT timestamptz '2026-01-01' + g * interval '3 minutes' AS time, 'h' || (g % 3) AS host,
             CASE WHEN g % 17 = 0 THEN NULL ELSE g END AS v, (g % 101) / 4.0 AS f,
             CASE WHEN g % 5 = 0 THEN NULL ELSE 'note ' || (g % 13) END AS note
        FROM generate_series(1, 9000) g)
  TO :'direct_copy' WITH (FORMAT csv);

CREATE TABLE plain (time timestamptz NOT NULL, host text, v int, f numeric, note text);
COPY plain FROM :'direct_copy' WITH (FORMAT csv);

CREATE FUNCTION mk(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (time timestamptz NOT NULL, host text, v int, f numeric, note text)', name);
  PERFORM create_hypertable(name, by_range('time', interval '10 days'));
  EXECUTE format($f$ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC')$f$, name);
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
      EXECUTE format('SELECT count(*) FILTER (WHERE _strata_count > 0), coalesce(sum(_strata_count), 0) FROM %s', comp)
        INTO batches, batch_rows;
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
-- Whether a hypertable has exactly the rows of plain.
CREATE FUNCTION same(ht regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT * FROM %s EXCEPT ALL SELECT * FROM plain)
                  UNION ALL (SELECT * FROM plain EXCEPT ALL SELECT * FROM %s)) d', ht, ht) INTO n;
  RETURN n = 0;
END $$;

-- Off by default: the rows go to the row parts.
SHOW strata.enable_direct_compress_copy;
SHOW timescaledb.enable_direct_compress_copy;
SELECT mk('d0');
COPY d0 FROM :'direct_copy' WITH (FORMAT csv);
SELECT * FROM parts('d0');

-- On: every chunk becomes compressed (partial: its row part may get rows from other writers),
-- its rows in batches of up to 1,000 rows per host.
SET strata.enable_direct_compress_copy = on;
SELECT mk('d1');
COPY d1 FROM :'direct_copy' WITH (FORMAT csv);
SELECT * FROM parts('d1');
SELECT same('d1') AS same_rows;
SELECT count(*), count(v), sum(v), count(note), min(time), max(time) FROM d1;
SELECT host, count(*), sum(f) FROM d1 WHERE time >= '2026-01-05' AND time < '2026-01-15' GROUP BY host ORDER BY host;
SELECT * FROM d1 ORDER BY time DESC LIMIT 3;
-- The catalog knows the rows and batches.
SELECT cc.uncompressed_rows, cc.compressed_rows
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
  JOIN _strata_catalog.hypertable h ON h.id = ch.hypertable_id WHERE h.table_name = 'd1' ORDER BY ch.id;

-- The size against compress_chunk's for the same rows (d0 compressed): at most 1.1x.
SELECT count(compress_chunk(c)) FROM show_chunks('d0') c;
SELECT * FROM parts('d0');
SELECT (SELECT sum(pg_total_relation_size(format('%I.%I', cc.schema_name, cc.table_name)))
          FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
         WHERE h.table_name = 'd1')::numeric
     / (SELECT sum(pg_total_relation_size(format('%I.%I', cc.schema_name, cc.table_name)))
          FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
         WHERE h.table_name = 'd0') <= 1.1 AS size_within_1_1x;

-- DML and recompression work on chunks written directly.
UPDATE d1 SET v = -1 WHERE host = 'h1' AND time < '2026-01-01 03:00';
DELETE FROM d1 WHERE host = 'h2' AND time < '2026-01-01 03:00';
SELECT count(*), sum(v) FROM d1 WHERE time < '2026-01-01 03:00';
SELECT count(compress_chunk(c)) FROM show_chunks('d1') c;
SELECT count(*), sum(v) FROM d1;
SELECT count(decompress_chunk(c)) FROM show_chunks('d1') c;
SELECT count(*), sum(v) FROM d1;
RESET strata.enable_direct_compress_copy;

-- The timescaledb. spelling, and the COPY option.
SET timescaledb.enable_direct_compress_copy = on;
SELECT mk('d2');
COPY d2 FROM :'direct_copy' WITH (FORMAT csv);
SELECT * FROM parts('d2');
SELECT same('d2') AS same_rows;
-- direct_compress false: not even the automatic use.
TRUNCATE d2;
COPY d2 FROM :'direct_copy' WITH (FORMAT csv, direct_compress false);
SELECT * FROM parts('d2');
RESET timescaledb.enable_direct_compress_copy;
SELECT mk('d3');
COPY d3 FROM :'direct_copy' WITH (FORMAT csv, direct_compress);
SELECT * FROM parts('d3');
SELECT same('d3') AS same_rows;

-- Automatic: rows for an already compressed chunk, at least min_rows of them in one COPY, go to
-- batches; fewer go to the row part (the chunk becomes partial).
CREATE TABLE more (LIKE plain);
INSERT INTO more SELECT time + interval '1 second', host, v, f, note FROM plain WHERE time < '2026-01-04';
INSERT INTO plain SELECT * FROM more;
COPY more TO :'direct_copy_more' WITH (FORMAT csv);
SELECT count(*) FROM more;
COPY d0 FROM :'direct_copy_more' WITH (FORMAT csv);
SELECT * FROM parts('d0');
SELECT same('d0') AS same_rows;
SET strata.direct_compress_copy_min_rows = 2000;
SELECT count(compress_chunk(c)) FROM show_chunks('d3') c;
COPY d3 FROM :'direct_copy_more' WITH (FORMAT csv);
SELECT * FROM parts('d3');
SELECT same('d3') AS same_rows;
RESET strata.direct_compress_copy_min_rows;

-- Constraints: CHECK and NOT NULL are checked; the COPY is all or nothing.
SET strata.enable_direct_compress_copy = on;
SELECT mk('c1');
ALTER TABLE c1 ADD CONSTRAINT v_small CHECK (v < 8000);
\set VERBOSITY terse
COPY c1 FROM :'direct_copy' WITH (FORMAT csv);
\set VERBOSITY default
SELECT count(*) FROM c1;
SELECT * FROM parts('c1');
-- A unique index: the rows are written as batches; every key is checked against the row part,
-- the batches that can hold it (found by segment and metadata, their key columns decoded) and the
-- COPY's other rows; a duplicate is 23505 and the COPY leaves nothing. The plain twin u1_plain
-- gets the same statements.
SELECT mk('u1');
CREATE UNIQUE INDEX ON u1 (host, time);
CREATE TABLE u1_plain (LIKE plain);
CREATE UNIQUE INDEX ON u1_plain (host, time);
COPY u1 FROM :'direct_copy' WITH (FORMAT csv);
COPY u1_plain FROM :'direct_copy' WITH (FORMAT csv);
SELECT * FROM parts('u1');
CREATE FUNCTION copy_both(rows text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE a text := 'ok'; b text := 'ok'; d text;
BEGIN
  BEGIN
    EXECUTE format('COPY u1 FROM PROGRAM %L WITH (FORMAT csv)', 'printf "' || rows || '"');
  EXCEPTION WHEN OTHERS THEN GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
    a := SQLSTATE || ': ' || regexp_replace(SQLERRM, '_hyper_\d+_\d+_chunk', 'chunk') || ' (' || d || ')';
  END;
  BEGIN
    EXECUTE format('COPY u1_plain FROM PROGRAM %L WITH (FORMAT csv)', 'printf "' || rows || '"');
  EXCEPTION WHEN OTHERS THEN b := SQLSTATE || ': ' || SQLERRM;
  END;
  RETURN 'hypertable: ' || a || ' / plain: ' || left(b, 5);
END $$;
-- The whole file again: every key is in a batch already.
\set VERBOSITY terse
COPY u1 FROM :'direct_copy' WITH (FORMAT csv);
\set VERBOSITY default
-- One key of a batch among new ones; the same key twice in one COPY; a key of the row part.
SELECT copy_both('2026-02-01 00:00:00+00,h1,1,,\\n2026-01-01 00:03:00+00,h1,2,,\\n');
SELECT copy_both('2026-02-01 00:00:00+00,h1,1,,\\n2026-02-01 00:00:00+00,h1,2,,\\n');
INSERT INTO u1 VALUES ('2026-02-02', 'h9', 1, NULL, NULL);
INSERT INTO u1_plain VALUES ('2026-02-02', 'h9', 1, NULL, NULL);
SELECT copy_both('2026-02-01 00:00:00+00,h1,1,,\\n2026-02-02 00:00:00+00,h9,2,,\\n');
-- NULL keys are distinct; new keys are accepted.
SELECT copy_both('2026-02-01 00:00:00+00,,1,,\\n2026-02-01 00:00:00+00,,2,,\\n2026-02-01 00:00:00+00,h1,3,,\\n');
SELECT count(*), count(*) FILTER (WHERE host IS NULL) FROM u1;
SELECT count(*) FROM ((TABLE u1 EXCEPT ALL TABLE u1_plain) UNION ALL (TABLE u1_plain EXCEPT ALL TABLE u1)) d;
SELECT * FROM parts('u1');
-- A unique index with a predicate (or expressions, or deferrable): the row path, with a NOTICE.
SELECT mk('u2');
CREATE UNIQUE INDEX ON u2 (host, time) WHERE v > 0;
COPY u2 FROM :'direct_copy' WITH (FORMAT csv);
SELECT * FROM parts('u2');
-- A row trigger: the row path, the trigger fires for every row.
SELECT mk('t1');
CREATE TABLE fired (n int);
CREATE FUNCTION t1_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO fired VALUES (1); RETURN NEW; END $$;
CREATE TRIGGER t1_count AFTER INSERT ON t1 FOR EACH ROW EXECUTE FUNCTION t1_count();
COPY t1 FROM :'direct_copy' WITH (FORMAT csv);
SELECT count(*) FROM fired;
-- Without the columnstore: a NOTICE, the row path.
CREATE TABLE n1 (time timestamptz NOT NULL, host text, v int, f numeric, note text);
SELECT count(*) FROM create_hypertable('n1', by_range('time', interval '10 days'));
COPY n1 FROM :'direct_copy' WITH (FORMAT csv);
SELECT count(*) FROM n1;
-- A user with INSERT only (not the owner): the conversion of the chunks is strata's, the
-- companions belong to the hypertable's owner.
CREATE ROLE dc_writer;
GRANT pg_read_server_files TO dc_writer;
GRANT USAGE ON SCHEMA cs_dc TO dc_writer;
SELECT mk('w1');
GRANT INSERT, SELECT ON w1 TO dc_writer;
SET ROLE dc_writer;
COPY w1 FROM :'direct_copy' WITH (FORMAT csv, direct_compress);
RESET ROLE;
SELECT * FROM parts('w1');
SELECT count(*), count(v), sum(v), count(note), min(time), max(time) FROM w1;
SELECT DISTINCT pg_get_userbyid(c.relowner) = current_user AS owner_owns_companions
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
  JOIN pg_class c ON c.oid = format('%I.%I', cc.schema_name, cc.table_name)::regclass WHERE h.table_name = 'w1';
-- Rolled back: nothing is left, not even the conversion of the chunks.
SELECT mk('r1');
BEGIN;
COPY r1 FROM :'direct_copy' WITH (FORMAT csv);
SELECT count(*) FROM r1;
ROLLBACK;
SELECT count(*) FROM r1;
SELECT count(*) FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
 WHERE h.table_name = 'r1';

-- Many rows for one chunk: sorted and written every 100,000 rows, a segment's last rows that do
-- not fill a batch kept for the next round, so batches stay full.
CREATE TABLE big_plain (time timestamptz NOT NULL, host text, v int);
COPY (SELECT timestamptz '2026-03-01' + g * interval '1 second', 'b' || (g % 7), g FROM generate_series(1, 250000) g)
  TO :'direct_copy_big' WITH (FORMAT csv);
COPY big_plain FROM :'direct_copy_big' WITH (FORMAT csv);
CREATE TABLE big (time timestamptz NOT NULL, host text, v int);
SELECT count(*) FROM create_hypertable('big', by_range('time', interval '10 days'));
ALTER TABLE big SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time');
COPY big FROM :'direct_copy_big' WITH (FORMAT csv);
SELECT chunk, status, row_part, batches, batch_rows FROM parts('big');
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS big_cs FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id WHERE h.table_name = 'big' \gset
-- at most one batch per host is not full
SELECT host, count(*) FILTER (WHERE _strata_count < 1000) AS short_batches, max(_strata_count) FROM :big_cs GROUP BY host ORDER BY host;
SELECT count(*) FROM ((TABLE big EXCEPT ALL TABLE big_plain) UNION ALL (TABLE big_plain EXCEPT ALL TABLE big)) d;
SELECT * FROM big WHERE host = 'b3' ORDER BY time LIMIT 2;
RESET strata.enable_direct_compress_copy;

-- Errors.
\set VERBOSITY terse
-- (errors in the options: the file, a fixed path, is never read; the error's position stays)
COPY d3 FROM '/dev/null' WITH (FORMAT csv, direct_compress 'maybe');
COPY d3 FROM '/dev/null' WITH (FORMAT csv, direct_compress, direct_compress false);
COPY plain FROM '/dev/null' WITH (FORMAT csv, direct_compress);
SET strata.enable_direct_compress_copy = 'maybe';
SET strata.direct_compress_copy_min_rows = -1;
\set VERBOSITY default

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA cs_dc CASCADE;
DROP ROLE dc_writer;
