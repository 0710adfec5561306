-- Continuous aggregates: the indexes of the materialization chunks a refresh creates are created
-- unbuilt with the chunk (no empty build, no new storage later: DEBUG1 shows one build each) and
-- built after the rows from the rows the refresh wrote, handed to the build as written (no heap scan;
-- src/hypertable/presort.cpp presort_rows_*), in index order already for the group index (no
-- sort) and, every key being distinct there, without btree deduplication. DEBUG1 says which
-- builds took which path; with too little maintenance_work_mem for the rows the build scans the
-- heap as before. Every index holds every heap row (amcheck) and the aggregate equals the raw
-- aggregation. (Integer group columns only: no TOAST table, whose index name holds an OID.)
SET timezone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE SCHEMA cib;
SET search_path = cib, public;
RESET client_min_messages;

CREATE FUNCTION mat_indexes_ok(view regclass) RETURNS TABLE (index text, ok boolean)
LANGUAGE plpgsql AS $$
DECLARE r record; mat regclass;
BEGIN
  SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass INTO mat
    FROM strata_information.continuous_aggregates c WHERE format('%I.%I', view_schema, view_name)::regclass = view;
  FOR r IN SELECT i.indexrelid, ic.relname FROM show_chunks(mat) s JOIN pg_index i ON i.indrelid = s
             JOIN pg_class ic ON ic.oid = i.indexrelid ORDER BY ic.relname LOOP
    PERFORM bt_index_parent_check(r.indexrelid, true);
    index := r.relname;
    ok := true;
    RETURN NEXT;
  END LOOP;
END $$;

CREATE TABLE r (time timestamptz NOT NULL, dev int, v int);
SELECT created FROM create_hypertable('r', by_range('time', interval '1 day'));
INSERT INTO r SELECT '2026-01-01 00:00+00'::timestamptz + (g / 100) * interval '1 minute', CASE WHEN g % 50 = 0 THEN NULL ELSE g % 100 END, g
  FROM generate_series(0, 3 * 1440 * 100 - 1, 7) g;
CREATE MATERIALIZED VIEW r_hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, count(*) AS n, sum(v) AS s FROM r GROUP BY 1, 2 WITH NO DATA;
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
CALL refresh_continuous_aggregate('r_hourly', NULL, NULL);
RESET client_min_messages;
SELECT count(*) FROM r_hourly;
SELECT * FROM mat_indexes_ok('r_hourly');
SELECT (SELECT count(*) FROM (SELECT * FROM r_hourly EXCEPT
          SELECT time_bucket('1 hour', time), dev, count(*), sum(v) FROM r GROUP BY 1, 2) d) AS missing,
       (SELECT count(*) FROM (SELECT time_bucket('1 hour', time), dev, count(*), sum(v) FROM r GROUP BY 1, 2 EXCEPT
          SELECT * FROM r_hourly) d) AS extra;

-- too little maintenance_work_mem for the collected rows (61,714 rows, 512 kB per index): the
-- builds scan the heap (and leave it to PostgreSQL, the heap judged too large for 1 MB)
CREATE MATERIALIZED VIEW r_minute WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 minute', time) AS bucket, dev, count(*) AS n FROM r GROUP BY 1, 2 WITH NO DATA;
SET maintenance_work_mem = '1MB';
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('r_minute', NULL, NULL);
RESET client_min_messages;
RESET maintenance_work_mem;
SELECT * FROM mat_indexes_ok('r_minute');
SELECT (SELECT count(*) FROM (SELECT * FROM r_minute EXCEPT
          SELECT time_bucket('1 minute', time), dev, count(*) FROM r GROUP BY 1, 2) d) AS missing,
       (SELECT count(*) FROM (SELECT time_bucket('1 minute', time), dev, count(*) FROM r GROUP BY 1, 2 EXCEPT
          SELECT * FROM r_minute) d) AS extra;

-- late rows into the chunk that exists (merged in place and by SQL): its indexes still hold every row
INSERT INTO r VALUES ('2026-01-02 10:30+00', 5, 1), ('2026-01-02 10:31+00', 1000, 2);
SET client_min_messages = debug1;
CALL refresh_continuous_aggregate('r_hourly', '2026-01-02 10:00+00', '2026-01-02 11:00+00');
RESET client_min_messages;
SELECT * FROM mat_indexes_ok('r_hourly');
SELECT * FROM r_hourly WHERE bucket = '2026-01-02 10:00+00' AND dev IN (5, 1000) ORDER BY dev;

-- the materialization's own constraints (a CHECK, a NOT NULL on a group column) are still checked
-- on the rows written into new chunks (only the chunk's range CHECK is not: rows are routed by it)
CREATE MATERIALIZED VIEW r_check WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time) AS bucket, dev, count(*) AS n FROM r GROUP BY 1, 2 WITH NO DATA;
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'r_check' \gset
ALTER TABLE :mat ADD CONSTRAINT few CHECK (n < 100);
CALL refresh_continuous_aggregate('r_check', NULL, NULL);
ALTER TABLE :mat DROP CONSTRAINT few;
ALTER TABLE :mat ALTER dev SET NOT NULL;
CALL refresh_continuous_aggregate('r_check', NULL, NULL);
ALTER TABLE :mat ALTER dev DROP NOT NULL;
CALL refresh_continuous_aggregate('r_check', NULL, NULL);
SELECT count(*), sum(n) FROM r_check;

DROP SCHEMA cib CASCADE;
