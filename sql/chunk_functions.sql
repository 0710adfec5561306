-- Chunk functions: show_chunks / drop_chunks with every argument type, sizes and row counts,
-- set_integer_now_func and set_chunk_time_interval, and their errors with SQLSTATEs.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- Reports the SQLSTATE and message of the error a statement raises.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- A chunk's range as text: UTC times for time columns, numbers for integer columns.
CREATE FUNCTION pg_temp.span(c regclass) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
              THEN pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.to_timestamp(k.range_start / 1000000.0)), 'YYYY-MM-DD HH24:MI')
                   || ' .. ' || pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.to_timestamp(k.range_end / 1000000.0)), 'YYYY-MM-DD HH24:MI')
              ELSE k.range_start || ' .. ' || k.range_end END
    FROM _strata_catalog.chunk k
    JOIN _strata_catalog.dimension d USING (hypertable_id)
   WHERE pg_catalog.format('%I.%I', k.schema_name, k.table_name)::regclass = c
$$;

-- A timestamptz hypertable with five one-day chunks, 2024-01-01 .. 2024-01-05.
CREATE TABLE conditions(time timestamptz NOT NULL, device int, temp float8);
SELECT count(*) FROM create_hypertable('conditions', 'time', chunk_time_interval => interval '1 day');
INSERT INTO conditions
  SELECT t, 1, 20 FROM pg_catalog.generate_series(timestamptz '2024-01-01', timestamptz '2024-01-05 23:00', interval '1 hour') t;

SELECT pg_temp.span(c) FROM show_chunks('conditions') c;
-- older_than X: the range ends at or before X; newer_than X: it starts at or after X.
SELECT pg_temp.span(c) AS older_than_jan3 FROM show_chunks('conditions', older_than => timestamptz '2024-01-03') c;
SELECT pg_temp.span(c) AS older_than_jan3_noon FROM show_chunks('conditions', older_than => timestamptz '2024-01-03 12:00') c;
SELECT pg_temp.span(c) AS newer_than_jan3 FROM show_chunks('conditions', newer_than => timestamptz '2024-01-03') c;
SELECT pg_temp.span(c) AS newer_than_jan3_noon FROM show_chunks('conditions', newer_than => timestamptz '2024-01-03 12:00') c;
SELECT pg_temp.span(c) AS between FROM show_chunks('conditions', older_than => timestamptz '2024-01-04', newer_than => timestamptz '2024-01-03') c;
SELECT count(*) AS impossible FROM show_chunks('conditions', older_than => timestamptz '2024-01-03', newer_than => timestamptz '2024-01-04') c;
-- Other time types (read in the session time zone), untyped literals (read as the column's type)
-- and positional arguments.
SELECT pg_temp.span(c) AS date_arg FROM show_chunks('conditions', older_than => date '2024-01-03') c;
SELECT pg_temp.span(c) AS timestamp_arg FROM show_chunks('conditions', newer_than => timestamp '2024-01-04') c;
SELECT pg_temp.span(c) AS literal_arg FROM show_chunks('conditions', older_than => '2024-01-02') c;
SELECT pg_temp.span(c) AS positional FROM show_chunks('conditions', timestamptz '2024-01-03', timestamptz '2024-01-02') c;
-- In Tokyo, date '2024-01-03' is 2024-01-02 15:00 UTC.
SET TimeZone = 'Asia/Tokyo';
SELECT pg_temp.span(c) AS date_in_tokyo FROM show_chunks('conditions', older_than => date '2024-01-03') c;
SET TimeZone = 'UTC';
-- infinity bounds.
SELECT count(*) AS older_than_infinity FROM show_chunks('conditions', older_than => timestamptz 'infinity');
SELECT count(*) AS newer_than_minus_infinity FROM show_chunks('conditions', newer_than => timestamptz '-infinity');
-- Intervals count back from now(): these chunks are years old.
SELECT count(*) AS older_than_1_day FROM show_chunks('conditions', older_than => interval '1 day');
SELECT count(*) AS newer_than_1_day FROM show_chunks('conditions', newer_than => interval '1 day');
-- Creation time: the chunks were created by an earlier statement.
SELECT count(*) AS created_before_now FROM show_chunks('conditions', created_before => now());
SELECT count(*) AS created_after_now FROM show_chunks('conditions', created_after => now());
SELECT count(*) AS created_before_1h_ago FROM show_chunks('conditions', created_before => interval '1 hour');
SELECT count(*) AS created_after_1h_ago FROM show_chunks('conditions', created_after => interval '1 hour');
SELECT count(*) AS created_before_2020 FROM show_chunks('conditions', created_before => date '2020-01-01');
SELECT count(*) AS created_after_2020 FROM show_chunks('conditions', created_after => '2020-01-01');
SELECT count(*) AS combined FROM show_chunks('conditions', older_than => timestamptz '2024-01-03', created_after => interval '1 hour');

-- Intervals relative to now() on data around now().
CREATE TABLE recent(time timestamptz NOT NULL, v int);
SELECT count(*) FROM create_hypertable('recent', 'time', chunk_time_interval => interval '1 day');
INSERT INTO recent VALUES (now() - interval '10 days', 1), (now(), 2);
SELECT count(*) AS older_than_5_days FROM show_chunks('recent', older_than => interval '5 days');
SELECT count(*) AS newer_than_5_days FROM show_chunks('recent', newer_than => interval '5 days');

-- timestamp and date hypertables.
CREATE TABLE readings(time timestamp NOT NULL, v int);
SELECT count(*) FROM create_hypertable('readings', 'time', chunk_time_interval => interval '1 day');
INSERT INTO readings SELECT t, 1 FROM pg_catalog.generate_series(timestamp '2024-03-01', timestamp '2024-03-03 12:00', interval '6 hours') t;
SELECT pg_temp.span(c) AS ts_older FROM show_chunks('readings', older_than => timestamp '2024-03-02') c;
SELECT pg_temp.span(c) AS ts_newer_tstz FROM show_chunks('readings', newer_than => timestamptz '2024-03-02 00:00+00') c;
SELECT pg_temp.span(c) AS ts_newer_date FROM show_chunks('readings', newer_than => date '2024-03-03') c;
CREATE TABLE daily(day date NOT NULL, v int);
SELECT count(*) FROM create_hypertable('daily', 'day', chunk_time_interval => interval '7 days');
INSERT INTO daily SELECT d, 1 FROM pg_catalog.generate_series(date '2024-01-01', date '2024-01-31', interval '1 day') d;
SELECT pg_temp.span(c) AS date_chunks FROM show_chunks('daily') c;
SELECT pg_temp.span(c) AS date_older FROM show_chunks('daily', older_than => date '2024-01-18') c;
SELECT pg_temp.span(c) AS date_newer_ts FROM show_chunks('daily', newer_than => timestamp '2024-01-18') c;

-- An integer hypertable: bounds are integers of any width (or untyped literals).
CREATE TABLE events(t int NOT NULL, v int);
SELECT count(*) FROM create_hypertable('events', 't', chunk_time_interval => 10);
INSERT INTO events SELECT i, i FROM pg_catalog.generate_series(0, 45, 5) i;
SELECT pg_temp.span(c) AS int_chunks FROM show_chunks('events') c;
SELECT pg_temp.span(c) AS older_than_20 FROM show_chunks('events', older_than => 20) c;
SELECT pg_temp.span(c) AS older_than_25 FROM show_chunks('events', older_than => 25::smallint) c;
SELECT pg_temp.span(c) AS newer_than_30 FROM show_chunks('events', newer_than => 30::bigint) c;
SELECT pg_temp.span(c) AS literal FROM show_chunks('events', newer_than => '40') c;
SELECT count(*) AS int_created_before_now FROM show_chunks('events', created_before => now());

-- Errors of show_chunks: not a hypertable (42809), NULL (22004), argument types (42804),
-- unreadable literals (the input function's error).
CREATE TABLE plain(time timestamptz, v int);
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT show_chunks('plain')$$),
  ($$SELECT show_chunks(NULL)$$),
  ($$SELECT show_chunks('conditions', older_than => 10)$$),
  ($$SELECT show_chunks('conditions', newer_than => 'x'::text)$$),
  ($$SELECT show_chunks('conditions', older_than => 'not a time')$$),
  ($$SELECT show_chunks('events', older_than => interval '1 day')$$),
  ($$SELECT show_chunks('events', newer_than => now())$$),
  ($$SELECT show_chunks('events', older_than => 1.5)$$),
  ($$SELECT show_chunks('conditions', created_before => 5)$$)
) v(q);

-- Sizes: the hypertable's table plus every chunk; each split into table, index and TOAST.
CREATE INDEX ON conditions (device, time);
SELECT count(*) AS chunks,
       bool_and(table_bytes > 0 AND index_bytes > 0 AND toast_bytes >= 0) AS all_positive,
       bool_and(total_bytes = table_bytes + index_bytes + toast_bytes) AS parts_add_up,
       bool_and(node_name IS NULL) AS no_node
  FROM chunks_detailed_size('conditions');
SELECT d.total_bytes = d.table_bytes + d.index_bytes + d.toast_bytes AS parts_add_up,
       d.total_bytes = pg_catalog.pg_total_relation_size('conditions')
                       + (SELECT sum(total_bytes) FROM chunks_detailed_size('conditions')) AS parent_plus_chunks,
       d.index_bytes = pg_catalog.pg_indexes_size('conditions')
                       + (SELECT sum(index_bytes) FROM chunks_detailed_size('conditions')) AS indexes,
       hypertable_size('conditions') = d.total_bytes AS size_is_total,
       d.node_name IS NULL AS no_node
  FROM hypertable_detailed_size('conditions') d;
SELECT chunk_schema, pg_temp.span(pg_catalog.format('%I.%I', chunk_schema, chunk_name)::regclass)
  FROM chunks_detailed_size('conditions');
-- Not a hypertable: no row, NULL size (as TimescaleDB).
SELECT count(*) AS plain_rows FROM hypertable_detailed_size('plain');
SELECT hypertable_size('plain') IS NULL AS plain_size_null, count(*) AS plain_chunks FROM chunks_detailed_size('plain');
SELECT hypertable_size(NULL) IS NULL AS null_size;

-- approximate_row_count: reltuples summed over the table and its chunks; -1 (never analyzed)
-- counts as 0.
SELECT approximate_row_count('conditions') AS before_analyze;
DO $$
DECLARE c regclass;
BEGIN
  FOR c IN SELECT show_chunks('conditions') LOOP
    EXECUTE pg_catalog.format('ANALYZE %s', c);
  END LOOP;
END $$;
SELECT approximate_row_count('conditions') AS after_analyze, (SELECT count(*) FROM conditions) AS actual;
INSERT INTO plain SELECT now(), i FROM pg_catalog.generate_series(1, 100) i;
SELECT approximate_row_count('plain') AS plain_before;
ANALYZE plain;
SELECT approximate_row_count('plain') AS plain_after;
CREATE TABLE plain_child() INHERITS (plain);
INSERT INTO plain_child SELECT now(), i FROM pg_catalog.generate_series(1, 50) i;
ANALYZE plain_child;
SELECT approximate_row_count('plain') AS with_child;

-- drop_chunks: returns the dropped chunks; the tables, their rows and their catalog rows go.
SELECT pg_temp.span(c) AS to_drop FROM show_chunks('conditions', older_than => timestamptz '2024-01-03') c;
CREATE TEMP TABLE dropped AS
  SELECT drop_chunks('conditions', older_than => timestamptz '2024-01-03') AS name;
SELECT count(*) AS dropped, bool_and(pg_catalog.to_regclass(name) IS NULL) AS tables_gone FROM dropped;
SELECT count(*) AS catalog_rows_left
  FROM dropped d JOIN _strata_catalog.chunk k ON pg_catalog.format('%I.%I', k.schema_name, k.table_name) = d.name;
SELECT pg_temp.span(c) AS remaining FROM show_chunks('conditions') c;
SELECT pg_catalog.min(time), pg_catalog.count(*) FROM conditions;
-- newer_than, positional arguments, verbose (INFO per chunk).
SELECT count(*) AS dropped_newest FROM drop_chunks('conditions', NULL, timestamptz '2024-01-05');
SELECT count(*) AS verbose_drop FROM drop_chunks('conditions', older_than => timestamptz '2024-01-04', verbose => true);
SELECT pg_temp.span(c) AS remaining FROM show_chunks('conditions') c;
-- Nothing matches: nothing dropped.
SELECT count(*) AS none FROM drop_chunks('conditions', older_than => timestamptz '2000-01-01');
-- Integer, date, interval and creation-time bounds.
SELECT count(*) AS int_dropped FROM drop_chunks('events', older_than => 20);
SELECT pg_temp.span(c) AS events_left FROM show_chunks('events') c;
SELECT count(*) AS date_dropped FROM drop_chunks('daily', newer_than => date '2024-01-25');
SELECT pg_catalog.max(day) AS daily_max FROM daily;
SELECT count(*) AS interval_dropped FROM drop_chunks('recent', older_than => interval '5 days');
SELECT count(*) AS recent_rows FROM recent;
SELECT count(*) AS created_dropped FROM drop_chunks('events', created_before => now() + interval '1 minute');
SELECT count(*) AS events_rows FROM events;
-- New rows in a dropped range create a new chunk.
INSERT INTO conditions VALUES ('2024-01-01 05:00', 2, 21);
SELECT pg_temp.span(c) AS recreated FROM show_chunks('conditions', older_than => timestamptz '2024-01-02') c;

-- Errors of drop_chunks: no bound (22023), not a hypertable (42809), argument types (42804),
-- not the owner (42501).
CREATE ROLE chunk_functions_other;
GRANT ALL ON conditions TO chunk_functions_other;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT drop_chunks('conditions')$$),
  ($$SELECT drop_chunks('conditions', verbose => true)$$),
  ($$SELECT drop_chunks('plain', older_than => now())$$),
  ($$SELECT drop_chunks('conditions', older_than => 5)$$),
  ($$SELECT drop_chunks('events', older_than => interval '1 day')$$),
  ($$SET ROLE chunk_functions_other; SELECT drop_chunks('conditions', older_than => timestamptz 'infinity')$$)
) v(q);
RESET ROLE;
SELECT count(*) AS still_there FROM show_chunks('conditions');
-- Reading functions need no ownership.
SET ROLE chunk_functions_other;
SELECT count(*) AS other_sees_chunks, hypertable_size('conditions') > 0 AS other_sees_size,
       approximate_row_count('conditions') >= 0 AS other_sees_rows
  FROM show_chunks('conditions');
RESET ROLE;

-- set_integer_now_func: integer time columns only; the function returns the column's type,
-- takes no arguments and is not VOLATILE.
CREATE FUNCTION events_now() RETURNS int LANGUAGE sql STABLE AS 'SELECT 100';
CREATE FUNCTION events_now_other() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 200';
CREATE FUNCTION events_now_bigint() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 100::bigint';
CREATE FUNCTION events_now_volatile() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 100';
CREATE FUNCTION events_now_args(x int) RETURNS int LANGUAGE sql STABLE AS 'SELECT x';
CREATE FUNCTION events_now_set() RETURNS SETOF int LANGUAGE sql STABLE AS 'SELECT 100';
SELECT set_integer_now_func('events', 'events_now');
SELECT d.integer_now_func_schema, d.integer_now_func
  FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'events';
SELECT set_integer_now_func('events', 'events_now_other', replace_if_exists => true);
SELECT d.integer_now_func
  FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'events';
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT set_integer_now_func('events', 'events_now')$$),
  ($$SELECT set_integer_now_func('events', 'events_now', false)$$),
  ($$SELECT set_integer_now_func('events', 'events_now_bigint', true)$$),
  ($$SELECT set_integer_now_func('events', 'events_now_volatile', true)$$),
  ($$SELECT set_integer_now_func('events', 'events_now_args', true)$$),
  ($$SELECT set_integer_now_func('events', 'events_now_set', true)$$),
  ($$SELECT set_integer_now_func('events', NULL, true)$$),
  ($$SELECT set_integer_now_func('conditions', 'now')$$),
  ($$SELECT set_integer_now_func('plain', 'events_now')$$),
  ($$SELECT set_integer_now_func('events', 'no_such_function')$$),
  ($$SET ROLE chunk_functions_other; SELECT set_integer_now_func('events', 'events_now', true)$$)
) v(q);
RESET ROLE;

-- set_chunk_time_interval: new chunks use the new interval, existing ones keep theirs.
SELECT set_chunk_time_interval('conditions', interval '2 days');
SELECT d.interval_length FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name = 'conditions';
INSERT INTO conditions VALUES ('2024-02-10 12:00', 3, 22);
SELECT pg_temp.span(c) AS after_change FROM show_chunks('conditions') c;
SELECT set_chunk_time_interval('conditions', interval '6 hours', 'time');
SELECT set_chunk_time_interval('conditions', interval '1 month');
SELECT set_chunk_time_interval('conditions', 3600000000::bigint);
SELECT set_chunk_time_interval('events', 25);
SELECT set_chunk_time_interval('events', '50'::text);
SELECT h.table_name, d.interval_length FROM _strata_catalog.dimension d JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id
 WHERE h.table_name IN ('conditions', 'events') ORDER BY 1;
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT set_chunk_time_interval('conditions', interval '0 days')$$),
  ($$SELECT set_chunk_time_interval('conditions', interval '-1 day')$$),
  ($$SELECT set_chunk_time_interval('conditions', interval '500 milliseconds')$$),
  ($$SELECT set_chunk_time_interval('conditions', 999999)$$),
  ($$SELECT set_chunk_time_interval('daily', interval '12 hours')$$),
  ($$SELECT set_chunk_time_interval('events', interval '1 day')$$),
  ($$SELECT set_chunk_time_interval('events', 0)$$),
  ($$SELECT set_chunk_time_interval('events', -5::bigint)$$),
  ($$SELECT set_chunk_time_interval('conditions', 1.5)$$),
  ($$SELECT set_chunk_time_interval('conditions', NULL::interval)$$),
  ($$SELECT set_chunk_time_interval('conditions', interval '1 day', 'device')$$),
  ($$SELECT set_chunk_time_interval('plain', interval '1 day')$$),
  ($$SET ROLE chunk_functions_other; SELECT set_chunk_time_interval('conditions', interval '1 day')$$)
) v(q);
RESET ROLE;

DROP OWNED BY chunk_functions_other;
DROP ROLE chunk_functions_other;
