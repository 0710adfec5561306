-- A chunk compressed before ANALYZE (or autovacuum) ever saw its rows is analyzed first, while its
-- rows are still in its heap: afterwards ANALYZE samples only the empty row part, and without
-- column statistics the planner would estimate the compressed chunk's quals with default
-- selectivities.
SET client_min_messages = warning;
CREATE SCHEMA cs_st;
SET search_path = cs_st, public;
CREATE TABLE m (t timestamptz NOT NULL, dev int, v float8);
SELECT create_hypertable('m', 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok;
ALTER TABLE m SET (autovacuum_enabled = false);
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
-- 10 devices, one row a minute each for a day; v = 1 in 1 row of 100.
INSERT INTO m SELECT '2025-01-01'::timestamptz + i * interval '1 minute', d, CASE WHEN i % 100 = 0 THEN 1 ELSE 0 END
  FROM generate_series(0, 1439) i, generate_series(1, 10) d;
CREATE FUNCTION stats_rows() RETURNS bigint LANGUAGE sql AS
  $$ SELECT count(*) FROM pg_stats s JOIN show_chunks('cs_st.m') c
       ON format('%I.%I', s.schemaname, s.tablename)::regclass = c $$;
CREATE FUNCTION estimate(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
  RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
END $$;
SELECT stats_rows() AS stats_before;
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;
SELECT stats_rows() AS stats_after;
-- 150 rows match; the estimate comes from the statistics (the default for a range is a third of
-- the rows: 4,800).
SELECT estimate('SELECT * FROM m WHERE v > 0.5') BETWEEN 100 AND 200 AS range_estimate_ok;
SELECT count(*) FROM m WHERE v > 0.5;
-- ANALYZE of the compressed chunk (its row part is empty) keeps them.
ANALYZE m;
DO $$ DECLARE c regclass; BEGIN FOR c IN SELECT show_chunks('cs_st.m') LOOP EXECUTE format('ANALYZE %s', c); END LOOP; END $$;
SELECT stats_rows() AS stats_after_analyze;
SELECT estimate('SELECT * FROM m WHERE v > 0.5') BETWEEN 100 AND 200 AS range_estimate_ok;
-- The statistics come from the rows the compression gathered in memory, with ANALYZE's own
-- functions (strata.compression_statistics_from_rows): with at most 30,000 rows a chunk (ANALYZE's
-- sample), every row in heap order, so they are exactly ANALYZE's. Two hypertables with the same
-- rows, one compressed each way (off: ANALYZE of the heap first).
CREATE TABLE a (t timestamptz NOT NULL, dev int, v float8, s text, j int[]);
CREATE TABLE b (LIKE a);
SELECT create_hypertable(x, 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok FROM unnest(ARRAY['a', 'b']) x;
ALTER TABLE a SET (autovacuum_enabled = false);
ALTER TABLE b SET (autovacuum_enabled = false);
ALTER TABLE a SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
ALTER TABLE b SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
INSERT INTO a SELECT '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', d, (i * d) % 37 / 4.0,
                     CASE WHEN i % 7 = 0 THEN NULL ELSE 'k' || (i % 50) END, ARRAY[i % 5, d]
  FROM generate_series(0, 2879) i, generate_series(1, 5) d;
INSERT INTO b SELECT * FROM a;
-- a chunk's own n_distinct setting overrides the estimate, as ANALYZE does
SELECT format('ALTER TABLE %s ALTER COLUMN v SET (n_distinct = 123)', c) AS cmd FROM show_chunks('a') c LIMIT 1 \gset
:cmd;
SELECT format('ALTER TABLE %s ALTER COLUMN v SET (n_distinct = 123)', c) AS cmd FROM show_chunks('b') c LIMIT 1 \gset
:cmd;
SELECT count(compress_chunk(c)) FROM show_chunks('a') c;
SET strata.compression_statistics_from_rows = off;
SELECT count(compress_chunk(c)) FROM show_chunks('b') c;
RESET strata.compression_statistics_from_rows;
CREATE FUNCTION chunk_stats(ht regclass) RETURNS TABLE (k bigint, attname name, null_frac real, avg_width int,
    n_distinct real, mcv text, mcf text, hist text, corr real, elems text, elem_freqs text) LANGUAGE sql AS $$
  SELECT c.k, s.attname, s.null_frac, s.avg_width, s.n_distinct, s.most_common_vals::text,
         s.most_common_freqs::text, s.histogram_bounds::text, s.correlation, s.most_common_elems::text,
         s.most_common_elem_freqs::text
    FROM (SELECT c, row_number() OVER () AS k FROM show_chunks(ht) c) c
    JOIN pg_stats s ON format('%I.%I', s.schemaname, s.tablename)::regclass = c.c $$;
SELECT count(*) AS stats_rows, count(DISTINCT k) AS chunks FROM chunk_stats('a');
-- every statistic identical
(SELECT * FROM chunk_stats('a') EXCEPT SELECT * FROM chunk_stats('b'))
UNION ALL (SELECT * FROM chunk_stats('b') EXCEPT SELECT * FROM chunk_stats('a'));
SELECT k, n_distinct FROM chunk_stats('a') WHERE attname = 'v' ORDER BY k;
-- Each column's values reach the analysis already in sorted order
-- (strata.compression_statistics_presort: numbers sorted as numbers, other types by their distinct
-- values), the correlation computed from the sample's order. The same statistics as ANALYZE's with
-- values that sort equal to others of other bytes (numeric 1.0 / 1.00, float -0 / 0, intervals
-- '1 day' / '24 hours', text under a case-insensitive collation), NaN and infinities, NULLs, values
-- over 1 kB (left out of ANALYZE's sort) and compressed ones, a domain, uuid, bool.
CREATE COLLATION cs_st.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE DOMAIN cs_st.pos AS int CHECK (VALUE > 0);
CREATE TABLE p (t timestamptz NOT NULL, dev int, i2 int2, i8 int8, f4 float4, f8 float8, n numeric, d date,
                ts timestamp, iv interval, s text, ci text COLLATE cs_st.ci, w text, z text, u uuid, b bool, dm cs_st.pos);
CREATE TABLE q (LIKE p);
DO $$ DECLARE x text; BEGIN
  FOREACH x IN ARRAY ARRAY['p', 'q'] LOOP
    PERFORM create_hypertable(x, 't', chunk_time_interval => interval '1 day');
    EXECUTE format('ALTER TABLE %I SET (autovacuum_enabled = false)', x);
    EXECUTE format('ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = ''dev'', '
                   'timescaledb.compress_orderby = ''t'')', x);
  END LOOP;
END $$;
INSERT INTO p SELECT '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', i % 4,
    (i * 7919 % 601 - 300)::int2,
    CASE WHEN i % 11 = 0 THEN NULL ELSE (i::int8 * 104729) % 1000003 - 500000 END,
    CASE i % 13 WHEN 0 THEN 'NaN'::float4 WHEN 1 THEN '-Infinity' WHEN 2 THEN '-0' WHEN 3 THEN '0'
                ELSE (i % 97) / 8.0 - 6 END,
    CASE i % 17 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity' WHEN 2 THEN '-0' WHEN 3 THEN NULL
                WHEN 4 THEN '0' ELSE (i * 31 % 1009) / 16.0 - 30 END,
    CASE i % 3 WHEN 0 THEN 1.0 WHEN 1 THEN 1.00 ELSE (i % 40) / 4.0 END,
    date '2025-01-01' + (i * 37 % 500) - 250,
    timestamp '2025-01-01 00:00:00' + (i * 7 % 3000) * interval '1 hour',
    CASE i % 4 WHEN 0 THEN interval '1 day' WHEN 1 THEN interval '24 hours' ELSE (i % 50) * interval '1 hour' END,
    CASE WHEN i % 5 = 0 THEN NULL ELSE 'k' || (i * 13 % 70) END,
    CASE i % 3 WHEN 0 THEN 'Abc' WHEN 1 THEN 'aBC' ELSE 'v' || (i % 9) END,
    CASE WHEN i % 9 = 0 THEN repeat('x', 1500) || i ELSE 'w' || (i % 5) END,
    CASE WHEN i % 7 = 0 THEN repeat('y', 3000) || (i % 3) ELSE 'z' || (i % 4) END,
    md5((i % 300)::text)::uuid, i % 3 = 0, i % 20 + 1
  FROM generate_series(0, 2879) i;
INSERT INTO q SELECT * FROM p;
SELECT count(compress_chunk(c)) FROM show_chunks('p') c;
SET strata.compression_statistics_from_rows = off;
SELECT count(compress_chunk(c)) FROM show_chunks('q') c;
RESET strata.compression_statistics_from_rows;
SELECT count(*) AS stats_rows, count(DISTINCT k) AS chunks FROM chunk_stats('p');
-- every statistic identical
(SELECT * FROM chunk_stats('p') EXCEPT SELECT * FROM chunk_stats('q'))
UNION ALL (SELECT * FROM chunk_stats('q') EXCEPT SELECT * FROM chunk_stats('p'));
-- the correlations are not all 1 (the sorted order is not what they are computed from)
SELECT attname, round(corr::numeric, 4) AS corr FROM chunk_stats('p') WHERE k = 1 AND attname IN ('i2', 'f8', 's', 'ci', 'iv', 't') ORDER BY attname;
-- More rows than ANALYZE samples (30,000 with the default target; 300 with target 1): a sample of
-- them, in heap order. The estimates stay right.
CREATE TABLE big (t timestamptz NOT NULL, dev int, v int);
SELECT create_hypertable('big', 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok;
ALTER TABLE big SET (autovacuum_enabled = false);
ALTER TABLE big SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
INSERT INTO big SELECT '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 second', i % 10, i % 1000
  FROM generate_series(0, 49999) i;
SET default_statistics_target = 1;
SELECT count(compress_chunk(c)) FROM show_chunks('big') c;
RESET default_statistics_target;
SELECT s.attname, s.null_frac, s.histogram_bounds IS NOT NULL OR s.most_common_vals IS NOT NULL AS has_values
  FROM pg_stats s JOIN show_chunks('big') c ON format('%I.%I', s.schemaname, s.tablename)::regclass = c
 ORDER BY s.attname;
SELECT estimate('SELECT * FROM big WHERE v < 100') BETWEEN 2500 AND 7500 AS range_estimate_ok;
-- A chunk with an expression index: ANALYZE computes the expression's statistics too, so it
-- analyzes the heap itself.
CREATE TABLE e (t timestamptz NOT NULL, dev int, v float8);
SELECT create_hypertable('e', 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok;
ALTER TABLE e SET (autovacuum_enabled = false);
ALTER TABLE e SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
CREATE INDEX ON e ((v * 2));
INSERT INTO e SELECT '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', i % 3, i % 11 FROM generate_series(0, 999) i;
SELECT count(compress_chunk(c)) FROM show_chunks('e') c;
SELECT count(*) AS expression_stats FROM pg_statistic s JOIN pg_index i ON i.indexrelid = s.starelid
  JOIN show_chunks('e') c ON i.indrelid = c;
SELECT count(*) AS column_stats FROM pg_stats s JOIN show_chunks('e') c
    ON format('%I.%I', s.schemaname, s.tablename)::regclass = c;
-- The types' analysis runs as the chunk's owner in a restricted operation, as ANALYZE runs it,
-- not as the (superuser) caller of compress_chunk: a range type's subtype_diff (called to
-- measure each range) sees the owner as current_user and cannot change the session.
CREATE ROLE cs_st_owner;
GRANT USAGE, CREATE ON SCHEMA cs_st TO cs_st_owner;
CREATE FUNCTION cs_st.owner_diff(a float8, b float8) RETURNS float8 LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF current_user <> 'cs_st_owner' THEN
    RAISE EXCEPTION 'range statistics computed as %', current_user;
  END IF;
  PERFORM set_config('cs_st.seen', 'yes', false);  -- a GUC nest level of its own: undone
  RETURN a - b;
END $$;
CREATE TYPE cs_st.frange AS RANGE (subtype = float8, subtype_diff = cs_st.owner_diff);
CREATE TABLE r (t timestamptz NOT NULL, dev int, span cs_st.frange);
ALTER TABLE r OWNER TO cs_st_owner;
SELECT create_hypertable('r', 't', chunk_time_interval => interval '1 day') IS NOT NULL AS ok;
ALTER TABLE r SET (autovacuum_enabled = false);
ALTER TABLE r SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 't');
INSERT INTO r SELECT '2025-01-01 00:00:00+00'::timestamptz + i * interval '1 minute', i % 3,
    cs_st.frange(i, i + i % 7) FROM generate_series(0, 999) i;
SELECT count(compress_chunk(c)) FROM show_chunks('r') c;
SELECT current_setting('cs_st.seen', true) IS DISTINCT FROM 'yes' AS session_unchanged;
SELECT count(*) AS range_length_histograms FROM pg_statistic s JOIN show_chunks('r') c ON s.starelid = c
 WHERE 6 IN (s.stakind1, s.stakind2, s.stakind3, s.stakind4, s.stakind5);  -- STATISTIC_KIND_RANGE_LENGTH_HISTOGRAM
SELECT count(*) AS rows_back FROM r WHERE dev = 1;
RESET search_path;
DROP SCHEMA cs_st CASCADE;
DROP ROLE cs_st_owner;
