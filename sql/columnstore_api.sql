-- The columnstore API around compress_chunk: the compression policy (add/remove, procedures,
-- running it, recompressing partial chunks, errors), the strata_information views and the stats
-- and size functions with TimescaleDB's columns, show_chunks / drop_chunks / retention on
-- compressed chunks.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_api;
SET search_path = cs_api, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION statuses(ht regclass) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(_strata_internal.chunk_status(c)::text, ',') FROM show_chunks(ht) c
$$;

CREATE TABLE m (time timestamptz NOT NULL, host text, cpu float8, PRIMARY KEY (host, time));
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
-- The chunks that the policy compresses below depend on the UTC day: within 2 minutes of its end,
-- wait for the next one (a midnight between the INSERT and run_job made 4 chunks old enough, not 3).
DO $$ BEGIN
  IF date_trunc('day', clock_timestamp(), 'UTC') + interval '1 day' - clock_timestamp() < interval '2 minutes' THEN
    PERFORM pg_sleep_until(date_trunc('day', clock_timestamp(), 'UTC') + interval '1 day 1 second');
  END IF;
END $$;
-- Hourly rows back from the start of the current UTC day (from now() they spanned 5 daily chunks
-- instead of 6 when the test ran in the last hour of a UTC day).
INSERT INTO m SELECT date_trunc('day', now(), 'UTC') + interval '1 hour' - g * interval '1 hour', 'h' || (g % 3), g
  FROM generate_series(1, 24 * 5) g;
SELECT count(*) AS chunks FROM show_chunks('m');

-- Policy errors.
SELECT err($$SELECT add_compression_policy('m', interval '2 days')$$);
ALTER TABLE m SET (timescaledb.compress);
SELECT err($$SELECT add_compression_policy('m', 10)$$);
SELECT err($$SELECT add_compression_policy('m')$$);
SELECT err($$SELECT add_compression_policy('m', interval '1 day', compress_created_before => interval '1 day')$$);
SELECT err($$SELECT add_compression_policy('nosuch', interval '1 day')$$);
SELECT err($$SELECT add_compression_policy(NULL, interval '1 day')$$);
SELECT err($$SELECT add_compression_policy('m', interval '1 day', timezone => 'Nowhere/Never')$$);
SELECT err($$SELECT remove_compression_policy('m')$$);
SELECT remove_compression_policy('m', if_exists => true);

-- Add, again (error / notice), inspect, run. (Policies that the test runs with run_job start
-- tomorrow, so the background scheduler does not run them at the same time.)
SELECT add_compression_policy('m', interval '2 days', initial_start => now() + interval '1 day') > 0 AS added;
SELECT err($$SELECT add_compression_policy('m', interval '2 days')$$);
SELECT add_compression_policy('m', interval '2 days', if_not_exists => true);
SELECT add_compression_policy('m', interval '3 days', if_not_exists => true);
SELECT application_name, schedule_interval, proc_schema, proc_name, config - 'hypertable_id' AS config,
       hypertable_name, check_name
  FROM strata_information.jobs WHERE proc_name = 'policy_compression';
SELECT job_id AS job FROM strata_information.jobs WHERE proc_name = 'policy_compression' \gset
SELECT statuses('m');
CALL run_job(:job);
-- The chunks entirely older than 2 days are compressed, the others not.
SELECT count(*) FILTER (WHERE is_compressed) AS compressed, count(*) FILTER (WHERE NOT is_compressed) AS not_compressed,
       bool_and(NOT is_compressed OR range_end <= now() - interval '2 days') AS only_old_ones
  FROM strata_information.chunks WHERE hypertable_name = 'm';
-- Rows into a compressed chunk make it partial; the next run recompresses it.
INSERT INTO m SELECT min(range_start) + interval '1 minute', 'new', 0 FROM strata_information.chunks
 WHERE hypertable_name = 'm' AND is_compressed;
SELECT count(*) FILTER (WHERE _strata_internal.chunk_status(c) = 3) AS partial FROM show_chunks('m') c;
CALL run_job(:job);
SELECT count(*) FILTER (WHERE _strata_internal.chunk_status(c) = 3) AS partial FROM show_chunks('m') c;

-- Remove; the columnstore procedures.
SELECT remove_compression_policy('m');
SELECT count(*) FROM strata_information.jobs WHERE proc_name = 'policy_compression';
CALL add_columnstore_policy('m', after => interval '2 days', schedule_interval => interval '6 hours');
SELECT schedule_interval, config - 'hypertable_id' AS config FROM strata_information.jobs WHERE proc_name = 'policy_compression';
CALL remove_columnstore_policy('m');
CALL remove_columnstore_policy('m', if_exists => true);
CALL add_columnstore_policy('m', created_before => interval '1 hour');
SELECT config - 'hypertable_id' AS config FROM strata_information.jobs WHERE proc_name = 'policy_compression';
CALL remove_columnstore_policy('m');

-- Integer time needs an integer now function.
CREATE TABLE mi (t bigint NOT NULL, v int);
SELECT count(*) FROM create_hypertable('mi', by_range('t', 10));
ALTER TABLE mi SET (timescaledb.compress);
SELECT err($$SELECT add_compression_policy('mi', interval '1 day')$$);
SELECT err($$SELECT add_compression_policy('mi', 20)$$);
CREATE FUNCTION mi_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 100::bigint';
SELECT set_integer_now_func('mi', 'mi_now');
INSERT INTO mi SELECT g, g FROM generate_series(0, 99) g;
SELECT add_compression_policy('mi', 50, initial_start => now() + interval '1 day') > 0 AS added;
SELECT job_id AS job FROM strata_information.jobs WHERE proc_name = 'policy_compression' AND hypertable_name = 'mi' \gset
CALL run_job(:job);
SELECT statuses('mi');

-- Views.
SELECT * FROM strata_information.compression_settings WHERE hypertable_schema = 'cs_api' ORDER BY 2, 3;
ALTER TABLE mi SET (timescaledb.compress_segmentby = 'v', timescaledb.compress_orderby = 't ASC NULLS FIRST',
                    timescaledb.compress_index = 'bloom(v)');
SELECT err($$ALTER TABLE mi SET (timescaledb.compress_index = 'bloom(v)')$$);
ALTER TABLE mi SET (timescaledb.compress_segmentby = '', timescaledb.compress_index = 'bloom(v)');
SELECT * FROM strata_information.hypertable_columnstore_settings WHERE hypertable IN ('m'::regclass, 'mi'::regclass) ORDER BY 1;
SELECT hypertable, chunk::text LIKE '_strata_internal._hyper_%' AS is_chunk, segmentby, orderby, index
  FROM strata_information.chunk_columnstore_settings WHERE hypertable IN ('m'::regclass, 'mi'::regclass) ORDER BY 1, 2 LIMIT 3;
SELECT hypertable_name, compression_enabled FROM strata_information.hypertables
 WHERE hypertable_schema = 'cs_api' ORDER BY 1;

-- Stats.
SELECT chunk_name LIKE '_hyper_%' AS is_chunk, compression_status,
       before_compression_total_bytes > 0 AS before_known, after_compression_total_bytes > 0 AS after_known,
       before_compression_total_bytes = before_compression_table_bytes + before_compression_index_bytes
                                        + before_compression_toast_bytes AS total_is_sum
  FROM chunk_compression_stats('mi');
SELECT total_chunks, number_compressed_chunks, after_compression_total_bytes > 0 AS after_known,
       node_name
  FROM hypertable_compression_stats('mi');
SELECT (SELECT row(h.*)::text FROM hypertable_columnstore_stats('mi') h) = (SELECT row(h.*)::text FROM hypertable_compression_stats('mi') h) AS same;
SELECT count(*) FROM chunk_columnstore_stats('mi');
CREATE TABLE plain (x int);
SELECT count(*) FROM hypertable_compression_stats('plain');
-- hypertable_detailed_size counts the companion tables; chunks_detailed_size too, per chunk.
SELECT (SELECT total_bytes FROM hypertable_detailed_size('mi'))
       = (SELECT sum(pg_total_relation_size(c)) FROM show_chunks('mi') c)
         + (SELECT sum(pg_total_relation_size(format('%I.%I', cc.schema_name, cc.table_name)))
              FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
             WHERE h.table_name = 'mi')
         + pg_total_relation_size('mi') AS counts_companions;
SELECT (SELECT sum(total_bytes) FROM chunks_detailed_size('mi')) + pg_total_relation_size('mi')
       = (SELECT total_bytes FROM hypertable_detailed_size('mi')) AS chunks_add_up;

-- show_chunks, drop_chunks and retention with compressed chunks: the companion goes with its chunk.
SELECT count(*) FROM show_chunks('mi');
SELECT count(*) FROM show_chunks('mi', older_than => 30);
SELECT count(*) FROM drop_chunks('mi', older_than => 30);
SELECT count(*) FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
 WHERE h.table_name = 'mi';
SELECT count(*) FROM pg_class WHERE relname LIKE '\_hyper\_%\_cs' AND relnamespace = '_strata_internal'::regnamespace
   AND NOT EXISTS (SELECT FROM _strata_catalog.compressed_chunk cc WHERE cc.table_name = relname);
-- DROP TABLE of one compressed chunk: the event trigger cleans its catalog rows.
SELECT c AS chunk FROM show_chunks('mi') c LIMIT 1 \gset
SELECT _strata_internal.chunk_status(:'chunk');
DROP TABLE :chunk;
SELECT count(*) FROM _strata_catalog.compressed_chunk cc WHERE NOT EXISTS (SELECT FROM _strata_catalog.chunk k WHERE k.id = cc.chunk_id);
SELECT count(*) FROM pg_class WHERE relname LIKE '\_hyper\_%\_cs' AND relnamespace = '_strata_internal'::regnamespace
   AND NOT EXISTS (SELECT FROM _strata_catalog.compressed_chunk cc WHERE cc.table_name = relname);
SELECT add_retention_policy('mi', 60, initial_start => now() + interval '1 day') > 0 AS added;
SELECT job_id AS job FROM strata_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'mi' \gset
CALL run_job(:job);
SELECT count(*) FROM show_chunks('mi');
SELECT count(*) FROM _strata_catalog.compressed_chunk;
SELECT count(*) FROM pg_class WHERE relname LIKE '\_hyper\_%\_cs' AND relnamespace = '_strata_internal'::regnamespace
   AND NOT EXISTS (SELECT FROM _strata_catalog.compressed_chunk cc WHERE cc.table_name = relname);

DROP SCHEMA cs_api CASCADE;
