-- strata.compression_statistics_overlap: the column statistics of a never-analyzed chunk, taken
-- from the rows compress_chunk holds in memory, are computed column by column while the encoding
-- thread is busy with a batch (when the backend would wait for it), not all after the last batch
-- (off). The statistics are the same either way (every row is sampled in a chunk this small).
SET TimeZone = 'UTC';
CREATE SCHEMA cs_sto;
SET search_path = cs_sto, public;
SHOW strata.compression_statistics_overlap;
CREATE TABLE s (time timestamptz NOT NULL, dev text, n int, v float8, note text);
SELECT count(*) FROM create_hypertable('s', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE s SET (autovacuum_enabled = false);
ALTER TABLE s SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 'time');
INSERT INTO s SELECT timestamptz '2026-05-01 00:00:00+00' + g * interval '1 second', 'd' || (g % 2), g % 50, g / 4.0,
                     CASE WHEN g % 9 = 0 THEN NULL ELSE 'note ' || (g % 300) END
  FROM generate_series(1, 3000) g;
SELECT show_chunks('s') AS chunk \gset
ALTER TABLE :chunk SET (autovacuum_enabled = false);
CREATE FUNCTION chunk_stats(ch regclass) RETURNS TABLE (attname name, stats text) LANGUAGE sql AS $$
  SELECT attname, concat_ws(' | ', null_frac, avg_width, n_distinct, most_common_vals, most_common_freqs,
                            histogram_bounds, correlation)
    FROM pg_stats WHERE format('%I.%I', schemaname, tablename)::regclass = ch $$;

-- (compressed and decompressed once first, so that the rows are in the same heap order, which
-- the statistics' correlation reflects, in both compressions below)
SELECT decompress_chunk(compress_chunk(:'chunk')) IS NOT NULL AS decompressed;
DELETE FROM pg_statistic WHERE starelid = :'chunk'::regclass;  -- (never analyzed again)
-- computed after the last batch (off)
SET strata.compression_statistics_overlap = off;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
CREATE TABLE stats_off AS SELECT * FROM chunk_stats(:'chunk');
SELECT count(*) AS columns_with_statistics FROM stats_off;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
DELETE FROM pg_statistic WHERE starelid = :'chunk'::regclass;  -- (never analyzed again)

-- computed while batches are encoded: each batch's encoding waits 300 ms on the encoding thread
-- (strata.compression_test_encode_delay), so at each of the two cuts after the first batch the
-- thread is busy and a column is done then (a DEBUG1 message counts them); the other three are
-- done at the end
RESET strata.compression_statistics_overlap;
SET strata.compression_test_encode_delay = 300;
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
RESET strata.compression_test_encode_delay;
SELECT count(*) AS differences FROM ((SELECT * FROM chunk_stats(:'chunk') EXCEPT ALL SELECT * FROM stats_off)
                                     UNION ALL (SELECT * FROM stats_off EXCEPT ALL SELECT * FROM chunk_stats(:'chunk'))) d;
SELECT attname, stats FROM chunk_stats(:'chunk') WHERE attname = 'n';
SELECT count(*) AS rows, count(*) FILTER (WHERE note IS NULL) AS null_notes FROM s;

RESET search_path;
DROP SCHEMA cs_sto CASCADE;
