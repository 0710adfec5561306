-- hypertable_index_size: an index of a hypertable and the chunk indexes that implement it.
CREATE TABLE conditions (time timestamptz NOT NULL, device integer, temp double precision);
SELECT * FROM create_hypertable('conditions', by_range('time', INTERVAL '1 day'));
CREATE INDEX conditions_device_time ON conditions (device, time DESC);
INSERT INTO conditions
SELECT '2024-01-01'::timestamptz + i * interval '1 minute', i % 50, i FROM generate_series(1, 20000) i;
CREATE TABLE plain (x integer);
CREATE INDEX plain_x ON plain (x);

-- The same sum computed from PostgreSQL's catalog: the index on the parent and the indexes of its
-- inheritance children on the same columns.
CREATE FUNCTION expected_index_size(idx regclass) RETURNS bigint LANGUAGE sql AS $$
  SELECT pg_total_relation_size(idx) + sum(pg_total_relation_size(ci.indexrelid))::bigint
    FROM pg_index pi
    JOIN pg_inherits inh ON inh.inhparent = pi.indrelid
    JOIN pg_index ci ON ci.indrelid = inh.inhrelid AND ci.indkey::text = pi.indkey::text
   WHERE pi.indexrelid = idx
$$;
SELECT hypertable_index_size('conditions_device_time') = expected_index_size('conditions_device_time') AS device_index,
       hypertable_index_size('conditions_time_idx') = expected_index_size('conditions_time_idx') AS time_index,
       hypertable_index_size('conditions_device_time') > 20 * 8192 AS covers_chunks;
SELECT hypertable_index_size('conditions_device_time') + hypertable_index_size('conditions_time_idx')
       = (SELECT sum(index_bytes) FROM chunks_detailed_size('conditions'))
         + pg_indexes_size('conditions') AS all_indexes;
-- Fewer chunks, smaller index.
SELECT hypertable_index_size('conditions_device_time') AS before \gset
SELECT count(*) FROM drop_chunks('conditions', older_than => '2024-01-10'::timestamptz);
SELECT hypertable_index_size('conditions_device_time') < :before AS smaller,
       hypertable_index_size('conditions_device_time') = expected_index_size('conditions_device_time') AS matches;
-- NULL for an index of a table that is not a hypertable, and for a relation that is not an index.
SELECT hypertable_index_size('plain_x') IS NULL AS plain_index, hypertable_index_size('plain') IS NULL AS not_index;
SELECT hypertable_index_size(NULL) IS NULL AS null_arg;
