-- Space partitioning: hash dimensions (add_dimension in both forms, by_hash, create_hypertable's
-- partitioning_column, set_number_partitions) with their errors, routing of INSERT and COPY by
-- the partition hash, plan-time exclusion on the hashed column, chunk functions and views, and
-- the same answers as a plain table.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- The chunks a query's plan scans.
CREATE FUNCTION pg_temp.scanned(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  out text := '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line ~ '_hyper_' THEN
      out := out || substring(line FROM '_hyper_[0-9]+_[0-9]+_chunk') || ' ';
    END IF;
  END LOOP;
  RETURN out;
END $$;

CREATE FUNCTION pg_temp.plan_lines(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END $$;

-- ---- the partition hash: the type's extended hash (seed 0), lowest 31 bits
SELECT _strata_internal.get_partition_hash(42) = (hashint4extended(42, 0) & 2147483647)::int AS int_hash,
       _strata_internal.get_partition_hash('dev1'::text) = (hashtextextended('dev1', 0) & 2147483647)::int AS text_hash,
       _strata_internal.get_partition_hash(NULL::text) AS null_hash;
-- stable values (the same on every run and machine of this architecture)
SELECT _strata_internal.get_partition_hash(1) AS h1, _strata_internal.get_partition_hash('a'::text) AS ha,
       _strata_internal.get_partition_hash(10::bigint) AS h10;
SELECT pg_temp.err($$SELECT _strata_internal.get_partition_hash(point(1, 2))$$);

-- ---- by_hash
SELECT by_hash('device', 4);
SELECT pg_temp.err($$SELECT by_hash('device', 0)$$);
SELECT pg_temp.err($$SELECT by_hash('device', 32768)$$);
SELECT pg_temp.err($$SELECT by_hash('device', NULL)$$);
SELECT pg_temp.err($$SELECT by_hash('device', 4, 'hashtext'::regproc)$$);

-- ---- add_dimension, new form
CREATE TABLE readings (time timestamptz NOT NULL, device text, value float8);
SELECT * FROM create_hypertable('readings', by_range('time', INTERVAL '1 day'));
SELECT * FROM add_dimension('readings', by_hash('device', 4));
SELECT hypertable_name, dimension_number, column_name, column_type, dimension_type, time_interval,
       integer_interval, num_partitions
  FROM strata_information.dimensions WHERE hypertable_name = 'readings' ORDER BY dimension_number;
SELECT num_dimensions FROM strata_information.hypertables WHERE hypertable_name = 'readings';
-- errors
SELECT pg_temp.err($$SELECT add_dimension('readings', by_hash('device', 4))$$);
SELECT * FROM add_dimension('readings', by_hash('device', 4), if_not_exists => true);
SELECT * FROM add_dimension('readings', by_hash('time', 4), if_not_exists => true);
SELECT pg_temp.err($$SELECT add_dimension('readings', by_hash('time', 2))$$);
SELECT pg_temp.err($$SELECT add_dimension('readings', by_hash('nope', 2))$$);
SELECT pg_temp.err($$SELECT add_dimension('readings', by_hash('value', 2))$$);
SELECT pg_temp.err($$SELECT add_dimension('readings', by_range('value', 10))$$);
SELECT pg_temp.err($$SELECT add_dimension('pg_class', by_hash('relname', 2))$$);
SELECT pg_temp.err($$SELECT create_hypertable('pg_class', by_hash('relname', 2))$$);

-- ---- add_dimension, old form; refused on a hypertable with chunks
CREATE TABLE old_form (time timestamptz NOT NULL, device int, value float8);
SELECT create_hypertable('old_form', 'time', chunk_time_interval => INTERVAL '1 day');
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device')$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', 2, INTERVAL '1 day')$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', chunk_time_interval => 100)$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', 0)$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', 40000)$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'nope', 2)$$);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', 2, partitioning_func => 'hashint4'::regproc)$$);
INSERT INTO old_form VALUES ('2024-01-01', 1, 1);
SELECT pg_temp.err($$SELECT add_dimension('old_form', 'device', 2)$$);
SELECT count(*) FROM drop_chunks('old_form', older_than => '2100-01-01'::timestamptz);
SELECT * FROM add_dimension('old_form', 'device', 2);
SELECT * FROM add_dimension('old_form', 'device', 2, if_not_exists => true);
-- unique indexes must contain the hash column
CREATE TABLE uniq (time timestamptz NOT NULL, device int, UNIQUE (time));
SELECT create_hypertable('uniq', 'time');
SELECT pg_temp.err($$SELECT add_dimension('uniq', 'device', 2)$$);
-- one hash dimension per hypertable
ALTER TABLE old_form ADD COLUMN site int;
SELECT pg_temp.err($$SELECT add_dimension('old_form', by_hash('site', 2))$$);
-- not the owner
CREATE ROLE space_other;
SET ROLE space_other;
SELECT pg_temp.err($$SELECT add_dimension('old_form', by_hash('site', 2))$$);
SELECT pg_temp.err($$SELECT set_number_partitions('old_form', 3)$$);
RESET ROLE;

-- ---- create_hypertable with a partitioning column (old form)
CREATE TABLE created (time timestamptz NOT NULL, device int, value float8);
SELECT * FROM create_hypertable('created', 'time', 'device', 3, chunk_time_interval => INTERVAL '1 day');
SELECT column_name, dimension_type, num_partitions FROM strata_information.dimensions
 WHERE hypertable_name = 'created' ORDER BY dimension_number;
CREATE TABLE created2 (time timestamptz NOT NULL, device int);
SELECT pg_temp.err($$SELECT create_hypertable('created2', 'time', 'device')$$);
SELECT pg_temp.err($$SELECT create_hypertable('created2', 'time', number_partitions => 2)$$);
SELECT pg_temp.err($$SELECT create_hypertable('created2', 'time', 'device', 0)$$);
SELECT pg_temp.err($$SELECT create_hypertable('created2', 'time', 'nope', 2)$$);
-- (the failed calls left nothing behind)
SELECT count(*) FROM strata_information.hypertables WHERE hypertable_name = 'created2';

-- ---- set_number_partitions
SELECT set_number_partitions('created', 5);
SELECT num_partitions FROM strata_information.dimensions WHERE hypertable_name = 'created' AND dimension_type = 'Space';
SELECT set_number_partitions('created', 3, 'device');
SELECT pg_temp.err($$SELECT set_number_partitions('created', 0)$$);
SELECT pg_temp.err($$SELECT set_number_partitions('created', 3, 'time')$$);
SELECT pg_temp.err($$SELECT set_number_partitions('uniq', 3)$$);
SELECT pg_temp.err($$SELECT set_number_partitions('pg_class', 3)$$);

-- ---- routing: INSERT and COPY put each row into the chunk of its time range and hash slice
INSERT INTO readings
  SELECT t, 'dev' || d, d * 10 + extract(hour FROM t)
    FROM generate_series(timestamptz '2024-01-01', timestamptz '2024-01-03 23:00', INTERVAL '1 hour') t,
         generate_series(1, 8) d;
COPY readings FROM STDIN WITH (FORMAT csv);
2024-01-04 00:00:00+00,dev1,1
2024-01-04 00:00:00+00,dev2,2
2024-01-04 01:00:00+00,dev7,7
2024-01-04 02:00:00+00,,0
\.
-- every row is in a chunk whose slice holds its hash and whose range holds its time
SELECT count(*) AS rows,
       count(*) FILTER (WHERE _strata_internal.get_partition_hash(r.device) >= k.space_start
                          AND _strata_internal.get_partition_hash(r.device) < k.space_end) AS in_slice,
       count(*) FILTER (WHERE r.device IS NULL AND k.space_start = 0) AS null_in_first_slice
  FROM readings r
  JOIN pg_class c ON c.oid = r.tableoid
  JOIN _strata_catalog.chunk k ON k.table_name = c.relname;
-- chunks: 4 days x up to 4 slices; each slice a quarter of [0, 2^31)
SELECT k.range_start, k.space_start, k.space_end, count(r.*) AS rows
  FROM _strata_catalog.chunk k
  JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id AND h.table_name = 'readings'
  LEFT JOIN readings r ON r.tableoid = format('%I.%I', k.schema_name, k.table_name)::regclass
 GROUP BY 1, 2, 3 ORDER BY 1, 2;
-- rows per device land in exactly one chunk per day
SELECT device, count(DISTINCT tableoid) AS chunks, count(*) AS rows FROM readings GROUP BY device ORDER BY device;
-- a chunk's CHECK constraint on the partition hash
SELECT pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conname = '_strata_space' AND conrelid = (SELECT tableoid FROM readings WHERE device = 'dev1' LIMIT 1);
SELECT pg_temp.err(format('INSERT INTO %s VALUES (%L, %L, 0)',
                          (SELECT tableoid::regclass FROM readings WHERE device = 'dev1' LIMIT 1),
                          '2024-01-01 05:00', (SELECT device FROM readings r
                                                 WHERE r.tableoid <> (SELECT tableoid FROM readings WHERE device = 'dev1' LIMIT 1)
                                                   AND r.device IS NOT NULL LIMIT 1))) ~ '^23514' AS check_violation;
-- ON CONFLICT and RETURNING through the routed chunk
CREATE UNIQUE INDEX readings_dev_time ON readings (device, time);
INSERT INTO readings VALUES ('2024-01-01 00:00', 'dev1', -1) ON CONFLICT (device, time) DO UPDATE SET value = excluded.value
  RETURNING device, value, tableoid = (SELECT tableoid FROM readings WHERE device = 'dev1' AND time = '2024-01-01 00:00') AS same_chunk;
SELECT pg_temp.err($$CREATE UNIQUE INDEX ON readings (time)$$);

-- ---- exclusion at plan time on the hashed column
SELECT array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings$$)), ' '), 1) AS all_chunks,
       array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings WHERE device = 'dev1'$$)), ' '), 1) AS eq_chunks,
       array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings WHERE device IN ('dev1', 'dev2')$$)), ' '), 1) <= 8 AS in_chunks,
       array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings WHERE device = 'dev1' AND time >= '2024-01-02' AND time < '2024-01-03'$$)), ' '), 1) AS eq_day_chunks;
-- the chunk that holds dev1's rows of a day is the one scanned
SELECT trim(pg_temp.scanned($$SELECT * FROM readings WHERE device = 'dev1' AND time >= '2024-01-02' AND time < '2024-01-03'$$))
     = (SELECT DISTINCT c.relname::text FROM readings r JOIN pg_class c ON c.oid = r.tableoid
         WHERE device = 'dev1' AND time >= '2024-01-02' AND time < '2024-01-03') AS right_chunk;
EXPLAIN (COSTS OFF) SELECT * FROM readings WHERE device = 'dev3' AND time >= '2024-01-02' AND time < '2024-01-03';
EXPLAIN (COSTS OFF) SELECT * FROM readings WHERE device IN ('dev3', 'dev3') AND time >= '2024-01-02' AND time < '2024-01-03';
EXPLAIN (COSTS OFF) SELECT * FROM readings WHERE device = 'dev3' AND device = 'dev4' AND time >= '2024-01-02' AND time < '2024-01-03';
EXPLAIN (COSTS OFF) SELECT * FROM readings WHERE device = NULL;
-- a parameter: a custom plan excludes with its value
PREPARE by_device(text) AS SELECT count(*) FROM readings WHERE device = $1 AND time >= '2024-01-02' AND time < '2024-01-03';
EXPLAIN (COSTS OFF) EXECUTE by_device('dev3');
EXECUTE by_device('dev3');
-- not an equality of the hash family: no exclusion
SELECT array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings WHERE device > 'dev1' AND time >= '2024-01-02' AND time < '2024-01-03'$$)), ' '), 1) AS range_chunks,
       array_length(string_to_array(trim(pg_temp.scanned($$SELECT * FROM readings WHERE device LIKE 'dev1' AND time >= '2024-01-02' AND time < '2024-01-03'$$)), ' '), 1) AS like_chunks;
-- ordered by time: one device reads its chunks in time order (one slice per range); all devices merge
EXPLAIN (COSTS OFF) SELECT * FROM readings WHERE device = 'dev3' ORDER BY time DESC LIMIT 1;
SELECT time, device, value FROM readings WHERE device = 'dev3' ORDER BY time DESC LIMIT 1;
SELECT count(*) FILTER (WHERE p ~ 'Merge Append') AS merge_appends, count(*) FILTER (WHERE p ~ 'ChunkAppend') AS chunk_appends
  FROM (SELECT * FROM pg_temp.plan_lines($$SELECT * FROM readings ORDER BY time DESC LIMIT 3$$)) x(p);
SELECT time, device FROM readings ORDER BY time DESC, device LIMIT 3;

-- ---- the same answers as a plain table
CREATE TABLE plain AS SELECT * FROM readings;
SELECT q, (SELECT array_agg(x ORDER BY x) FROM (SELECT format('%s', r) AS x FROM readings r WHERE device = q) s)
        = (SELECT array_agg(x ORDER BY x) FROM (SELECT format('%s', r) AS x FROM plain r WHERE device = q) s) AS same
  FROM unnest(ARRAY['dev1', 'dev2', 'dev5', 'dev8', 'none']) q;
SELECT (SELECT array_agg(format('%s', r) ORDER BY time, device) FROM readings r WHERE device IN ('dev2', 'dev6') AND time < '2024-01-02 12:00')
     = (SELECT array_agg(format('%s', r) ORDER BY time, device) FROM plain r WHERE device IN ('dev2', 'dev6') AND time < '2024-01-02 12:00') AS same_in,
       (SELECT array_agg(format('%s %s %s', device, n, s) ORDER BY device) FROM (SELECT device, count(*) n, sum(value) s FROM readings GROUP BY device) x)
     = (SELECT array_agg(format('%s %s %s', device, n, s) ORDER BY device) FROM (SELECT device, count(*) n, sum(value) s FROM plain GROUP BY device) x) AS same_agg,
       (SELECT array_agg(format('%s', r) ORDER BY time DESC, device) FROM (SELECT * FROM readings ORDER BY time DESC, device LIMIT 20) r)
     = (SELECT array_agg(format('%s', r) ORDER BY time DESC, device) FROM (SELECT * FROM plain ORDER BY time DESC, device LIMIT 20) r) AS same_top;

-- ---- chunk functions and views
SELECT count(*) AS chunks FROM show_chunks('readings');
SELECT count(*) AS chunks_before_day2 FROM show_chunks('readings', older_than => '2024-01-02'::timestamptz);
SELECT hypertable_name, primary_dimension, range_start, count(*) AS chunks
  FROM strata_information.chunks WHERE hypertable_name = 'readings' GROUP BY 1, 2, 3 ORDER BY 3;
SELECT dimension_number, column_name, dimension_type, range_start, range_start_integer, range_end_integer, count(*)
  FROM strata_information.chunk_dimensions WHERE hypertable_name = 'readings'
 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 4, 5;
SELECT count(*) FROM drop_chunks('readings', older_than => '2024-01-02'::timestamptz);
SELECT count(*) AS chunks, (SELECT count(*) FROM readings WHERE time < '2024-01-02') AS old_rows FROM show_chunks('readings');
SELECT count(*) FROM chunks_detailed_size('readings');

-- ---- set_number_partitions: new time ranges use the new count; a range with chunks keeps theirs
SELECT set_number_partitions('readings', 2);
INSERT INTO readings SELECT '2024-01-10', 'dev' || d, d FROM generate_series(1, 8) d;
INSERT INTO readings SELECT '2024-01-03 12:30', 'new' || d, d FROM generate_series(1, 8) d;
INSERT INTO readings SELECT '2024-01-04 05:00', 'new' || d, d FROM generate_series(1, 8) d;
SELECT _strata_internal.to_timestamptz(k.range_start) AS range_start, k.space_start, k.space_end
  FROM _strata_catalog.chunk k JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id AND h.table_name = 'readings'
 WHERE k.range_start >= 1704240000000000
 ORDER BY 1, 2;
SELECT count(*) AS misplaced FROM readings r JOIN pg_class c ON c.oid = r.tableoid JOIN _strata_catalog.chunk k ON k.table_name = c.relname
 WHERE NOT (_strata_internal.get_partition_hash(r.device) >= k.space_start AND _strata_internal.get_partition_hash(r.device) < k.space_end);

-- ---- the columnstore and continuous aggregates on a space-partitioned hypertable
ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
SELECT count(*) FROM (SELECT compress_chunk(c) FROM show_chunks('readings', older_than => '2024-01-03'::timestamptz) c) s;
SELECT count(*), sum(value) FROM readings WHERE device = 'dev4' AND time < '2024-01-04';
SELECT count(*), sum(value) FROM plain WHERE device = 'dev4' AND time >= '2024-01-02' AND time < '2024-01-04';
SELECT count(*) FROM readings WHERE device IN ('dev4', 'new4');
CREATE MATERIALIZED VIEW readings_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time) AS day, device, count(*) AS n, max(value) AS top
    FROM readings GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('readings_daily', NULL, NULL);
SELECT day, device, n, top FROM readings_daily WHERE device IN ('dev1', 'new1') ORDER BY 1, 2;

-- ---- renaming the hash column follows in the catalog
ALTER TABLE created RENAME COLUMN device TO dev;
SELECT column_name FROM strata_information.dimensions WHERE hypertable_name = 'created' ORDER BY dimension_number;
INSERT INTO created VALUES ('2024-01-01', 1, 1), ('2024-01-01', 2, 2), ('2024-01-01', 3, 3);
SELECT count(*) AS rows, count(DISTINCT tableoid) AS chunks FROM created;
SELECT pg_temp.scanned($$SELECT * FROM created WHERE dev = 2$$)
     = (SELECT c.relname || ' ' FROM created r JOIN pg_class c ON c.oid = r.tableoid WHERE dev = 2) AS excluded;
-- dropping or retyping it is refused
SELECT pg_temp.err($$ALTER TABLE created DROP COLUMN dev$$);
SELECT pg_temp.err($$ALTER TABLE created ALTER COLUMN dev TYPE bigint$$);

-- ---- the chunk cache of a fresh session: a time range's chunks stay known after one of them is
-- looked up by relid (a lookup of one chunk must not forget the other slices of its range)
\c
SET TimeZone = 'UTC';
SELECT count(*) FROM readings WHERE time >= '2024-01-03' AND time < '2024-01-04';
SELECT _strata_internal.chunk_status(format('%I.%I', k.schema_name, k.table_name)::regclass) AS status
  FROM _strata_catalog.chunk k JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id AND h.table_name = 'readings'
 WHERE k.range_start = 1704240000000000 ORDER BY k.space_start LIMIT 1;
SELECT count(*) FROM readings WHERE time >= '2024-01-03' AND time < '2024-01-04';
SELECT device, count(*) FROM readings WHERE time >= '2024-01-03' AND time < '2024-01-04' AND device IN ('dev1', 'dev2', 'dev3', 'dev4')
 GROUP BY device ORDER BY device;
INSERT INTO readings VALUES ('2024-01-03 23:59', 'dev5', 0), ('2024-01-03 23:59', 'dev6', 0);
SELECT count(*) FROM readings WHERE time >= '2024-01-03' AND time < '2024-01-04';
