-- Late rows merged without SQL: when the delta rows need no combining, their aggregates add as
-- bigint (count, sum of int2 / int4) and no aggregate is built on this one, each bucket's
-- materialized rows are read through the chunk's bucket index and updated in place; the rest
-- (new groups, other aggregates, hierarchical aggregates) takes the merge's SQL. A DEBUG1
-- message tells how many delta rows took each path. Every step compares with the raw rows.
SET timezone = 'UTC';
CREATE TABLE md (time timestamptz NOT NULL, grp int, tag text, v int);
SELECT create_hypertable('md', by_range('time', interval '1 day'));
INSERT INTO md SELECT '2024-01-01 00:00'::timestamptz + (g % 48) * interval '1 hour', g % 50,
                      CASE WHEN g % 11 = 0 THEN NULL ELSE 't' || (g % 5) END, g
  FROM generate_series(1, 6000) g;
INSERT INTO md VALUES ('2024-01-05', 1, 't1', 1);
CREATE VIEW md_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, tag, count(*) AS n, sum(v) AS s FROM md
   WHERE time < '2024-01-04' GROUP BY 1, 2, 3;
-- md_agg and md_full, the latter with full pages: its updates are not HOT, so the new versions
-- need index entries.
DO $$ DECLARE a record; BEGIN
  FOR a IN SELECT * FROM (VALUES ('md_agg', 90), ('md_full', 100)) v(name, fillfactor) LOOP
    PERFORM set_config('strata.cagg_fillfactor', a.fillfactor::text, true);
    EXECUTE format('CREATE MATERIALIZED VIEW %I WITH (timescaledb.continuous) AS SELECT time_bucket(%L, time) AS bucket, '
                   'grp, tag, count(*) AS n, sum(v) AS s FROM md GROUP BY 1, 2, 3 WITH NO DATA', a.name, '1 hour');
  END LOOP;
END $$;
-- avg: merged by SQL.
CREATE MATERIALIZED VIEW md_avg WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, count(v) AS n, sum(v) AS s, avg(v) AS a FROM md GROUP BY 1, 2
  WITH NO DATA;
CREATE VIEW md_avg_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, count(v) AS n, sum(v) AS s, avg(v) AS a FROM md
   WHERE time < '2024-01-04' GROUP BY 1, 2;
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
CALL refresh_continuous_aggregate('md_full', NULL, '2024-01-04');
CALL refresh_continuous_aggregate('md_avg', NULL, '2024-01-04');
CREATE FUNCTION md_diff(agg text, raw text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE r bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %1$I EXCEPT ALL TABLE %2$I) UNION ALL (TABLE %2$I EXCEPT ALL TABLE %1$I)) d',
                 agg, raw) INTO r;
  RETURN r;
END $$;
CREATE FUNCTION md_mat(agg text) RETURNS regclass LANGUAGE sql AS $$
  SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass
    FROM strata_information.continuous_aggregates WHERE view_name = agg $$;

-- Late rows of existing groups (NULL tags among them) in 3 buckets of 2 chunks, and one new
-- group: in place, the new group by SQL.
INSERT INTO md SELECT '2024-01-01 00:30'::timestamptz + (g % 3) * interval '1 day', g % 50,
                      CASE WHEN g % 11 = 0 THEN NULL ELSE 't' || (g % 5) END, 1000 + g
  FROM generate_series(1, 300, 7) g;
INSERT INTO md VALUES ('2024-01-02 00:45', 77, 'new', 5);
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
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
CALL refresh_continuous_aggregate('md_full', NULL, '2024-01-04');
CALL refresh_continuous_aggregate('md_avg', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('md_agg', 'md_raw') AS md_agg, md_diff('md_full', 'md_raw') AS md_full,
       md_diff('md_avg', 'md_avg_raw') AS md_avg;
SELECT * FROM md_agg WHERE grp IN (0, 77) AND bucket = '2024-01-02 00:00' ORDER BY grp, tag;
-- The new row versions of md_full are found through its indexes.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) AS found_by_index FROM md_raw r
 WHERE EXISTS (SELECT FROM md_full f WHERE f.grp = r.grp AND f.bucket = r.bucket AND f.tag IS NOT DISTINCT FROM r.tag
                AND f.n = r.n AND f.s = r.s);
SELECT count(*) AS raw_rows FROM md_raw;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT pg_stat_force_next_flush();
SELECT v AS agg, sum(pg_stat_get_tuples_updated(i.inhrelid)) AS updated,
       sum(pg_stat_get_tuples_hot_updated(i.inhrelid)) = sum(pg_stat_get_tuples_updated(i.inhrelid)) AS all_hot
  FROM unnest(ARRAY['md_agg', 'md_full']) v JOIN pg_inherits i ON i.inhparent = md_mat(v) GROUP BY 1 ORDER BY 1;

-- Late rows of one group in two transactions (combined first: by SQL).
INSERT INTO md VALUES ('2024-01-01 05:10', 3, 't3', 1);
INSERT INTO md VALUES ('2024-01-01 05:20', 3, 't3', 2);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('md_agg', 'md_raw') AS md_agg;

-- A sum that overflows bigint: the same error as the SQL merge's addition, nothing written.
DO $$ BEGIN
  EXECUTE format('UPDATE %s SET s = s + 9223372036854760000 WHERE grp = 5 AND tag = %L AND bucket = %L',
                 md_mat('md_agg'), 't0', '2024-01-01 05:00+00');
END $$;
INSERT INTO md VALUES ('2024-01-01 05:30', 5, 't0', 10000), ('2024-01-01 06:30', 6, 't1', 1);
\set VERBOSITY sqlstate
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
\set VERBOSITY default
SELECT count(*) AS delta_rows_kept FROM _strata_catalog.continuous_agg_delta
 WHERE mat_hypertable_id = (SELECT mat_hypertable_id FROM _strata_catalog.continuous_agg WHERE user_view_name = 'md_agg');
DO $$ BEGIN
  EXECUTE format('UPDATE %s SET s = s - 9223372036854760000 WHERE grp = 5 AND tag = %L AND bucket = %L',
                 md_mat('md_agg'), 't0', '2024-01-01 05:00+00');
END $$;
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
SELECT md_diff('md_agg', 'md_raw') AS md_agg;

-- An aggregate built on this one: its invalidations come from the merge's UPDATE (by SQL).
CREATE MATERIALIZED VIEW md_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', bucket) AS day, grp, sum(n) AS n FROM md_agg GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('md_daily', NULL, '2024-01-04');
INSERT INTO md VALUES ('2024-01-01 07:30', 7, 't2', 1);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
RESET client_min_messages;
CALL refresh_continuous_aggregate('md_daily', NULL, '2024-01-04');
SELECT md_diff('md_agg', 'md_raw') AS md_agg,
       (SELECT n FROM md_daily WHERE grp = 7 AND day = '2024-01-01') =
       (SELECT count(*) FROM md WHERE grp = 7 AND time >= '2024-01-01' AND time < '2024-01-02') AS daily_right;

-- Integer time: the bucket index searched with bigint's equality.
CREATE TABLE mi (t bigint NOT NULL, k int, v int);
SELECT create_hypertable('mi', by_range('t', 100));
CREATE FUNCTION mi_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT coalesce(max(t), 0) FROM mi';
SELECT set_integer_now_func('mi', 'mi_now');
INSERT INTO mi SELECT g, g % 3, g FROM generate_series(1, 1000) g;
CREATE MATERIALIZED VIEW mi10 WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket(10, t) AS b, k, count(*) AS n, sum(v) AS s FROM mi GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('mi10', 0, 500);
INSERT INTO mi VALUES (15, 0, 100), (15, 1, 100), (255, 2, 7);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('mi10', 0, 500);
RESET client_min_messages;
SELECT count(*) AS differing FROM (
  (TABLE mi10 EXCEPT ALL SELECT time_bucket(10, t), k, count(*), sum(v) FROM mi WHERE t < 500 GROUP BY 1, 2)
  UNION ALL
  (SELECT time_bucket(10, t), k, count(*), sum(v) FROM mi WHERE t < 500 GROUP BY 1, 2 EXCEPT ALL TABLE mi10)) d;
SELECT * FROM mi10 WHERE b IN (10, 250) ORDER BY b, k;

-- A compressed materialization chunk (the only one): its delta rows go by SQL.
ALTER MATERIALIZED VIEW md_agg SET (timescaledb.compress = true);
SELECT count(compress_chunk(c)) FROM show_chunks(md_mat('md_agg')) c
 WHERE c = (SELECT ch FROM show_chunks(md_mat('md_agg')) ch ORDER BY ch LIMIT 1);
SELECT count(*) AS materialization_chunks FROM show_chunks(md_mat('md_agg'));
INSERT INTO md VALUES ('2024-01-01 08:30', 8, 't3', 1), ('2024-01-03 08:30', 8, 't0', 1);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('md_agg', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('md_agg', 'md_raw') AS md_agg;
-- A trigger on the materialization (a user's, on its chunks too): the merge takes the SQL path,
-- which fires it.
CREATE TABLE md_fired (n int);
CREATE FUNCTION md_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.md_fired VALUES (1); RETURN NEW; END $$;
SELECT format('CREATE TRIGGER md_t BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION md_count()', md_mat('md_full')) \gexec
SELECT count(*) > 0 AS chunks_have_it FROM pg_trigger t JOIN show_chunks(md_mat('md_full')) c ON t.tgrelid = c
 WHERE t.tgname = 'md_t';
INSERT INTO md VALUES ('2024-01-01 09:30', 9, 't4', 1);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('md_full', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('md_full', 'md_raw') AS md_full, (SELECT count(*) FROM md_fired) AS fired;

-- Group columns of the types whose delta values are decoded without their receive functions
-- (int2, int4, int8, timestamp, timestamptz), with infinities, NULLs and a timestamp(0) (decoded
-- by its receive function); late rows in six buckets over three days, several of them packed
-- into one catalog row, all merged in place (a sum that is NULL in the materialized row and not in
-- the delta row takes a new tuple, the others are added into the row's copy).
CREATE TABLE mt (time timestamptz NOT NULL, a int2, b int4, c int8, d timestamp, e timestamptz, f timestamp(0), v int2, w int4);
SELECT create_hypertable('mt', by_range('time', interval '1 day'));
INSERT INTO mt SELECT '2024-01-01'::timestamptz + (g % 72) * interval '1 hour', g % 3, -(g % 4), (g % 2) * 5000000000,
                      CASE g % 5 WHEN 0 THEN 'infinity' WHEN 1 THEN '-infinity' WHEN 2 THEN NULL
                                 ELSE '2023-06-01 12:00:00.25'::timestamp END,
                      CASE g % 3 WHEN 0 THEN '-infinity'::timestamptz ELSE '2000-01-01 00:00+00' END,
                      '2020-02-02 02:02:02', g % 7, NULL
  FROM generate_series(1, 3000) g;
CREATE MATERIALIZED VIEW mt_agg WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, a, b, c, d, e, f, count(*) AS n, sum(v) AS s, sum(w) AS sw FROM mt
   GROUP BY 1, 2, 3, 4, 5, 6, 7 WITH NO DATA;
CALL refresh_continuous_aggregate('mt_agg', NULL, '2024-01-04');
CREATE VIEW mt_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, a, b, c, d, e, f, count(*) AS n, sum(v) AS s, sum(w) AS sw FROM mt
   GROUP BY 1, 2, 3, 4, 5, 6, 7;
-- (delta rows, and the catalog rows holding them)
CREATE VIEW mt_deltas AS
  SELECT count(*) AS catalog_rows, sum(CASE array_ndims(d.vals) WHEN 2 THEN array_length(d.vals, 1) ELSE 1 END) AS delta_rows
    FROM _strata_catalog.continuous_agg_delta d
   WHERE mat_hypertable_id = (SELECT mat_hypertable_id FROM _strata_catalog.continuous_agg WHERE user_view_name = 'mt_agg');
INSERT INTO mt SELECT time + interval '1 second', a, b, c, d, e, f, v, CASE WHEN time = '2024-01-01 01:00' THEN 1 END FROM mt
 WHERE time IN ('2024-01-01 01:00', '2024-01-01 02:00', '2024-01-02 05:00', '2024-01-02 06:00',
                '2024-01-03 22:00', '2024-01-03 23:00');
SELECT * FROM mt_deltas;
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('mt_agg', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('mt_agg', 'mt_raw') AS differing;
SELECT * FROM mt_agg WHERE bucket = '2024-01-01 01:00' ORDER BY a, b, c, d, e LIMIT 6;
-- A backfill of more rows than work_mem holds: sent and packed in rounds (about work_mem of values
-- each), none lost or repeated; the new groups go by SQL.
SET work_mem = '64kB';
INSERT INTO mt SELECT '2024-01-02 07:10', 1, 2, g, NULL, NULL, NULL, 1, 1 FROM generate_series(1, 20000) g;
RESET work_mem;
SELECT catalog_rows < 20000 AS packed, delta_rows FROM mt_deltas;
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('mt_agg', NULL, '2024-01-04');
RESET client_min_messages;
SELECT md_diff('mt_agg', 'mt_raw') AS differing;
