-- pgTAP: the public SQL API keeps TimescaleDB's names, signatures, result columns and view columns.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS strata;
BEGIN;
SELECT plan(22);

SELECT has_function('create_hypertable', ARRAY['regclass', '_strata_internal.dimension_info', 'boolean', 'boolean', 'boolean']);
SELECT has_function('create_hypertable', ARRAY['regclass', 'name', 'name', 'integer', 'name', 'name', 'anyelement',
                                               'boolean', 'boolean', 'regproc', 'boolean', 'text', 'regproc', 'regproc']);
SELECT has_function('by_range', ARRAY['name', 'anyelement', 'regproc']);
SELECT has_function('show_chunks');
SELECT has_function('drop_chunks');
SELECT has_function('time_bucket', ARRAY['interval', 'timestamp with time zone']);
SELECT has_function('set_chunk_time_interval');
SELECT has_function('hypertable_size', ARRAY['regclass']);
SELECT has_function('approximate_row_count', ARRAY['regclass']);

SELECT columns_are('strata_information', 'hypertables',
  ARRAY['hypertable_schema', 'hypertable_name', 'owner', 'num_dimensions', 'num_chunks', 'compression_enabled',
        'tablespaces', 'primary_dimension', 'primary_dimension_type']);
SELECT columns_are('strata_information', 'chunks',
  ARRAY['hypertable_schema', 'hypertable_name', 'chunk_schema', 'chunk_name', 'primary_dimension',
        'primary_dimension_type', 'range_start', 'range_end', 'range_start_integer', 'range_end_integer',
        'is_compressed', 'chunk_tablespace', 'chunk_creation_time']);
SELECT columns_are('strata_information', 'dimensions',
  ARRAY['hypertable_schema', 'hypertable_name', 'dimension_number', 'column_name', 'column_type',
        'dimension_type', 'time_interval', 'integer_interval', 'integer_now_func', 'num_partitions']);
SELECT col_type_is('strata_information'::name, 'chunks'::name, 'range_start'::name, 'timestamp with time zone', 'chunks.range_start is timestamptz');
SELECT col_type_is('strata_information'::name, 'chunks'::name, 'range_start_integer'::name, 'bigint', 'chunks.range_start_integer is bigint');

-- result shapes
CREATE TABLE tap_ht (time timestamptz NOT NULL, v int);
SELECT results_eq($$SELECT hypertable_id > 0, created FROM create_hypertable('tap_ht', by_range('time'))$$,
                  $$VALUES (true, true)$$, 'by_range form returns (hypertable_id, created)');
CREATE TABLE tap_ht2 (time timestamptz NOT NULL, v int);
SELECT results_eq($$SELECT schema_name, table_name, created FROM create_hypertable('tap_ht2', 'time')$$,
                  $$VALUES ('public'::name, 'tap_ht2'::name, true)$$, 'old form returns (hypertable_id, schema_name, table_name, created)');
INSERT INTO tap_ht VALUES ('2024-01-01', 1), ('2024-02-01', 2);
SELECT is((SELECT count(*) FROM show_chunks('tap_ht')), 2::bigint, 'show_chunks returns one regclass per chunk');
SELECT is(pg_typeof(c)::text, 'regclass', 'show_chunks returns regclass') FROM show_chunks('tap_ht') c LIMIT 1;
SELECT is((SELECT count(*) FROM drop_chunks('tap_ht', older_than => '2024-01-15'::timestamptz)), 1::bigint,
          'drop_chunks returns the dropped chunk');
SELECT is((SELECT count(*) FROM tap_ht), 1::bigint, 'rows of the dropped chunk are gone');
SELECT throws_ok($$INSERT INTO tap_ht VALUES (NULL, 1)$$, '23502', NULL, 'NULL time is refused');
SELECT is((SELECT count(*) FROM ONLY tap_ht), 0::bigint, 'the parent holds no rows');

SELECT * FROM finish();
ROLLBACK;
