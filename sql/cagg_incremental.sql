-- Continuous aggregates maintained incrementally from late rows: INSERT and COPY below the
-- invalidation threshold write delta rows (not range invalidations) for aggregates whose values
-- combine exactly, and a refresh adds them into the materialized buckets. Buckets with range
-- invalidations too are recomputed and their delta rows discarded. Every step compares the
-- aggregate with the aggregation of the raw rows.
SET timezone = 'UTC';
CREATE TABLE m (time timestamptz NOT NULL, device int, v int, w numeric, tag text);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT '2024-01-01'::timestamptz + i * interval '7 minutes', i % 3, i % 50, (i % 7) * 1.25, 't' || (i % 4)
  FROM generate_series(0, 2000) i;
-- Maintained incrementally: count, count(x), count FILTER, sum of integers and numeric, min, max.
CREATE MATERIALIZED VIEW inc WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, count(v) AS nv,
         count(*) FILTER (WHERE v > 25) AS big, sum(v) AS s, sum(w) AS sw, min(v) AS lo, max(tag) AS hi
    FROM m GROUP BY 1, 2 WITH NO DATA;
-- Not maintained incrementally (avg): its buckets are recomputed.
CREATE MATERIALIZED VIEW recomputed WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, avg(v) AS mean, count(*) AS n FROM m GROUP BY 1 WITH NO DATA;
CREATE VIEW inc_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, count(v) AS nv,
         count(*) FILTER (WHERE v > 25) AS big, sum(v) AS s, sum(w) AS sw, min(v) AS lo, max(tag) AS hi
    FROM m WHERE time < '2024-01-03' GROUP BY 1, 2;
CREATE VIEW recomputed_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, avg(v) AS mean, count(*) AS n FROM m WHERE time < '2024-01-03'
   GROUP BY 1;
CREATE FUNCTION differ(agg regclass, reference regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((TABLE %s EXCEPT ALL TABLE %s) UNION ALL (TABLE %s EXCEPT ALL TABLE %s)) d',
                 agg, reference, reference, agg) INTO n;
  RETURN n;
END $$;
-- Pending delta rows and range invalidations below the threshold, per aggregate.
CREATE VIEW pending AS
  SELECT c.user_view_name AS agg,
         (SELECT coalesce(sum(CASE array_ndims(d.vals) WHEN 2 THEN array_length(d.vals, 1) ELSE 1 END), 0) FROM _strata_catalog.continuous_agg_delta d
           WHERE d.mat_hypertable_id = c.mat_hypertable_id) AS deltas,
         (SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i
           WHERE i.mat_hypertable_id = c.mat_hypertable_id AND i.lowest < c.invalidation_threshold) AS ranges
    FROM _strata_catalog.continuous_agg c ORDER BY 1;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
CALL refresh_continuous_aggregate('recomputed', NULL, '2024-01-03');
SELECT * FROM pending;

-- Late rows by INSERT: delta rows for inc, ranges for recomputed.
INSERT INTO m VALUES ('2024-01-01 03:10', 1, 30, 2.5, 'zz'), ('2024-01-01 03:20', 1, NULL, NULL, 'a'),
                     ('2024-01-01 05:00', 7, 99, 0.1, 'new group'), ('2024-01-02 11:59', 2, -5, -1, 'b');
SELECT * FROM pending;
SELECT differ('inc', 'inc_raw') > 0 AS stale;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
CALL refresh_continuous_aggregate('recomputed', NULL, '2024-01-03');
SELECT * FROM pending;
SELECT differ('inc', 'inc_raw') AS inc, differ('recomputed', 'recomputed_raw') AS recomputed;
SELECT * FROM inc WHERE bucket = '2024-01-01 05:00' ORDER BY device;

-- Late rows by COPY, and several transactions' delta rows for one bucket and group.
COPY m FROM STDIN WITH (FORMAT csv);
2024-01-01 07:01:00+00,0,1,1.5,c
2024-01-01 07:31:00+00,0,,,
2024-01-02 00:00:00+00,1,77,3,d
\.
INSERT INTO m VALUES ('2024-01-01 07:45', 0, 1000, 100, 'zzz');
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT * FROM pending;
SELECT differ('inc', 'inc_raw') AS inc;

-- A bucket with late rows and a range invalidation (UPDATE) is recomputed, its delta rows
-- discarded: counted once.
INSERT INTO m VALUES ('2024-01-01 09:05', 1, 5, 5, 'e');
UPDATE m SET v = v + 1 WHERE time = '2024-01-01 09:06';
INSERT INTO m VALUES ('2024-01-01 10:05', 1, 5, 5, 'e');
DELETE FROM m WHERE time = '2024-01-01 10:09';
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT * FROM pending;
SELECT differ('inc', 'inc_raw') AS inc;

-- Refreshing a window leaves the delta rows outside it.
INSERT INTO m VALUES ('2024-01-01 01:00', 2, 1, 1, 'f'), ('2024-01-02 20:00', 2, 1, 1, 'f');
CALL refresh_continuous_aggregate('inc', '2024-01-02', '2024-01-03');
SELECT * FROM pending;
SELECT count(*) AS stale_buckets FROM ((TABLE inc EXCEPT ALL TABLE inc_raw) UNION ALL (TABLE inc_raw EXCEPT ALL TABLE inc)) d
 WHERE bucket < '2024-01-03';
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc;

-- Statements whose rows may differ from what they hand over are not captured: ranges.
CREATE UNIQUE INDEX ON m (time, device);
INSERT INTO m VALUES ('2024-01-01 00:07', 1, 1, 1, 'g') ON CONFLICT DO NOTHING;  -- a conflict
INSERT INTO m VALUES ('2024-01-01 02:01', 0, 1, 1, 'g') ON CONFLICT DO NOTHING;
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc;
-- A rolled-back savepoint, and a statement in a subtransaction.
BEGIN;
INSERT INTO m VALUES ('2024-01-01 04:01', 0, 1, 1, 'h');
SAVEPOINT s;
INSERT INTO m VALUES ('2024-01-01 04:02', 0, 1, 1, 'h');
ROLLBACK TO SAVEPOINT s;
INSERT INTO m VALUES ('2024-01-01 04:03', 0, 1, 1, 'h');
COMMIT;
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc;
-- A BEFORE ROW trigger that changes the row.
CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v * 10; RETURN NEW; END $$;
CREATE TRIGGER bump BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION bump();
INSERT INTO m VALUES ('2024-01-01 06:01', 0, 3, 1, 'i');
SELECT * FROM pending;
DROP TRIGGER bump ON m;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc;
-- ... and one created on a chunk, not on the hypertable (INSERT and COPY): ranges too.
SELECT format('CREATE TRIGGER bump BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION bump()', c)
  FROM show_chunks('m') c ORDER BY c LIMIT 1 \gexec
INSERT INTO m VALUES ('2024-01-01 06:02', 0, 4, 1, 'j');
COPY m FROM STDIN WITH (FORMAT csv);
2024-01-01 06:03:00+00,0,5,1,k
\.
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc;
SELECT format('DROP TRIGGER bump ON %s', c) FROM show_chunks('m') c ORDER BY c LIMIT 1 \gexec
DROP INDEX m_time_device_idx;

-- strata.cagg_incremental = off: no delta rows; off at refresh: pending delta rows are
-- recomputed instead.
SET strata.cagg_incremental = off;
INSERT INTO m VALUES ('2024-01-01 08:01', 0, 1, 1, 'j');
SELECT * FROM pending;
RESET strata.cagg_incremental;
INSERT INTO m VALUES ('2024-01-01 08:02', 0, 1, 1, 'j');
SET strata.cagg_incremental = off;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
RESET strata.cagg_incremental;
SELECT * FROM pending;
SELECT differ('inc', 'inc_raw') AS inc;

-- An aggregate on the aggregate is invalidated by the merge (not maintained incrementally).
CREATE MATERIALIZED VIEW daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', bucket) AS day, sum(n) AS n, max(hi) AS hi FROM inc GROUP BY 1 WITH NO DATA;
CREATE VIEW daily_raw AS SELECT time_bucket('1 day', time) AS day, count(*)::numeric AS n, max(tag) AS hi
  FROM m WHERE time < '2024-01-03' GROUP BY 1;
CALL refresh_continuous_aggregate('daily', NULL, '2024-01-03');
INSERT INTO m VALUES ('2024-01-01 12:00', 1, 1, 1, 'zzzz');
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
CALL refresh_continuous_aggregate('daily', NULL, '2024-01-03');
SELECT differ('inc', 'inc_raw') AS inc, differ('daily', 'daily_raw') AS daily;

-- drop_chunks removes the dropped buckets' delta rows with their ranges (the materialized
-- buckets outlive the raw rows).
INSERT INTO m VALUES ('2024-01-01 13:00', 1, 1, 1, 'k'), ('2024-01-02 13:00', 1, 1, 1, 'k');
SELECT * FROM pending;
SELECT count(*) FROM drop_chunks('m', older_than => '2024-01-02'::timestamptz);
SELECT * FROM pending;
CALL refresh_continuous_aggregate('inc', NULL, '2024-01-03');
SELECT count(*) AS inc_from_jan_2
  FROM ((SELECT * FROM inc WHERE bucket >= '2024-01-02' EXCEPT ALL SELECT * FROM inc_raw)
        UNION ALL (SELECT * FROM inc_raw EXCEPT ALL SELECT * FROM inc WHERE bucket >= '2024-01-02')) d;

-- Text in a non-default collation: min / max combine under the query's collation.
CREATE TABLE words (time timestamptz NOT NULL, w text COLLATE "und-x-icu");
SELECT create_hypertable('words', by_range('time', interval '1 day'));
INSERT INTO words VALUES ('2024-01-01 00:10', 'B'), ('2024-01-01 01:10', 'a');
CREATE MATERIALIZED VIEW words_h WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, min(w) AS lo, max(w) AS hi, count(*) AS n FROM words GROUP BY 1;
INSERT INTO words VALUES ('2024-01-01 00:30', 'b');  -- before 'B' in this collation, after it in "C"
SELECT count(*) AS deltas FROM _strata_catalog.continuous_agg_delta d JOIN _strata_catalog.continuous_agg c
    USING (mat_hypertable_id) WHERE c.user_view_name = 'words_h';
CALL refresh_continuous_aggregate('words_h', NULL, NULL);
SELECT * FROM words_h ORDER BY 1;
SELECT time_bucket('1 hour', time) AS bucket, min(w) AS lo, max(w) AS hi, count(*) AS n FROM words GROUP BY 1 ORDER BY 1;

-- bool_and (every), bool_or, bit_and, bit_or and bit_xor combine by themselves (NULL: no input).
CREATE TABLE flags (time timestamptz NOT NULL, dev int, ok bool, bits int, b bit(4));
SELECT create_hypertable('flags', by_range('time', interval '1 day'));
INSERT INTO flags SELECT '2024-01-01'::timestamptz + i * interval '13 minutes', i % 2, i % 5 <> 0,
                         CASE WHEN i % 3 = 0 THEN NULL ELSE i % 16 END, (i % 16)::bit(4)
  FROM generate_series(0, 300) i;
CREATE MATERIALIZED VIEW flags_h WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, bool_and(ok) AS all_ok, every(ok) FILTER (WHERE bits > 3) AS ev,
         bool_or(NOT ok) AS any_bad, bit_and(bits) AS band, bit_or(bits) AS bor, bit_xor(bits) AS bxor,
         bit_or(b) AS bbits, count(*) AS n
    FROM flags GROUP BY 1, 2;
CREATE VIEW flags_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, bool_and(ok) AS all_ok, every(ok) FILTER (WHERE bits > 3) AS ev,
         bool_or(NOT ok) AS any_bad, bit_and(bits) AS band, bit_or(bits) AS bor, bit_xor(bits) AS bxor,
         bit_or(b) AS bbits, count(*) AS n
    FROM flags GROUP BY 1, 2;
INSERT INTO flags VALUES ('2024-01-01 00:05', 0, false, 8, B'1000'), ('2024-01-01 01:01', 1, true, NULL, B'0110'),
                         ('2024-01-01 02:59', 0, NULL, 2, NULL), ('2024-01-01 03:30', 5, true, 15, B'1111'),
                         ('2024-01-01 03:31', 5, false, 1, B'0001');
SELECT count(*) AS deltas,
       (SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i
         WHERE i.mat_hypertable_id = c.mat_hypertable_id AND i.lowest < c.invalidation_threshold) AS ranges
  FROM _strata_catalog.continuous_agg_delta d JOIN _strata_catalog.continuous_agg c USING (mat_hypertable_id)
 WHERE c.user_view_name = 'flags_h' GROUP BY c.mat_hypertable_id, c.invalidation_threshold;
CALL refresh_continuous_aggregate('flags_h', NULL, NULL);
SELECT differ('flags_h', 'flags_raw') AS flags;
SELECT * FROM flags_h WHERE bucket < '2024-01-01 04:00' ORDER BY 1, 2;
DROP MATERIALIZED VIEW flags_h;

-- avg of integers or numeric with a sum and a count of the same argument (and FILTER) among
-- the columns: recomputed from the combined sum and count, exactly avg's own result (numeric
-- NaN and infinities too). Without them (recomputed_avg: count(*), not count(x)) its buckets are
-- recomputed.
CREATE TABLE av (time timestamptz NOT NULL, dev int, i int, j bigint, x numeric);
SELECT create_hypertable('av', by_range('time', interval '1 day'));
INSERT INTO av SELECT '2024-01-01'::timestamptz + k * interval '11 minutes', k % 2,
                      CASE WHEN k % 4 = 0 THEN NULL ELSE k % 23 END, k * 1000003, (k % 9) * 0.37
  FROM generate_series(0, 300) k;
CREATE MATERIALIZED VIEW av_h WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, avg(i) AS ai, sum(i) AS si, count(i) AS ci,
         avg(j) AS aj, count(j) AS cj, sum(j) AS sj,
         avg(x) FILTER (WHERE dev = 0) AS ax, sum(x) FILTER (WHERE dev = 0) AS sx, count(x) FILTER (WHERE dev = 0) AS cx
    FROM av GROUP BY 1, 2;
CREATE MATERIALIZED VIEW recomputed_avg WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
  SELECT time_bucket('1 hour', time) AS bucket, avg(i) AS ai, sum(i) AS si, count(*) AS n FROM av GROUP BY 1;
CREATE VIEW av_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, dev, avg(i) AS ai, sum(i) AS si, count(i) AS ci,
         avg(j) AS aj, count(j) AS cj, sum(j) AS sj,
         avg(x) FILTER (WHERE dev = 0) AS ax, sum(x) FILTER (WHERE dev = 0) AS sx, count(x) FILTER (WHERE dev = 0) AS cx
    FROM av GROUP BY 1, 2;
INSERT INTO av VALUES ('2024-01-01 00:05', 0, 7, 1, 1.005), ('2024-01-01 00:06', 0, NULL, NULL, NULL),
                      ('2024-01-01 01:10', 1, 100, -5, 2), ('2024-01-01 02:20', 0, 1, 1, 'NaN'),
                      ('2024-01-01 03:30', 0, 2, 2, 'Infinity'), ('2024-01-01 04:40', 0, 3, 3, 'Infinity'),
                      ('2024-01-01 04:41', 0, 3, 3, '-Infinity'), ('2024-01-01 05:50', 3, NULL, NULL, NULL);
SELECT c.user_view_name AS agg, count(d.*) AS deltas,
       (SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i
         WHERE i.mat_hypertable_id = c.mat_hypertable_id AND i.lowest < c.invalidation_threshold) AS ranges
  FROM _strata_catalog.continuous_agg c LEFT JOIN _strata_catalog.continuous_agg_delta d USING (mat_hypertable_id)
 WHERE c.user_view_name IN ('av_h', 'recomputed_avg') GROUP BY c.user_view_name, c.mat_hypertable_id, c.invalidation_threshold
 ORDER BY 1;
CALL refresh_continuous_aggregate('av_h', NULL, NULL);
CALL refresh_continuous_aggregate('recomputed_avg', NULL, NULL);
SELECT differ('av_h', 'av_raw') AS av;
-- The same scale too (compared as text).
SELECT count(*) AS av_text_differ
  FROM ((SELECT bucket, dev, ai::text, aj::text, ax::text FROM av_h EXCEPT ALL SELECT bucket, dev, ai::text, aj::text, ax::text FROM av_raw)
        UNION ALL (SELECT bucket, dev, ai::text, aj::text, ax::text FROM av_raw EXCEPT ALL SELECT bucket, dev, ai::text, aj::text, ax::text FROM av_h)) d;
SELECT count(*) AS recomputed_avg_differ
  FROM ((TABLE recomputed_avg EXCEPT ALL SELECT time_bucket('1 hour', time), avg(i), sum(i), count(*) FROM av GROUP BY 1)
        UNION ALL (SELECT time_bucket('1 hour', time), avg(i), sum(i), count(*) FROM av GROUP BY 1 EXCEPT ALL TABLE recomputed_avg)) d;
SELECT bucket, dev, ai, aj, ax FROM av_h WHERE bucket < '2024-01-01 06:00' ORDER BY 1, 2;
DROP MATERIALIZED VIEW av_h;
DROP MATERIALIZED VIEW recomputed_avg;

-- The merge updates the materialized rows of the late rows' groups in place (UPDATE: no row of
-- the materialization deleted or inserted) and inserts only the groups without a row yet; a
-- group column's NULL in the late rows matches the NULL of its materialized row, and a group
-- column NULL only in the materialization matches no late row. A merged bucket above the
-- watermark (the buckets at the top were empty) raises it.
CREATE TABLE ip (time timestamptz NOT NULL, g text, h text, v int);
SELECT create_hypertable('ip', by_range('time', interval '1 day'));
INSERT INTO ip VALUES ('2024-01-01 00:10', NULL, 'x', 1), ('2024-01-01 00:20', 'a', NULL, 2),
                      ('2024-01-01 01:10', 'b', 'y', 3), ('2024-01-01 02:10', 'a', 'x', 4);
CREATE MATERIALIZED VIEW ip_h WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, g, h, count(*) AS n, sum(v) AS s, min(v) AS lo
    FROM ip GROUP BY 1, 2, 3 WITH NO DATA;
CREATE VIEW ip_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, g, h, count(*) AS n, sum(v) AS s, min(v) AS lo FROM ip GROUP BY 1, 2, 3;
CALL refresh_continuous_aggregate('ip_h', NULL, '2024-01-01 06:00');
SELECT _strata_internal.to_timestamptz(watermark) AS watermark FROM _strata_catalog.continuous_agg WHERE user_view_name = 'ip_h';
INSERT INTO ip VALUES ('2024-01-01 00:30', NULL, 'x', 10), ('2024-01-01 00:40', 'a', NULL, -2),
                      ('2024-01-01 01:20', 'b', NULL, 30), ('2024-01-01 04:30', 'c', 'z', 5);
SELECT deltas, ranges FROM pending WHERE agg = 'ip_h';
SELECT pg_stat_force_next_flush();
CREATE TEMP TABLE ip_before AS
  SELECT sum(n_tup_ins) AS ins, sum(n_tup_upd) AS upd, sum(n_tup_del) AS del FROM pg_stat_user_tables
   WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = (SELECT format('%I.%I', materialization_hypertable_schema,
                   materialization_hypertable_name)::regclass FROM strata_information.continuous_aggregates WHERE view_name = 'ip_h'));
CALL refresh_continuous_aggregate('ip_h', NULL, '2024-01-01 06:00');
SELECT pg_stat_force_next_flush();
SELECT sum(n_tup_ins) - (SELECT ins FROM ip_before) AS inserted, sum(n_tup_upd) - (SELECT upd FROM ip_before) AS updated,
       sum(n_tup_del) - (SELECT del FROM ip_before) AS deleted FROM pg_stat_user_tables
 WHERE relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = (SELECT format('%I.%I', materialization_hypertable_schema,
                 materialization_hypertable_name)::regclass FROM strata_information.continuous_aggregates WHERE view_name = 'ip_h'));
SELECT deltas, ranges FROM pending WHERE agg = 'ip_h';
SELECT differ('ip_h', 'ip_raw') AS ip;
SELECT * FROM ip_h ORDER BY 1, 2, 3;
SELECT _strata_internal.to_timestamptz(watermark) AS watermark FROM _strata_catalog.continuous_agg WHERE user_view_name = 'ip_h';
DROP MATERIALIZED VIEW ip_h;
DROP VIEW ip_raw;
DROP TABLE ip;

-- Dropping the aggregate drops its delta rows.
INSERT INTO m VALUES ('2024-01-02 14:00', 1, 1, 1, 'l');
DROP MATERIALIZED VIEW daily;
DROP MATERIALIZED VIEW inc;
SELECT count(*) FROM _strata_catalog.continuous_agg_delta;

-- Delta values are stored in the database's encoding whatever the client encoding of the
-- session that writes them or of the one that refreshes (text's send and receive functions
-- convert to and from the client encoding): a late 'café' written by a LATIN1 session, merged by a
-- UTF8 one, and the other way round (by SQL: a new group; and in place: an existing group).
CREATE TABLE enc (time timestamptz NOT NULL, name text, v int);
SELECT create_hypertable('enc', by_range('time', interval '1 day'));
INSERT INTO enc VALUES ('2024-01-01 00:10+00', U&'caf\00e9', 1), ('2024-01-01 00:20+00', 'abc', 1);
CREATE MATERIALIZED VIEW enc_h WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, name, count(*) AS n FROM enc GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('enc_h', NULL, '2024-01-02');
SET client_encoding = 'LATIN1';
INSERT INTO enc VALUES ('2024-01-01 00:30+00', U&'caf\00e9', 1), ('2024-01-01 01:30+00', U&'\00e9t\00e9', 1);
RESET client_encoding;
CALL refresh_continuous_aggregate('enc_h', NULL, '2024-01-02');
SELECT bucket, name, n, name = U&'caf\00e9' AS cafe FROM enc_h ORDER BY 1, 2;
INSERT INTO enc VALUES ('2024-01-01 00:40+00', U&'caf\00e9', 1), ('2024-01-01 02:30+00', U&'na\00efve', 1);
SET client_encoding = 'LATIN1';
CALL refresh_continuous_aggregate('enc_h', NULL, '2024-01-02');
RESET client_encoding;
SELECT bucket, name, n FROM enc_h ORDER BY 1, 2;
SELECT count(*) AS differing FROM (
  (TABLE enc_h EXCEPT ALL SELECT time_bucket('1 hour', time), name, count(*) FROM enc GROUP BY 1, 2)
  UNION ALL
  (SELECT time_bucket('1 hour', time), name, count(*) FROM enc GROUP BY 1, 2 EXCEPT ALL TABLE enc_h)) x;
SHOW client_encoding;
DROP MATERIALIZED VIEW enc_h;
DROP TABLE enc;
