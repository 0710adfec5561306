-- Long operations say what they did (issue 18): drop_chunks, compress_chunk (and recompression),
-- decompress_chunk and refresh_continuous_aggregate end with a NOTICE summarising chunks, rows,
-- batches and bytes when they ran at least strata.summary_min_duration. The test cluster turns
-- summaries off (-1); this test sets 0 to see every one, and checks that the setting keeps short
-- operations quiet (the default is one second).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA summ;
SET search_path = summ, public;

-- The default is one second (the test cluster's configuration file says -1).
SELECT boot_val, unit, setting FROM pg_settings WHERE name = 'strata.summary_min_duration';
DO $$ BEGIN SET strata.summary_min_duration = -2; EXCEPTION WHEN OTHERS THEN RAISE NOTICE '% %', SQLSTATE, SQLERRM; END $$;

CREATE TABLE m (time timestamptz NOT NULL, host text, v int);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC');
-- Three days of 1,440 rows each, two hosts.
INSERT INTO m SELECT timestamptz '2026-01-01' + g * interval '1 minute', 'h' || (g % 2), g
  FROM generate_series(0, 3 * 1440 - 1) g;

-- Operations shorter than the setting say nothing.
SET strata.summary_min_duration = '1h';
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
SELECT decompress_chunk(c) IS NOT NULL AS decompressed FROM show_chunks('m') c ORDER BY c LIMIT 1;

SET strata.summary_min_duration = 0;
-- compress_chunk: rows, batches (1,440 rows of two hosts: 720 each, one batch per host), bytes.
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
-- Recompression after rows arrived in the row part of the compressed chunk.
INSERT INTO m VALUES ('2026-01-01 12:00:30', 'h0', -1), ('2026-01-01 12:01:30', 'h0', -2);
SELECT compress_chunk(c) IS NOT NULL AS recompressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
-- Already compressed: the existing NOTICE only.
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
SELECT decompress_chunk(c) IS NOT NULL AS decompressed FROM show_chunks('m') c ORDER BY c LIMIT 1;
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('m') c ORDER BY c LIMIT 1;

-- drop_chunks: chunks and an estimate of the rows (exact here, right after ANALYZE, with the
-- compressed chunk's rows counted from its catalog row); the result set is unchanged.
ANALYZE m;
SELECT count(*) AS dropped FROM drop_chunks('m', older_than => timestamptz '2026-01-03');
SELECT count(*) AS rows_left FROM m;
-- A chunk never counted by VACUUM or ANALYZE: bytes only, and a detail saying why.
INSERT INTO m VALUES ('2026-01-10 00:00', 'h1', 1);
SELECT count(*) AS dropped FROM drop_chunks('m', newer_than => timestamptz '2026-01-05');
-- Nothing to drop: nothing to say.
SELECT count(*) AS dropped FROM drop_chunks('m', older_than => timestamptz '2000-01-01');

-- A refresh: rows written and batches.
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, host, count(*) AS n FROM m GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
-- Up to date: the existing NOTICE only.
CALL refresh_continuous_aggregate('hourly', NULL, NULL);
SELECT count(*) AS buckets FROM hourly;

-- Off again: nothing said.
SET strata.summary_min_duration = -1;
SELECT count(*) AS dropped FROM drop_chunks('m', older_than => timestamptz '2026-01-05');
RESET search_path;
DROP SCHEMA summ CASCADE;
