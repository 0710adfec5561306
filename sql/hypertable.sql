-- create_hypertable in both forms, its validation errors (with SQLSTATEs) and the information views.
CREATE FUNCTION pg_temp.err(sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE sql;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- new form, default interval (7 days) and default index
CREATE TABLE conditions (time timestamptz NOT NULL, device text, temp float8);
SELECT * FROM create_hypertable('conditions', by_range('time'));
SELECT hypertable_schema, hypertable_name, owner, num_dimensions, num_chunks, compression_enabled,
       tablespaces, primary_dimension, primary_dimension_type
  FROM strata_information.hypertables;
SELECT dimension_number, column_name, column_type, dimension_type, time_interval, integer_interval
  FROM strata_information.dimensions WHERE hypertable_name = 'conditions';
SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'conditions';
-- if_not_exists
SELECT * FROM create_hypertable('conditions', by_range('time'), if_not_exists => true);
SELECT pg_temp.err($$SELECT create_hypertable('conditions', by_range('time'))$$);

-- old form with chunk_time_interval; the time column becomes NOT NULL
CREATE TABLE metrics (ts timestamp, v int);
SELECT * FROM create_hypertable('metrics', 'ts', chunk_time_interval => INTERVAL '1 day');
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'metrics'::regclass AND attname = 'ts';
-- integer interval on a timestamp column is microseconds
CREATE TABLE metrics2 (ts timestamptz NOT NULL, v int);
SELECT * FROM create_hypertable('metrics2', 'ts', chunk_time_interval => 3600000000, create_default_indexes => false);
SELECT time_interval FROM strata_information.dimensions WHERE hypertable_name = 'metrics2';
SELECT count(*) FROM pg_indexes WHERE tablename = 'metrics2';

-- every supported time type
CREATE TABLE t_date (d date NOT NULL, v int);
SELECT created FROM create_hypertable('t_date', by_range('d', INTERVAL '1 month'));
CREATE TABLE t_i2 (t smallint NOT NULL, v int);
SELECT created FROM create_hypertable('t_i2', by_range('t', 100));
CREATE TABLE t_i4 (t integer NOT NULL, v int);
SELECT created FROM create_hypertable('t_i4', by_range('t', 1000));
CREATE TABLE t_i8 (t bigint NOT NULL, v int);
SELECT created FROM create_hypertable('t_i8', 't', chunk_time_interval => 1000000);
SELECT hypertable_name, column_type, time_interval, integer_interval
  FROM strata_information.dimensions ORDER BY hypertable_name;

-- errors
CREATE TABLE e_missing (a int);
SELECT pg_temp.err($$SELECT create_hypertable('e_missing', by_range('time'))$$);
CREATE TABLE e_type (t text NOT NULL);
SELECT pg_temp.err($$SELECT create_hypertable('e_type', by_range('t'))$$);
CREATE TABLE e_unique (t timestamptz NOT NULL, id int PRIMARY KEY);
SELECT pg_temp.err($$SELECT create_hypertable('e_unique', by_range('t'))$$);
CREATE TABLE e_int (t int NOT NULL);
SELECT pg_temp.err($$SELECT create_hypertable('e_int', by_range('t'))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_int', by_range('t', INTERVAL '1 day'))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_int', by_range('t', 0))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_int', by_range('t', -5))$$);
CREATE TABLE e_small (t timestamptz NOT NULL);
SELECT pg_temp.err($$SELECT create_hypertable('e_small', by_range('t', INTERVAL '1 millisecond'))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_small', by_range('t', INTERVAL '-1 day'))$$);
CREATE TABLE e_part (t timestamptz NOT NULL) PARTITION BY RANGE (t);
SELECT pg_temp.err($$SELECT create_hypertable('e_part', by_range('t'))$$);
CREATE TABLE e_parent (t timestamptz NOT NULL);
CREATE TABLE e_child () INHERITS (e_parent);
SELECT pg_temp.err($$SELECT create_hypertable('e_parent', by_range('t'))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_child', by_range('t'))$$);
CREATE TEMP TABLE e_temp (t timestamptz NOT NULL);
SELECT pg_temp.err($$SELECT create_hypertable('e_temp', by_range('t'))$$);
CREATE VIEW e_view AS SELECT now() AS t;
SELECT pg_temp.err($$SELECT create_hypertable('e_view', by_range('t'))$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_small', 't', partitioning_column => 'x', number_partitions => 2)$$);
SELECT pg_temp.err($$SELECT create_hypertable('e_small', by_hash('t', 4))$$);
SELECT pg_temp.err($$SELECT create_hypertable(NULL, by_range('t'))$$);
CREATE ROLE strata_other;
SET ROLE strata_other;
SELECT pg_temp.err($$SELECT create_hypertable('e_small', by_range('t'))$$);
RESET ROLE;
DROP ROLE strata_other;

-- a table with rows needs migrate_data
CREATE TABLE e_rows (t timestamptz NOT NULL, v int);
INSERT INTO e_rows SELECT '2024-01-01'::timestamptz + i * INTERVAL '1 day', i FROM generate_series(0, 19) i;
SELECT pg_temp.err($$SELECT create_hypertable('e_rows', by_range('t'))$$);
SELECT * FROM create_hypertable('e_rows', by_range('t', INTERVAL '7 days'), migrate_data => true);
SELECT count(*) AS total, (SELECT count(*) FROM ONLY e_rows) AS in_parent FROM e_rows;
SELECT chunk_name, range_start, range_end, is_compressed
  FROM strata_information.chunks WHERE hypertable_name = 'e_rows' ORDER BY range_start;
-- 7-day chunks are aligned like TimescaleDB's: on multiples of the interval since the Unix epoch
SELECT range_start FROM strata_information.chunks WHERE hypertable_name = 'e_rows' ORDER BY range_start LIMIT 1;

-- chunks carry a CHECK constraint for their range, the indexes and privileges of the hypertable
SELECT pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = (SELECT format('%I.%I', chunk_schema, chunk_name)::regclass FROM strata_information.chunks
                    WHERE hypertable_name = 'e_rows' ORDER BY range_start LIMIT 1) AND contype = 'c';

-- integer chunks: ranges on the integer axis, open at the type's ends
INSERT INTO t_i2 VALUES (-32768, 1), (5, 2), (32767, 3);
SELECT range_start_integer, range_end_integer FROM strata_information.chunks
 WHERE hypertable_name = 't_i2' ORDER BY range_start_integer;
INSERT INTO t_date VALUES ('2024-02-29', 1);
SELECT c.range_start, c.range_end, pg_get_constraintdef(k.oid)
  FROM strata_information.chunks c
  JOIN pg_constraint k ON k.conrelid = format('%I.%I', c.chunk_schema, c.chunk_name)::regclass AND k.contype = 'c'
 WHERE c.hypertable_name = 't_date';
