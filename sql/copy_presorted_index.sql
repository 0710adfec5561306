-- The index builds of the chunks a COPY creates get their rows in index order
-- (strata.presorted_index_build, src/hypertable/presort.cpp) when every key column is an integer,
-- date, timestamp or text under a byte-ordered collation (the database's C.UTF-8, "C"): DEBUG1
-- says which builds were; the indexes hold every row in order (amcheck's parent check), index
-- scans give the same rows as a sequential scan, ASC / DESC / NULLS FIRST / LAST, prefixes,
-- empty and non-ASCII strings, INCLUDE columns, partial and expression indexes; duplicates of a
-- unique index still raise 23505; past maintenance_work_mem the rest goes unsorted (and the
-- index is still right), and a heap judged too large is left to PostgreSQL from the start; the
-- setting off and other key types keep PostgreSQL's sort.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set copy_presorted :tmpdir '/copy_presorted.csv'
\set copy_presorted_s :tmpdir '/copy_presorted_s.csv'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE SCHEMA cpi;
SET search_path = cpi, public;
-- every index of the hypertable's chunks checked with every heap row
CREATE FUNCTION checked(ht regclass) RETURNS TABLE (index text, ok boolean)
LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN SELECT i.indexrelid, ic.relname FROM show_chunks(ht) s JOIN pg_index i ON i.indrelid = s
             JOIN pg_class ic ON ic.oid = i.indexrelid ORDER BY ic.relname LOOP
    PERFORM bt_index_parent_check(r.indexrelid, true);
    index := regexp_replace(r.relname, '^_hyper_[0-9]+_[0-9]+_chunk', 'chunk');
    ok := true;
    RETURN NEXT;
  END LOOP;
END $$;

CREATE TABLE t (time timestamptz NOT NULL, host text, c text COLLATE "C", i2 int2, i4 int4, d date,
                f float8, n numeric);
SELECT created FROM create_hypertable('t', by_range('time', interval '10 days'));
-- (no TOAST table for the chunks: its index, whose name holds an OID, would show in DEBUG1)
ALTER TABLE t ALTER host SET STORAGE PLAIN, ALTER c SET STORAGE PLAIN, ALTER n SET STORAGE PLAIN;
CREATE INDEX t_host_time ON t (host, time DESC);
CREATE INDEX t_time ON t (time);
CREATE INDEX t_c_desc ON t (c DESC NULLS LAST, i4);
CREATE INDEX t_i2_d ON t (i2 NULLS FIRST, d DESC) INCLUDE (f, host);
CREATE INDEX t_partial ON t (i4 DESC) WHERE i4 % 3 = 0;
CREATE INDEX t_lower ON t (lower(host));
CREATE INDEX t_f ON t (f);            -- float8: not presorted
CREATE INDEX t_n_host ON t (host, n); -- numeric: not presorted
COPY (SELECT timestamptz '2026-01-01' + (g % 97) * interval '1 hour' + g * interval '1 second',
             CASE WHEN g % 11 = 0 THEN NULL WHEN g % 13 = 0 THEN '' ELSE (ARRAY['h', 'h1', 'h10', 'H', 'é', 'z', 'ab', 'a'])[1 + g % 8] || (g % 5) END,
             CASE WHEN g % 7 = 0 THEN NULL ELSE (ARRAY['x', 'xy', 'X', 'ü', 'y'])[1 + g % 5] END,
             CASE WHEN g % 17 = 0 THEN NULL ELSE (g % 201) - 100 END,
             CASE WHEN g % 19 = 0 THEN NULL ELSE (g * 7919) % 100003 - 50000 END,
             date '2026-01-01' + (g % 61) - 30,
             g / 7.0, g % 23
        FROM generate_series(1, 3000) g) TO :'copy_presorted' WITH (FORMAT csv);
-- (With DEBUG1 messages shown, PostgreSQL also tells when a catalog cache of the backend outgrows
-- its hash buckets and rehashes. When that happens depends on the cache resets the backend gets
-- (under the parallel schedule a reset of the invalidation queue empties the caches at any time),
-- so the biggest caches are grown here once, past anything the test loads later.)
SELECT count(has_column_privilege(attrelid, attnum, 'SELECT')) + count(has_column_privilege(attrelid, attname, 'SELECT'))
       + (SELECT count(has_table_privilege(oid, 'SELECT')) FROM pg_class)
       + (SELECT count(has_function_privilege(oid, 'EXECUTE')) FROM pg_proc)
       + (SELECT count(has_type_privilege(oid, 'USAGE')) FROM pg_type) > 0 AS caches_grown
  FROM pg_attribute WHERE attnum > 0 AND NOT attisdropped;
SET client_min_messages = debug1;
COPY t FROM :'copy_presorted' WITH (FORMAT csv);
RESET client_min_messages;
SELECT * FROM checked('t');
SELECT count(*) FROM t;
-- index scans give what a sequential scan gives, in the index's order
CREATE FUNCTION same(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off;
  EXECUTE 'SELECT string_agg(x::text, ''|'') FROM (' || q || ') x' INTO a;
  SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
  SET LOCAL enable_bitmapscan = on; SET LOCAL enable_sort = on;
  EXECUTE 'SELECT string_agg(x::text, ''|'') FROM (' || q || ') x' INTO b;
  RETURN a IS NOT DISTINCT FROM b AND a IS NOT NULL;
END $$;
SELECT same('SELECT host, time FROM t ORDER BY host, time DESC');
SELECT same('SELECT c, i4 FROM t ORDER BY c DESC NULLS LAST, i4');
SELECT same('SELECT i2, d FROM t ORDER BY i2 NULLS FIRST, d DESC');
SELECT same('SELECT sum(f), count(host) FROM t WHERE i2 BETWEEN -10 AND 10');
SELECT same('SELECT i4 FROM t WHERE i4 % 3 = 0 ORDER BY i4 DESC');
SELECT same('SELECT count(*) FROM t WHERE lower(host) = ''h10''');

-- a unique index: duplicate keys are found by the build's sort as before (23505)
CREATE TABLE u (time timestamptz NOT NULL, dev text NOT NULL, v int, UNIQUE (dev, time));
SELECT created FROM create_hypertable('u', by_range('time', interval '10 days'));
COPY u FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,b,1
2026-01-01 00:00:00+00,a,2
2026-01-01 00:00:01+00,b,3
2026-01-01 00:00:00+00,a,4
\.
SELECT count(*) FROM u;
COPY u FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,b,1
2026-01-01 00:00:00+00,a,2
2026-01-01 00:00:01+00,b,3
\.
SELECT * FROM checked('u');

-- past maintenance_work_mem (1 MB here) the build gets the rest unsorted and sorts it itself
-- (5,000 rows of long keys: fewer than 1 MB at the 128 bytes a row the heap's size is judged by)
CREATE TABLE big (time timestamptz NOT NULL, host text);
SELECT created FROM create_hypertable('big', by_range('time', interval '10 days'));
ALTER TABLE big ALTER host SET STORAGE PLAIN;
CREATE INDEX big_host_time ON big (host, time DESC);
SET maintenance_work_mem = '1MB';
SET client_min_messages = debug1;
COPY big FROM PROGRAM 'seq 1 5000 | sed -e "s/^\(.*\)$/2026-01-01 00:00:00+00,host_\1_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/"' WITH (FORMAT csv);
RESET client_min_messages;
SELECT * FROM checked('big');
SELECT same('SELECT host FROM big ORDER BY host, time DESC');
-- 30,000 short rows: more than 1 MB at 128 bytes a row, PostgreSQL's build from the start
CREATE TABLE big2 (time timestamptz NOT NULL, host text);
SELECT created FROM create_hypertable('big2', by_range('time', interval '10 days'));
ALTER TABLE big2 ALTER host SET STORAGE PLAIN;
CREATE INDEX big2_host_time ON big2 (host, time DESC);
SET client_min_messages = debug1;
COPY big2 FROM PROGRAM 'seq 1 30000 | sed -e "s/^\(.*\)$/2026-01-01 00:00:00+00,host_\1/"' WITH (FORMAT csv);
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT * FROM checked('big2');
SELECT same('SELECT host FROM big2 ORDER BY host, time DESC');

-- rows already in an index's order need no sort ("heap in index order"); an index whose keys are
-- all distinct is built without deduplication ("keys distinct"), keeping its fillfactor (the
-- same size as PostgreSQL's build of a plain table's index) and its own setting for later
-- inserts; an index with deduplicate_items = off says nothing of it
CREATE TABLE s (time timestamptz NOT NULL, host text, v int);
SELECT created FROM create_hypertable('s', by_range('time', interval '10 days'));
ALTER TABLE s ALTER host SET STORAGE PLAIN;
CREATE INDEX s_host_time ON s (host, time DESC);
CREATE INDEX s_v ON s (v);
CREATE INDEX s_v_ff ON s (v, host) WITH (fillfactor = 50);
CREATE INDEX s_host_nodedup ON s (host, time DESC) WITH (deduplicate_items = off);
COPY (SELECT timestamptz '2026-01-02' - (g % 100) * interval '1 minute', 'h' || lpad((g / 100)::text, 3, '0'), g
        FROM generate_series(0, 2999) g ORDER BY 2, 1 DESC) TO :'copy_presorted_s' WITH (FORMAT csv);
SET client_min_messages = debug1;
COPY s FROM :'copy_presorted_s' WITH (FORMAT csv);
RESET client_min_messages;
SELECT * FROM checked('s');
CREATE TABLE s_plain (LIKE s);
INSERT INTO s_plain SELECT * FROM s;
CREATE INDEX s_plain_v_ff ON s_plain (v, host) WITH (fillfactor = 50);
SELECT pg_relation_size(i.indexrelid) = pg_relation_size('s_plain_v_ff') AS same_size
  FROM show_chunks('s') c JOIN pg_index i ON i.indrelid = c JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE ic.relname LIKE '%s_v_ff';
SELECT ic.relname LIKE '%s_host_time' AS host_time, ic.reloptions
  FROM show_chunks('s') c JOIN pg_index i ON i.indrelid = c JOIN pg_class ic ON ic.oid = i.indexrelid
 WHERE ic.relname LIKE '%s_host_time' OR ic.relname LIKE '%s_v_ff' ORDER BY 1;
-- later duplicates into the chunk: deduplicated per the index's setting, still a valid index
INSERT INTO s SELECT '2026-01-01 12:00+00', 'h005', 1 FROM generate_series(1, 2000);
SELECT * FROM checked('s');
SELECT same('SELECT host, time FROM s ORDER BY host, time DESC');

-- the setting off: PostgreSQL's sort
SET strata.presorted_index_build = off;
CREATE TABLE o (time timestamptz NOT NULL, host text);
SELECT created FROM create_hypertable('o', by_range('time', interval '10 days'));
ALTER TABLE o ALTER host SET STORAGE PLAIN;
CREATE INDEX o_host ON o (host);
SET client_min_messages = debug1;
COPY o FROM STDIN WITH (FORMAT csv);
2026-01-01 00:00:00+00,b
2026-01-01 00:00:00+00,a
\.
RESET client_min_messages;
RESET strata.presorted_index_build;
SELECT * FROM checked('o');

DROP SCHEMA cpi CASCADE;
