-- BucketAggregate: GROUP BY time_bucket(const width, time) with min / max / count over the
-- bucket-ordered ChunkAppend, aggregated natively, heap chunks' time indexes read directly
-- (src/planner/bucket_agg.cpp). Every result is compared with strata.enable_bucket_agg off
-- (PostgreSQL's GroupAggregate over the same input).
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- Two days, five rows every 30 seconds, in 6-hour chunks; every type the node aggregates, with NULLs, NaN,
-- infinities and both zeros (max and min keep the later of two equal values: 0 and -0 show it).
CREATE TABLE m (time timestamptz NOT NULL, tag text, f8 float8, f4 float4, i2 int2, i4 int4,
                i8 int8, d date, ts timestamp, tz timestamptz, note text);
SELECT create_hypertable('m', 'time', chunk_time_interval => interval '6 hours') IS NOT NULL AS created;
INSERT INTO m
SELECT t, 'tag_' || (i % 7),
       CASE WHEN i % 13 = 0 THEN NULL WHEN i % 101 = 0 THEN 'NaN' WHEN i % 103 = 0 THEN '-Infinity'
            WHEN i % 17 = 0 THEN 0.0 WHEN i % 19 = 0 THEN -0.0 ELSE ((i * 37) % 1000) / 8.0 - 60 END,
       CASE WHEN i % 11 = 0 THEN NULL WHEN i % 97 = 0 THEN 'NaN' WHEN i % 23 = 0 THEN -0.0
            ELSE ((i * 41) % 999) / 4.0 END,
       CASE WHEN i % 9 = 0 THEN NULL ELSE (i * 7) % 30000 - 15000 END,
       CASE WHEN i % 5 = 0 THEN NULL ELSE (i * 7919) % 100000 - 50000 END,
       CASE WHEN i % 8 = 0 THEN NULL ELSE (i::int8 * 1000003) % 10000000000 END,
       CASE WHEN i % 6 = 0 THEN NULL ELSE date '2024-01-01' + (i * 13) % 400 END,
       CASE WHEN i % 7 = 0 THEN NULL ELSE timestamp '2020-01-01' + (i * 17 % 5000) * interval '1 minute' END,
       CASE WHEN i % 10 = 0 THEN NULL ELSE timestamptz '2021-01-01' + (i * 29 % 7000) * interval '1 minute' END,
       repeat('x', i % 40)
FROM generate_series(0, 28799) i, LATERAL (SELECT timestamptz '2024-03-01' + (i / 5) * interval '30 seconds' AS t) s;
CREATE INDEX ON m (time DESC);
VACUUM ANALYZE m;
SELECT count(*) AS chunks FROM show_chunks('m');

-- EXPLAIN with the chunks' names masked.
CREATE FUNCTION ba_explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE CASE WHEN q ~ '^ANALYZE '
                           THEN 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || substr(q, 9)
                           ELSE 'EXPLAIN (COSTS OFF) ' || q END LOOP
    RETURN NEXT regexp_replace(line, '_hyper_\d+_\d+_chunk', '_hyper_N_chunk', 'g');
  END LOOP;
END $$;

-- Runs q with the node on and off and says whether both returned the same rows, in order, and
-- whether the plan (on) used the node.
CREATE FUNCTION same_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  r record;
  on_rows text[] := '{}';
  off_rows text[] := '{}';
  plan text := 'other plan';
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF line ~ 'BucketAggregate' THEN plan := 'BucketAggregate'; END IF;
  END LOOP;
  FOR r IN EXECUTE q LOOP on_rows := on_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_bucket_agg', 'off', true);
  FOR r IN EXECUTE q LOOP off_rows := off_rows || r::text; END LOOP;
  PERFORM set_config('strata.enable_bucket_agg', 'on', true);
  RETURN CASE WHEN on_rows = off_rows THEN 'same rows' ELSE 'DIFFERENT ROWS' END || ', ' ||
         cardinality(on_rows) || ' rows, ' || plan;
END $$;

-- The newest buckets below a bound: BucketAggregate over the ordered ChunkAppend, no Result.
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS minute, max(f8) FROM m
  WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY minute ORDER BY minute DESC LIMIT 5$$);
SELECT time_bucket('1 minute', time) AS minute, max(f8) FROM m
WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY minute ORDER BY minute DESC LIMIT 5;
-- Off: PostgreSQL's GroupAggregate over a Result.
SET strata.enable_bucket_agg = off;
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS minute, max(f8) FROM m
  WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY minute ORDER BY minute DESC LIMIT 5$$);
RESET strata.enable_bucket_agg;
-- Not for this node (PostgreSQL's plan): HAVING, another aggregate, FILTER, DISTINCT, an
-- expression over an aggregate, a second group key, a month width, an origin.
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, max(f8) FROM m GROUP BY b HAVING max(f8) > 0 ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, sum(i4) FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, max(f8) FILTER (WHERE i4 > 0) FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, count(DISTINCT i4) FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, max(f8) + 1 FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 minute', time) AS b, tag, max(f8) FROM m GROUP BY b, tag ORDER BY b DESC, tag LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 month', time) AS b, max(f8) FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);
SELECT * FROM ba_explain($$SELECT time_bucket('1 hour', time, timestamptz '2024-01-01 00:20') AS b, max(f8) FROM m GROUP BY b ORDER BY b DESC LIMIT 2$$);

SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8) FROM m WHERE time < timestamptz ''2024-03-02 17:30:25'' GROUP BY b ORDER BY b DESC LIMIT 5'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8), min(f8), count(*), count(f8) FROM m GROUP BY b ORDER BY b DESC'),
  ('SELECT time_bucket(''7 minutes'', time) AS b, max(f4), min(f4), max(i2), min(i2), count(i2) FROM m GROUP BY b ORDER BY b'),
  ('SELECT time_bucket(''13 minutes'', time) AS b, max(i4), min(i4), max(i8), min(i8), count(i8) FROM m GROUP BY b ORDER BY b DESC LIMIT 50'),
  ('SELECT time_bucket(''1 hour'', time) AS b, max(d), min(d), max(ts), min(ts), max(tz), min(tz), count(tz) FROM m GROUP BY b ORDER BY b'),
  ('SELECT count(*), max(f8), time_bucket(''90 seconds'', time) AS b FROM m WHERE time >= timestamptz ''2024-03-01 05:00'' AND time < timestamptz ''2024-03-01 07:00'' GROUP BY b ORDER BY b DESC'),
  ('SELECT time_bucket(''1 day'', time) AS b, min(f8), max(f8), count(*) FROM m GROUP BY b ORDER BY b DESC'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8) FROM m WHERE time < now() GROUP BY b ORDER BY b DESC LIMIT 7'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8) FROM m WHERE time > timestamptz ''2025-01-01'' GROUP BY b ORDER BY b DESC LIMIT 7'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8) FROM m WHERE tag = ''tag_3'' GROUP BY b ORDER BY b DESC LIMIT 7')
) AS t(q);

-- Ties: max and min keep the later of two equal values (0 and -0 print differently), in both
-- reading orders.
CREATE TABLE z (time timestamptz NOT NULL, v float8, w float4);
SELECT create_hypertable('z', 'time', chunk_time_interval => interval '2 minutes') IS NOT NULL AS created;
INSERT INTO z SELECT timestamptz '2024-01-01' + k * interval '1 minute' + j * interval '10 seconds',
  (ARRAY[ARRAY['0', '-0', '0'], ARRAY['-0', '0', '-0'], ARRAY['NaN', '1', 'NaN'], ARRAY['-0', 'NaN', '0']]::float8[])[k % 4 + 1][j + 1],
  (ARRAY[ARRAY['-0', '0', '0'], ARRAY['0', '-0', '-0'], ARRAY['0', 'NaN', '-0'], ARRAY['0', '0', '-0']]::float4[])[k % 4 + 1][j + 1]
FROM generate_series(0, 7) k, generate_series(0, 2) j;
CREATE INDEX ON z (time DESC);
ANALYZE z;
SET enable_sort = off;  -- the table is small: keep to the ordered plan
SET enable_hashagg = off;
SELECT time_bucket('1 minute', time) AS b, max(v), min(v), max(w), min(w) FROM z GROUP BY b ORDER BY b DESC LIMIT 4;
SELECT time_bucket('1 minute', time) AS b, max(v), min(v), max(w), min(w) FROM z GROUP BY b ORDER BY b LIMIT 4;
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 minute'', time) AS b, max(v), min(v), max(w), min(w) FROM z GROUP BY b ORDER BY b DESC LIMIT 8'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(v), min(v), max(w), min(w) FROM z GROUP BY b ORDER BY b LIMIT 8')
) AS t(q);
RESET enable_sort;
RESET enable_hashagg;

-- Rows changed since the last VACUUM: pages no longer all-visible, HOT chains, deleted rows,
-- rows of other transactions' snapshots.
UPDATE m SET f8 = f8 + 1000 WHERE time >= timestamptz '2024-03-02 17:20' AND time < timestamptz '2024-03-02 17:28' AND tag IN ('tag_1', 'tag_2');
DELETE FROM m WHERE time >= timestamptz '2024-03-02 17:24' AND time < timestamptz '2024-03-02 17:26' AND tag = 'tag_4';
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 minute'', time) AS b, max(f8), count(*) FROM m WHERE time < timestamptz ''2024-03-02 17:30:25'' GROUP BY b ORDER BY b DESC LIMIT 12')
) AS t(q);
SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY b ORDER BY b DESC LIMIT 12;
-- Serializable: through heap_hot_search_buffer (predicate locks), same rows.
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY b ORDER BY b DESC LIMIT 12;
COMMIT;
-- Rows written after the statement's snapshot are not seen (a cursor keeps its snapshot).
BEGIN;
DECLARE c CURSOR FOR SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
  WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY b ORDER BY b DESC;
FETCH 2 FROM c;
INSERT INTO m (time, f8) SELECT timestamptz '2024-03-02 17:10:00' + i * interval '1 second', 5000 FROM generate_series(1, 50) i;
FETCH 20 FROM c;
CLOSE c;
ROLLBACK;

-- Columns dropped and added (attribute numbers of chunks differ, values missing from old rows).
ALTER TABLE m DROP COLUMN tag;
ALTER TABLE m ADD COLUMN extra int4 DEFAULT 7;
INSERT INTO m (time, f8, extra) SELECT timestamptz '2024-03-03' + i * interval '45 seconds', i % 50, i % 3
  FROM generate_series(0, 999) i;
VACUUM ANALYZE m;
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''10 minutes'', time) AS b, max(f8), min(extra), max(extra), count(extra) FROM m GROUP BY b ORDER BY b DESC'),
  ('SELECT time_bucket(''10 minutes'', time) AS b, max(f8), max(extra) FROM m WHERE time < timestamptz ''2024-03-03 03:00'' GROUP BY b ORDER BY b DESC LIMIT 30')
) AS t(q);

-- Parameters: a generic plan, and rescans of a LATERAL subquery (the index scans' run-time keys).
SET plan_cache_mode = force_generic_plan;
PREPARE p(timestamptz) AS SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
  WHERE time < $1 GROUP BY b ORDER BY b DESC LIMIT 3;
EXECUTE p('2024-03-01 12:00:30');
EXECUTE p('2024-03-02 23:59:59');
RESET plan_cache_mode;
SELECT x, s.* FROM (VALUES (timestamptz '2024-03-01 06:00:10'), ('2024-03-02 00:00:00'), ('2024-03-03 00:10:00')) v(x),
  LATERAL (SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
           WHERE time < v.x GROUP BY b ORDER BY b DESC LIMIT 2) s;
SET strata.enable_bucket_agg = off;
SELECT x, s.* FROM (VALUES (timestamptz '2024-03-01 06:00:10'), ('2024-03-02 00:00:00'), ('2024-03-03 00:10:00')) v(x),
  LATERAL (SELECT time_bucket('1 minute', time) AS b, max(f8), count(*) FROM m
           WHERE time < v.x GROUP BY b ORDER BY b DESC LIMIT 2) s;
RESET strata.enable_bucket_agg;

-- Timestamps without time zone, and a compressed chunk (read through its own node).
CREATE TABLE n (time timestamp NOT NULL, host text, v float8);
SELECT create_hypertable('n', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO n SELECT timestamp '2024-05-01' + i * interval '1 minute', 'h' || (i % 3), (i * 7) % 101
  FROM generate_series(0, 4319) i;
CREATE INDEX ON n (time DESC);
ALTER TABLE n SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time DESC');
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('n') c ORDER BY 1 LIMIT 1) s;
ANALYZE n;
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 hour'', time) AS b, max(v), min(v), count(*) FROM n GROUP BY b ORDER BY b DESC'),
  ('SELECT time_bucket(''1 hour'', time) AS b, max(v), count(v) FROM n WHERE time < timestamp ''2024-05-02 03:00'' GROUP BY b ORDER BY b DESC LIMIT 6')
) AS t(q);

-- A plain table with an index on the bucket itself: the index scan read directly (forward and
-- backward), rows without a time in a NULL group.
CREATE TABLE pt (time timestamptz, v float8);
INSERT INTO pt SELECT CASE WHEN i % 50 = 0 THEN NULL ELSE timestamptz '2024-01-01' + i * interval '7 seconds' END, i
  FROM generate_series(0, 20000) i;
CREATE INDEX ON pt (time_bucket('1 minute', time));
VACUUM ANALYZE pt;
SET enable_seqscan = off;
SET enable_sort = off;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT time_bucket('1 minute', time) AS b, max(v), count(*) FROM pt GROUP BY b ORDER BY b DESC LIMIT 3;
SELECT time_bucket('1 minute', time) AS b, max(v), count(*) FROM pt GROUP BY b ORDER BY b DESC LIMIT 3;
SELECT q, same_rows(q) FROM (VALUES
  ('SELECT time_bucket(''1 minute'', time) AS b, max(v), min(v), count(*), count(time) FROM pt GROUP BY b ORDER BY b'),
  ('SELECT time_bucket(''1 minute'', time) AS b, max(v), count(*) FROM pt GROUP BY b ORDER BY b DESC LIMIT 3')
) AS t(q);
RESET enable_seqscan;
RESET enable_sort;
RESET enable_hashagg;

-- EXPLAIN ANALYZE reads the children through their nodes (their counters are right).
SELECT * FROM ba_explain($$ANALYZE SELECT time_bucket('1 minute', time) AS minute, max(f8) FROM m
  WHERE time < timestamptz '2024-03-02 17:30:25' GROUP BY minute ORDER BY minute DESC LIMIT 5$$);
