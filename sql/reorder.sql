-- reorder_chunk, move_chunk and the reorder policy.
SET timezone = 'UTC';
\set VERBOSITY terse
CREATE TABLE m (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('m', 'time', chunk_time_interval => interval '1 day');
CREATE INDEX m_device_time ON m (device, time DESC);
-- Five daily chunks, rows inserted in an order unrelated to (device, time).
INSERT INTO m SELECT '2024-01-01'::timestamptz + ((g * 7919) % 7200) * interval '1 minute', (g * 31) % 17, g
  FROM generate_series(0, 7199) g;
SELECT count(*) AS chunks FROM show_chunks('m');

-- Is the chunk's heap in (device, time DESC) order?
CREATE FUNCTION in_device_order(c regclass) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  EXECUTE format('SELECT coalesce(bool_and(ordered), true) FROM (
                    SELECT (lag(device) OVER w < device) OR (lag(device) OVER w = device AND lag(time) OVER w >= time)
                           OR lag(device) OVER w IS NULL AS ordered
                      FROM %s WINDOW w AS (ORDER BY ctid)) x', c) INTO ok;
  RETURN ok;
END $$;

SELECT c AS first_chunk FROM show_chunks('m') c ORDER BY c LIMIT 1 \gset
SELECT in_device_order(:'first_chunk') AS ordered_before;
-- By the hypertable's index (mapped to the chunk's copy).
SELECT reorder_chunk(:'first_chunk', 'm_device_time');
SELECT in_device_order(:'first_chunk') AS ordered_after;
SELECT count(*) FROM m;
-- Without an index: the one the chunk was clustered on.
INSERT INTO m VALUES ('2024-01-01 00:00:30', 0, -1), ('2024-01-01 23:59', 16, -2);
SELECT in_device_order(:'first_chunk') AS ordered_after_inserts;
SELECT reorder_chunk(:'first_chunk');
SELECT in_device_order(:'first_chunk') AS ordered_again;

-- Errors.
SELECT reorder_chunk(NULL);
SELECT reorder_chunk('m');
SELECT c AS second_chunk FROM show_chunks('m') c ORDER BY c LIMIT 1 OFFSET 1 \gset
SELECT reorder_chunk(:'second_chunk');
CREATE TABLE other (x int);
CREATE INDEX other_x ON other (x);
SELECT reorder_chunk(:'second_chunk', 'other_x');
CREATE ROLE reorder_stranger;
SET ROLE reorder_stranger;
SELECT reorder_chunk(:'second_chunk', 'm_device_time');
RESET ROLE;

-- The policy: one chunk per run, oldest first, never the two newest ranges. (Its first scheduled
-- run is a day away: the runs are the test's CALLs, not the scheduler's.)
SELECT add_reorder_policy('m', 'm_device_time', initial_start => now() + interval '1 day') AS job \gset
SELECT schedule_interval, config FROM strata_information.jobs WHERE job_id = :job;
SELECT add_reorder_policy('m', 'm_device_time');
SELECT add_reorder_policy('m', 'm_device_time', if_not_exists => true);
SELECT add_reorder_policy('m', 'no_such_index');
SELECT add_reorder_policy('other', 'other_x');
CALL run_job(:job);
CALL run_job(:job);
CALL run_job(:job);
CALL run_job(:job);
SELECT c.relname AS chunk, in_device_order(c.oid) AS ordered,
       (SELECT bool_or(i.indisclustered) FROM pg_index i WHERE i.indrelid = c.oid) AS clustered
  FROM pg_class c WHERE c.oid IN (SELECT show_chunks('m')) ORDER BY c.relname;
SELECT remove_reorder_policy('m');
SELECT remove_reorder_policy('m');
SELECT remove_reorder_policy('m', if_exists => true);

-- move_chunk to an in-place tablespace, reordering on the way.
SET allow_in_place_tablespaces = true;
CREATE TABLESPACE reorder_ts LOCATION '';
SELECT c AS last_chunk FROM show_chunks('m') c ORDER BY c DESC LIMIT 1 \gset
SELECT move_chunk(:'last_chunk', 'reorder_ts', reorder_index => 'm_device_time');
SELECT (SELECT spcname FROM pg_tablespace WHERE oid = c.reltablespace) AS table_space,
       (SELECT array_agg(DISTINCT (SELECT spcname FROM pg_tablespace WHERE oid = ic.reltablespace))
          FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid) AS index_spaces,
       in_device_order(c.oid) AS ordered
  FROM pg_class c WHERE c.oid = :'last_chunk'::regclass;
SELECT count(*), sum(v) FROM m;
SELECT move_chunk(:'last_chunk', 'no_such_space');
SELECT move_chunk(:'last_chunk', 'pg_default');
-- A compressed chunk is refused (its rows are in batches).
ALTER TABLE m SET (timescaledb.compress);
SELECT compress_chunk(:'second_chunk') IS NOT NULL AS compressed;
SELECT reorder_chunk(:'second_chunk', 'm_device_time');
SELECT move_chunk(:'second_chunk', 'pg_default');
DROP TABLE m;
DROP TABLESPACE reorder_ts;
DROP ROLE reorder_stranger;
