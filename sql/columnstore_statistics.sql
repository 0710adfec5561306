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
RESET search_path;
DROP SCHEMA cs_st CASCADE;
