-- COPY into a hypertable builds the indexes of the chunks it creates in bulk at its end
-- (strata.copy_bulk_index_build), instead of inserting every row into them: the indexes hold
-- every row (amcheck), unique violations still raise 23505 as a per-row insert words them and
-- leave nothing, savepoints roll it back, AFTER ROW triggers see complete indexes, and chunks that
-- existed before the COPY, deferrable unique constraints and the setting off keep per-row inserts;
-- the chunk's heap stays in shared_buffers for the build, which may use parallel workers.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set copy_bulk :tmpdir '/copy_bulk.csv'
SET cbi.file = :'copy_bulk';  -- (for a function below)
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE SCHEMA cbi;
SET search_path = cbi, public;
CREATE FUNCTION err(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text;
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || SQLERRM || ' / ' || d;
END $$;
-- Per index of the hypertable's chunks: whether it was built in bulk (a new relfilenode: an index
-- created with its chunk has relfilenode = oid) and whether amcheck finds every heap row in it.
CREATE FUNCTION idx(ht regclass, since timestamptz DEFAULT NULL) RETURNS TABLE (chunk text, index text, bulk boolean, entries_ok boolean)
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT c.oid AS coid, i.indexrelid, ic.relfilenode, ic.relname
             FROM show_chunks(ht, newer_than => since) s JOIN pg_class c ON c.oid = s JOIN pg_index i ON i.indrelid = c.oid
             JOIN pg_class ic ON ic.oid = i.indexrelid ORDER BY c.relname, ic.relname LOOP
    chunk := (SELECT relname FROM pg_class WHERE oid = r.coid);
    index := r.relname;
    bulk := r.relfilenode <> r.indexrelid;
    PERFORM bt_index_check(r.indexrelid, true);
    entries_ok := true;
    RETURN NEXT;
  END LOOP;
END $$;

CREATE TABLE m (time timestamptz NOT NULL, host text NOT NULL, v float8, UNIQUE (host, time));
SELECT created FROM create_hypertable('m', by_range('time', interval '1 day'));
COPY (SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 7), g / 2.0
        FROM generate_series(0, 4319) g) TO :'copy_bulk' WITH (FORMAT csv);

-- 4,320 rows into 3 new chunks (more than one 1,000-row batch each): every index built in bulk
COPY m FROM :'copy_bulk' WITH (FORMAT csv);
SELECT * FROM idx('m');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*), sum(v) FROM m WHERE host = 'h3';
SELECT count(*) FROM m WHERE time >= '2026-01-02' AND time < '2026-01-02 12:00';
RESET enable_seqscan;
RESET enable_bitmapscan;

-- rows into existing chunks (and a new one): per-row inserts there, bulk in the new chunk
COPY m FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:30+00,h0,1
2026-01-03 23:59:30+00,h1,2
2026-01-04 00:00:00+00,h2,3
\.
SELECT * FROM idx('m');

-- a duplicate inside a COPY that created the chunk: 23505, worded as a per-row insert, nothing left
SELECT err($$COPY m FROM PROGRAM 'printf "2026-02-01 00:00:00+00,a,1\n2026-02-01 00:00:01+00,a,1\n2026-02-01 00:00:00+00,a,2\n"' WITH (FORMAT csv)$$);
SELECT count(*) FROM m WHERE time >= '2026-02-01';
SELECT count(*) AS chunks FROM show_chunks('m');
-- ... and a duplicate against a row of an existing chunk still fails (per-row insert)
SELECT err($$COPY m FROM PROGRAM 'printf "2026-02-01 00:00:00+00,a,1\n2026-01-01 00:00:00+00,h0,1\n"' WITH (FORMAT csv)$$);
SELECT count(*) FROM m WHERE time >= '2026-02-01';

-- savepoints: a COPY rolled back to a savepoint leaves neither rows nor chunks, the COPY before it stays
BEGIN;
COPY m FROM STDIN WITH (FORMAT csv);
2026-03-01 00:00:00+00,s,1
2026-03-01 00:01:00+00,s,2
\.
SAVEPOINT a;
COPY m FROM STDIN WITH (FORMAT csv);
2026-03-02 00:00:00+00,s,3
2026-03-01 00:02:00+00,s,4
\.
ROLLBACK TO a;
SELECT err($$COPY m FROM PROGRAM 'printf "2026-03-03 00:00:00+00,s,1\n2026-03-03 00:00:00+00,s,1\n"' WITH (FORMAT csv)$$);
COPY m FROM STDIN WITH (FORMAT csv);
2026-03-02 00:00:00+00,s,5
\.
COMMIT;
SET enable_seqscan = off;
SELECT time, host, v FROM m WHERE host = 's' ORDER BY time;
RESET enable_seqscan;
SELECT * FROM idx('m', '2026-02-15');

-- AFTER ROW triggers (fired at the end of the statement) read the chunks through their built indexes
CREATE TABLE seen (host text, n bigint);
CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SET LOCAL enable_seqscan = off;
  SET LOCAL enable_bitmapscan = off;
  INSERT INTO seen SELECT NEW.host, count(*) FROM m WHERE host = NEW.host;
  RETURN NULL;
END $$;
CREATE TRIGGER note AFTER INSERT ON m FOR EACH ROW EXECUTE FUNCTION note();
COPY m FROM STDIN WITH (FORMAT csv);
2026-04-01 00:00:00+00,t,1
2026-04-02 00:00:00+00,t,2
2026-04-03 00:00:00+00,t,3
\.
SELECT * FROM seen;
SELECT count(*), bool_and(bulk) FROM idx('m', '2026-03-15');
DROP TRIGGER note ON m;

-- the setting off: per-row inserts into new chunks too
SET strata.copy_bulk_index_build = off;
COPY m FROM STDIN WITH (FORMAT csv);
2026-05-01 00:00:00+00,u,1
\.
SELECT * FROM idx('m', '2026-04-15');
RESET strata.copy_bulk_index_build;

-- a chunk created and emptied (TRUNCATE) earlier in the transaction: a COPY in a savepoint builds
-- its indexes in bulk on new storage, ROLLBACK TO gives the index its earlier (empty) storage back
BEGIN;
COPY m FROM STDIN WITH (FORMAT csv);
2026-06-01 00:00:00+00,w,1
\.
SELECT format('TRUNCATE %s', c) FROM show_chunks('m', newer_than => timestamptz '2026-05-15') c \gexec
SAVEPOINT b;
COPY m FROM STDIN WITH (FORMAT csv);
2026-06-01 00:00:00+00,w,2
2026-06-01 00:01:00+00,w,3
\.
SELECT count(*), bool_and(bulk) FROM idx('m', '2026-05-15');
ROLLBACK TO b;
COPY m FROM STDIN WITH (FORMAT csv);
2026-06-01 00:02:00+00,w,4
\.
COMMIT;
SET enable_seqscan = off;
SELECT time, host, v FROM m WHERE host = 'w' ORDER BY time;
RESET enable_seqscan;
SELECT * FROM idx('m', '2026-05-15');

-- ... but not while a cursor of the transaction has the empty chunk open (it reads through the
-- index storage a bulk build would replace): per-row inserts, the index keeps its storage
BEGIN;
COPY m FROM STDIN WITH (FORMAT csv);
2026-07-01 00:00:00+00,x,1
\.
SELECT format('TRUNCATE %s', c) FROM show_chunks('m', newer_than => timestamptz '2026-06-15') c \gexec
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
DECLARE cur CURSOR FOR SELECT time, v FROM m WHERE host = 'x' AND time >= '2026-06-15' ORDER BY time;
FETCH 1 FROM cur;
CREATE TEMP TABLE storage_before AS
  SELECT i.indexrelid, ic.relfilenode FROM show_chunks('m', newer_than => timestamptz '2026-06-15') s
    JOIN pg_index i ON i.indrelid = s JOIN pg_class ic ON ic.oid = i.indexrelid;
COPY m FROM STDIN WITH (FORMAT csv);
2026-07-01 00:01:00+00,x,2
2026-07-01 00:02:00+00,x,3
\.
SELECT count(*) AS indexes, bool_and(ic.relfilenode = b.relfilenode) AS same_storage
  FROM storage_before b JOIN pg_class ic ON ic.oid = b.indexrelid;
FETCH ALL FROM cur;
CLOSE cur;
COMMIT;
SET enable_seqscan = off;
SELECT time, host, v FROM m WHERE host = 'x' ORDER BY time;
RESET enable_seqscan;
SELECT count(*), bool_and(entries_ok) FROM idx('m', '2026-06-15');

-- a deferrable unique constraint is checked at commit, not by an index build during the COPY
CREATE TABLE d (time timestamptz NOT NULL, k int, UNIQUE (k, time) DEFERRABLE INITIALLY DEFERRED);
SELECT created FROM create_hypertable('d', by_range('time', interval '1 day'));
BEGIN;
COPY d FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,1
2026-01-01 00:00:00+00,1
\.
DELETE FROM d WHERE ctid = (SELECT min(ctid) FROM d);
COMMIT;
SELECT count(*) FROM d;
SELECT * FROM idx('d');
BEGIN;
COPY d FROM STDIN WITH (FORMAT csv);
2026-01-05 00:00:00+00,1
2026-01-05 00:00:00+00,1
\.
SELECT err('SET CONSTRAINTS ALL IMMEDIATE');
ROLLBACK;

-- the heap of a chunk whose indexes the COPY builds stays in shared_buffers while the COPY writes
-- it (strata.copy_keep_heap_in_buffers): the build's heap scans find every page there. Through
-- PostgreSQL's 16 MB bulk-write ring (setting off), most of this 24 MB heap is written out during
-- the COPY and read back by the build. heap_blks_read counts each new page once (extension) and
-- each page read back from the kernel once more.
CREATE TABLE wide (time timestamptz NOT NULL, pad text, UNIQUE (time));
SELECT created FROM create_hypertable('wide', by_range('time', interval '1 year'));
COPY (SELECT timestamptz '2026-01-01' + g * interval '1 second', repeat(chr(97 + g % 26), 1800)
        FROM generate_series(1, 12000) g) TO :'copy_bulk' WITH (FORMAT csv);
COPY wide FROM :'copy_bulk' WITH (FORMAT csv);
SELECT pg_stat_force_next_flush();
SELECT pg_relation_size(c) > 20 * 1024 * 1024 AS over_20mb,
       heap_blks_read - pg_relation_size(c) / 8192 < 100 AS read_back_under_100
  FROM show_chunks('wide') c JOIN pg_statio_all_tables s ON s.relid = c;
SELECT * FROM idx('wide');
DROP TABLE wide;
CREATE TABLE wide (time timestamptz NOT NULL, pad text, UNIQUE (time));
SELECT created FROM create_hypertable('wide', by_range('time', interval '1 year'));
SET strata.copy_keep_heap_in_buffers = off;
COPY wide FROM :'copy_bulk' WITH (FORMAT csv);
RESET strata.copy_keep_heap_in_buffers;
SELECT pg_stat_force_next_flush();
SELECT heap_blks_read - pg_relation_size(c) / 8192 > 500 AS read_back_over_500
  FROM show_chunks('wide') c JOIN pg_statio_all_tables s ON s.relid = c;
DROP TABLE wide;

-- a parallel index build (max_parallel_maintenance_workers, as for CREATE INDEX): every row is in
-- the indexes, a duplicate key raises 23505 worded as a per-row insert's
SET max_parallel_maintenance_workers = 2;
SET min_parallel_table_scan_size = 0;
CREATE TABLE par (time timestamptz NOT NULL, host text NOT NULL, v float8, UNIQUE (host, time));
SELECT created FROM create_hypertable('par', by_range('time', interval '1 year'));
CREATE INDEX ON par (v);
COPY (SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 7), g / 2.0
        FROM generate_series(0, 4319) g) TO :'copy_bulk' WITH (FORMAT csv);
COPY par FROM :'copy_bulk' WITH (FORMAT csv);
SELECT * FROM idx('par');
SELECT count(*), sum(v) FROM par WHERE host = 'h3';
SELECT err($$COPY par FROM PROGRAM 'printf "2027-02-01 00:00:00+00,a,1\n2027-02-01 00:00:01+00,a,1\n2027-02-01 00:00:00+00,a,2\n"' WITH (FORMAT csv)$$);
SELECT count(*) FROM par;

-- Failures of a parallel build at the end of a COPY that created its chunks: the COPY fails as a
-- whole (no row, no chunk left) and the next COPY of the same rows builds complete indexes.
COPY (SELECT timestamptz '2027-03-01' + g * interval '1 minute', 'h' || (g % 7), g / 2.0
        FROM generate_series(0, 4319) g) TO :'copy_bulk' WITH (FORMAT csv);
SELECT count(*) AS chunks_before FROM show_chunks('par');
-- a duplicate key far from its twin (in another block: likely in another participant's sort) and
-- one next to it: 23505 worded as a per-row insert's
SELECT err(format($$COPY par FROM PROGRAM 'cat %s; printf "2027-03-01 00:10:00+00,h3,7\n"' WITH (FORMAT csv)$$, :'copy_bulk'));
SELECT err(format($$COPY par FROM PROGRAM 'printf "2027-03-02 00:10:00+00,h3,7\n2027-03-02 00:10:00+00,h3,8\n"; cat %s' WITH (FORMAT csv)$$, :'copy_bulk'));
SELECT count(*) AS rows, (SELECT count(*) FROM show_chunks('par')) AS chunks FROM par;
-- a chunk created earlier in the transaction and emptied: the build failed in a savepoint, its
-- indexes get their earlier storage back, and the next COPY builds them again
BEGIN;
COPY par FROM STDIN WITH (FORMAT csv);
2028-06-01 00:00:00+00,h3,1
\.
SELECT format('TRUNCATE %s', tableoid::regclass) FROM par WHERE time = '2028-06-01' \gexec
SAVEPOINT c;
SELECT err($$COPY par FROM PROGRAM 'printf "2028-06-01 00:10:00+00,h3,7\n2028-06-01 00:10:00+00,h3,8\n"' WITH (FORMAT csv)$$);
ROLLBACK TO c;
COPY par FROM STDIN WITH (FORMAT csv);
2028-06-01 00:10:00+00,h3,9
2028-06-01 00:11:00+00,h3,10
\.
SELECT err($$COPY par FROM PROGRAM 'printf "2028-06-01 00:10:00+00,h3,11\n"' WITH (FORMAT csv)$$);
COMMIT;
SELECT count(*) AS indexes, count(*) FILTER (WHERE bulk) AS built_in_bulk, bool_and(entries_ok) FROM idx('par');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT time, v FROM par WHERE host = 'h3' AND time >= '2028-01-01' ORDER BY time;
RESET enable_seqscan;
RESET enable_bitmapscan;
-- an error raised in a parallel worker: the expression of an index raises it for any row a worker
-- reads (the leader, which reads too, waits on its first row for the workers to start); retried
-- when no worker read a row (the shared cluster's parallel workers all busy, say). Last: the
-- retries create and drop chunks, so the names of later chunks vary.
CREATE FUNCTION worker_check(x float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF coalesce(current_setting('cbi.leader', true), '') = '' THEN
    RETURN x;
  END IF;
  IF pg_backend_pid() <> current_setting('cbi.leader')::int THEN
    RAISE EXCEPTION 'read by a parallel worker' USING ERRCODE = 'P0001';
  END IF;
  IF x = 0 THEN
    PERFORM pg_sleep(1);
  END IF;
  RETURN x;
END $$;
CREATE INDEX par_check ON par (worker_check(v));
CREATE FUNCTION copy_until_worker_error() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r text;
  before regclass[] := ARRAY(SELECT show_chunks('par'));
  c regclass;
BEGIN
  PERFORM set_config('cbi.leader', pg_backend_pid()::text, false);
  FOR i IN 1..5 LOOP
    r := err(format('COPY par FROM %L WITH (FORMAT csv)', current_setting('cbi.file')));
    EXIT WHEN r <> 'ok';
    r := 'no parallel worker read a row';
    FOR c IN SELECT x FROM show_chunks('par') x WHERE x <> ALL (before) LOOP
      EXECUTE format('DROP TABLE %s', c);
    END LOOP;
  END LOOP;
  PERFORM set_config('cbi.leader', '', false);
  RETURN r;
END $$;
SELECT copy_until_worker_error();
SELECT count(*) AS rows, (SELECT count(*) FROM show_chunks('par')) AS chunks FROM par;
COPY par FROM :'copy_bulk' WITH (FORMAT csv);
SELECT count(*) AS indexes, count(*) FILTER (WHERE bulk) AS built_in_bulk, bool_and(entries_ok) FROM idx('par');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*), sum(v) FROM par WHERE host = 'h3' AND time >= '2027-03-01';
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET max_parallel_maintenance_workers;
RESET min_parallel_table_scan_size;

SET client_min_messages = warning;
DROP SCHEMA cbi CASCADE;
