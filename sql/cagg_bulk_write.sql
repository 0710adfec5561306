-- Continuous aggregates: a refresh writes its rows straight into the materialization's chunks
-- (strata.cagg_refresh_bulk_write). A batch over materialization chunks that do not exist yet
-- fills each new chunk in one transaction (the rows of a chunk carry one xmin) and builds its
-- indexes after the rows (their build records the rows in the index's pg_class.reltuples; an
-- index built with its chunk and filled row by row keeps 0);
-- rows into existing chunks go through per-row index inserts. Every index holds every row
-- (amcheck), the aggregate equals the raw aggregation and the same aggregate written with the
-- setting off; aggregates above, triggers on a chunk and compressed materializations keep the
-- INSERT path.
SET timezone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE SCHEMA cbw;
SET search_path = cbw, public;
RESET client_min_messages;

-- Per chunk of an aggregate's materialization: its rows, the transactions that wrote them, how
-- many of its indexes were built after the rows, and amcheck of every index with every heap row.
CREATE FUNCTION mat_chunks(view regclass)
RETURNS TABLE (range_start timestamptz, range_end timestamptz, rows bigint, transactions bigint,
               indexes int, built int, entries_ok boolean)
LANGUAGE plpgsql AS $$
DECLARE r record; i record; mat regclass;
BEGIN
  SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass INTO mat
    FROM strata_information.continuous_aggregates c WHERE format('%I.%I', view_schema, view_name)::regclass = view;
  FOR r IN SELECT s AS chunk, ch.range_start AS lo, ch.range_end AS hi FROM show_chunks(mat) s
             JOIN strata_information.chunks ch ON format('%I.%I', ch.chunk_schema, ch.chunk_name)::regclass = s
            ORDER BY 2 LOOP
    range_start := r.lo;
    range_end := r.hi;
    EXECUTE format('SELECT count(*), count(DISTINCT xmin::text) FROM %s', r.chunk) INTO rows, transactions;
    indexes := 0;
    built := 0;
    FOR i IN SELECT x.indexrelid, c.reltuples FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
              WHERE x.indrelid = r.chunk LOOP
      indexes := indexes + 1;
      IF i.reltuples > 0 THEN built := built + 1; END IF;
      PERFORM bt_index_check(i.indexrelid, true);
    END LOOP;
    entries_ok := true;
    RETURN NEXT;
  END LOOP;
END $$;

CREATE TABLE st (time timestamptz NOT NULL, dev int, acct text, status text, v int);
SELECT create_hypertable('st', by_range('time', interval '1 day'));
INSERT INTO st SELECT '2026-01-01'::timestamptz + i * interval '7 minutes', i % 13, 'acct ' || (i % 5),
                      (ARRAY['up', 'down', 'idle Ü', NULL])[1 + i % 4], i % 100
  FROM generate_series(0, 25 * 24 * 60 / 7) i;
CREATE VIEW raw_h AS
  SELECT time_bucket('1 hour', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM st GROUP BY 1, 2, 3;
CREATE MATERIALIZED VIEW h WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM st GROUP BY 1, 2, 3 WITH NO DATA;
CREATE VIEW diff_h AS
  (SELECT * FROM h EXCEPT ALL SELECT * FROM raw_h) UNION ALL (SELECT * FROM raw_h EXCEPT ALL SELECT * FROM h);

-- A full refresh: one transaction per materialization chunk (10 days of buckets, 10 raw chunks),
-- every index built after the rows.
CALL refresh_continuous_aggregate('h', NULL, NULL);
SELECT * FROM mat_chunks('h');
SELECT count(*) AS differences FROM diff_h;
-- The rows of each new chunk lie in its heap in the order of the index on (acct, status, bucket
-- DESC) (sorted by the ranks of their distinct values), so that its index build finds them sorted.
DO $$
DECLARE c regclass; ok boolean;
BEGIN
  FOR c IN SELECT show_chunks(format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name))
             FROM strata_information.continuous_aggregates WHERE view_name = 'h' LOOP
    EXECUTE format('SELECT bool_and(a = b) FROM (SELECT row_number() OVER (ORDER BY ctid) AS a,
                      row_number() OVER (ORDER BY acct, status, bucket DESC) AS b FROM %s) s', c) INTO ok;
    RAISE NOTICE 'chunk of h in index order: %', ok;
  END LOOP;
END $$;
-- Index scans find the rows.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*), sum(n) FROM h WHERE acct = 'acct 3' AND status = 'idle Ü';
SELECT count(*), sum(n) FROM h WHERE acct = 'acct 3' AND status = 'idle Ü';
SELECT count(*), sum(n) FROM h WHERE acct = 'acct 2' AND status IS NULL AND bucket >= '2026-01-10' AND bucket < '2026-01-12';
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*), sum(n) FROM raw_h WHERE acct = 'acct 3' AND status = 'idle Ü';
SELECT count(*), sum(n) FROM raw_h WHERE acct = 'acct 2' AND status IS NULL AND bucket >= '2026-01-10' AND bucket < '2026-01-12';

-- Recomputing buckets of existing chunks (across two of them): per-row index inserts there.
INSERT INTO st VALUES ('2026-01-06 10:00', 1, 'acct new', 'up', 5), ('2026-01-08 23:59', 2, 'acct 0', 'zzz', 7);
CALL refresh_continuous_aggregate('h', '2026-01-05', '2026-01-10', true);
SELECT * FROM mat_chunks('h');
SELECT count(*) AS differences FROM diff_h;
-- Late rows logged as ranges (no incremental maintenance): the same.
SET strata.cagg_incremental = off;
INSERT INTO st VALUES ('2026-01-02 00:30', 3, 'acct 0', 'aaa', 1), ('2026-01-15 12:00', 4, 'acct 4', 'down', 1000);
DELETE FROM st WHERE time >= '2026-01-20' AND time < '2026-01-20 03:00' AND acct = 'acct 1';
RESET strata.cagg_incremental;
CALL refresh_continuous_aggregate('h', NULL, NULL);
SELECT count(*) AS differences FROM diff_h;
SELECT bool_and(entries_ok) AS entries_ok FROM mat_chunks('h');
-- Newer rows: the new materialization chunk is filled in one transaction, indexes built.
INSERT INTO st SELECT '2026-01-26'::timestamptz + i * interval '11 minutes', i % 7, 'acct ' || (i % 3), 'up', i
  FROM generate_series(0, 8 * 24 * 60 / 11) i;
CALL refresh_continuous_aggregate('h', NULL, NULL);
SELECT * FROM mat_chunks('h');
SELECT count(*) AS differences FROM diff_h;

-- The setting off: INSERT statements, one transaction per raw chunk interval of buckets; the same
-- rows.
SET strata.cagg_refresh_bulk_write = off;
CREATE MATERIALIZED VIEW h_off WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM st GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('h_off', NULL, NULL);
RESET strata.cagg_refresh_bulk_write;
SELECT range_start, rows, transactions, built, entries_ok FROM mat_chunks('h_off');
SELECT count(*) AS differences FROM ((SELECT * FROM h EXCEPT ALL SELECT * FROM h_off)
                                     UNION ALL (SELECT * FROM h_off EXCEPT ALL SELECT * FROM h)) d;
-- An explicit batch size keeps its batches (and writes straight into the chunks).
SET strata.cagg_refresh_batch_buckets = 48;
CREATE MATERIALIZED VIEW h_sized WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM st GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('h_sized', NULL, NULL);
RESET strata.cagg_refresh_batch_buckets;
SELECT range_start, rows, transactions, built, entries_ok FROM mat_chunks('h_sized');
SELECT count(*) AS differences FROM ((SELECT * FROM h EXCEPT ALL SELECT * FROM h_sized)
                                     UNION ALL (SELECT * FROM h_sized EXCEPT ALL SELECT * FROM h)) d;

-- A trigger created on a materialization chunk: that batch goes through INSERT, which fires it.
CREATE TABLE fired (n int);
CREATE FUNCTION count_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO cbw.fired VALUES (1); RETURN NEW; END $$;
SELECT format('%s', s) AS chunk FROM show_chunks((SELECT format('%I.%I', materialization_hypertable_schema,
  materialization_hypertable_name) FROM strata_information.continuous_aggregates WHERE view_name = 'h_off')) s
  ORDER BY 1 LIMIT 1 \gset
CREATE TRIGGER count_row AFTER INSERT ON :chunk FOR EACH ROW EXECUTE FUNCTION count_row();
CALL refresh_continuous_aggregate('h_off', '2026-01-01', '2026-01-02', true);
SELECT count(*) AS fired FROM fired;
SELECT count(*) AS rows FROM h_off WHERE bucket >= '2026-01-01' AND bucket < '2026-01-02';
DROP TRIGGER count_row ON :chunk;

-- An aggregate above: the one below keeps the INSERT path, which invalidates the one above.
CREATE MATERIALIZED VIEW d WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', bucket) AS day, acct, sum(n) AS n FROM h GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('d', NULL, NULL);
INSERT INTO st VALUES ('2026-01-03 05:00', 1, 'acct 1', 'up', 1), ('2026-02-05 01:00', 1, 'acct 9', 'up', 1);
CALL refresh_continuous_aggregate('h', NULL, NULL);
CALL refresh_continuous_aggregate('d', NULL, NULL);
SELECT count(*) AS differences FROM diff_h;
SELECT count(*) AS differences FROM
  ((SELECT * FROM d EXCEPT ALL SELECT time_bucket('1 day', time), acct, count(*) FROM st GROUP BY 1, 2)
   UNION ALL (SELECT time_bucket('1 day', time), acct, count(*) FROM st GROUP BY 1, 2 EXCEPT ALL SELECT * FROM d)) x;
SELECT bool_and(entries_ok) AS entries_ok FROM mat_chunks('h');
SELECT range_start, transactions, built, entries_ok FROM mat_chunks('d');

-- The refresh policy (newest first, automatic batches): each new chunk in one transaction.
-- (The check compares the job's buckets with the current hour: when less than two minutes of it
-- are left, wait for the next one, or an hour ending between the run and the check fails it.)
DO $$ BEGIN
  IF date_trunc('hour', clock_timestamp()) + interval '1 hour' - clock_timestamp() < interval '2 minutes' THEN
    PERFORM pg_sleep_until(date_trunc('hour', clock_timestamp()) + interval '1 hour 1 second');
  END IF;
END $$;
CREATE TABLE recent (time timestamptz NOT NULL, k text, v int);
SELECT create_hypertable('recent', by_range('time', interval '1 day'));
INSERT INTO recent SELECT now() - interval '30 days' + i * interval '13 minutes', 'k' || (i % 4), i
  FROM generate_series(0, 30 * 24 * 60 / 13) i;
CREATE MATERIALIZED VIEW rh WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, k, count(*) AS n, sum(v) AS s FROM recent GROUP BY 1, 2 WITH NO DATA;
SELECT add_continuous_aggregate_policy('rh', interval '40 days', interval '1 hour', interval '1 hour',
  initial_start => now() + interval '1 day') AS job \gset
CALL run_job(:job);
SELECT bool_and(transactions = 1) AS one_transaction_each, bool_and(built = indexes) AS all_built,
       bool_and(entries_ok) AS entries_ok FROM mat_chunks('rh');
SELECT count(*) AS differences FROM
  ((SELECT * FROM rh EXCEPT ALL SELECT time_bucket('1 hour', time), k, count(*), sum(v) FROM recent
     WHERE time < date_trunc('hour', now() - interval '1 hour') GROUP BY 1, 2)
   UNION ALL (SELECT time_bucket('1 hour', time), k, count(*), sum(v) FROM recent
               WHERE time < date_trunc('hour', now() - interval '1 hour') GROUP BY 1, 2 EXCEPT ALL SELECT * FROM rh)) x;

-- Created and filled in one transaction block: the first batch of a new chunk builds its
-- indexes, later rows of the same transaction go through per-row inserts.
BEGIN;
CREATE MATERIALIZED VIEW h_tx WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM st GROUP BY 1, 2, 3 WITH DATA;
COMMIT;
SELECT range_start, transactions, built, entries_ok FROM mat_chunks('h_tx');
SELECT count(*) AS differences FROM ((SELECT * FROM h EXCEPT ALL SELECT * FROM h_tx)
                                     UNION ALL (SELECT * FROM h_tx EXCEPT ALL SELECT * FROM h)) d;

-- A region open below (a new aggregate) starts its first batch at the start of the oldest raw
-- chunk: that chunk is not read for its oldest row (without an index on time that would be one
-- more sequential scan of it), only aggregated.
CREATE TABLE noidx (time timestamptz NOT NULL, v int);
SELECT create_hypertable('noidx', by_range('time', interval '1 day'), create_default_indexes => false);
INSERT INTO noidx SELECT '2026-03-01 05:00'::timestamptz + i * interval '17 minutes', i FROM generate_series(0, 500) i;
CREATE MATERIALIZED VIEW noidx_h WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, count(*) AS n, sum(v) AS s FROM noidx GROUP BY 1 WITH NO DATA;
SELECT s::regclass AS oldest FROM show_chunks('noidx') s ORDER BY 1 LIMIT 1 \gset
SELECT pg_stat_force_next_flush();
SELECT seq_scan AS scans_before FROM pg_stat_user_tables WHERE relid = :'oldest'::regclass \gset
CALL refresh_continuous_aggregate('noidx_h', NULL, NULL);
SELECT pg_stat_force_next_flush();
SELECT seq_scan - :scans_before AS scans_of_the_oldest_chunk FROM pg_stat_user_tables WHERE relid = :'oldest'::regclass;
SELECT count(*) AS differences FROM
  ((SELECT * FROM noidx_h EXCEPT ALL SELECT time_bucket('1 hour', time), count(*), sum(v) FROM noidx GROUP BY 1)
   UNION ALL (SELECT time_bucket('1 hour', time), count(*), sum(v) FROM noidx GROUP BY 1 EXCEPT ALL SELECT * FROM noidx_h)) x;
