-- first(), last() and histogram(): compared with plain SQL (DISTINCT ON, width_bucket) for every
-- common value and time type, NULLs, ties, and in parallel plans (partial aggregation, whose states
-- are serialized by the workers and combined by the leader).
SET timezone = 'UTC';

-- A permutation of 0..4999 so that time order is not insertion order; every time is distinct.
-- Some values are NULL, some times are NULL, and group -1 has only NULL times.
CREATE TYPE pair AS (a integer, b text);
CREATE TABLE typed AS
SELECT i, CASE WHEN i < 100 THEN -1 ELSE i % 20 END AS g, (i * 7919) % 5000 AS p
  FROM generate_series(0, 4999) i;
ALTER TABLE typed
  ADD COLUMN t_tz timestamptz, ADD COLUMN t_ts timestamp, ADD COLUMN t_date date,
  ADD COLUMN t_i2 smallint, ADD COLUMN t_i4 integer, ADD COLUMN t_i8 bigint,
  ADD COLUMN t_num numeric, ADD COLUMN t_f8 double precision, ADD COLUMN t_text text,
  ADD COLUMN t_iv interval;
UPDATE typed SET
  t_tz = '2024-01-01'::timestamptz + p * interval '1 second',
  t_ts = '2024-01-01'::timestamp + p * interval '1 minute',
  t_date = '2000-01-01'::date + p,
  t_i2 = p, t_i4 = p - 2500, t_i8 = p::bigint * 1000000000000, t_num = p / 7.0,
  t_f8 = p / 3.0, t_text = lpad(p::text, 6, '0'), t_iv = p * interval '1 hour'
 WHERE g <> -1 AND i % 13 <> 0;
ALTER TABLE typed
  ADD COLUMN v_i2 smallint, ADD COLUMN v_i4 integer, ADD COLUMN v_i8 bigint, ADD COLUMN v_f4 real,
  ADD COLUMN v_f8 double precision, ADD COLUMN v_num numeric, ADD COLUMN v_text text,
  ADD COLUMN v_varchar varchar(20), ADD COLUMN v_bool boolean, ADD COLUMN v_uuid uuid,
  ADD COLUMN v_jsonb jsonb, ADD COLUMN v_arr integer[], ADD COLUMN v_bytea bytea,
  ADD COLUMN v_tz timestamptz, ADD COLUMN v_date date, ADD COLUMN v_iv interval,
  ADD COLUMN v_inet inet, ADD COLUMN v_point point, ADD COLUMN v_pair pair;
UPDATE typed SET
  v_i2 = i, v_i4 = i * 3, v_i8 = i * 10000000000, v_f4 = i / 4.0, v_f8 = i / 3.0,
  v_num = i / 7.0, v_text = repeat('x', i % 5) || i, v_varchar = 'v' || i, v_bool = i % 3 = 0,
  v_uuid = md5(i::text)::uuid, v_jsonb = jsonb_build_object('i', i, 'a', ARRAY[i, i]),
  v_arr = ARRAY[i, i + 1, NULL], v_bytea = int4send(i), v_tz = '2020-01-01'::timestamptz + i * interval '1 day',
  v_date = '2020-01-01'::date + i, v_iv = i * interval '1 minute', v_inet = ('10.0.' || i % 256 || '.1')::inet,
  v_point = point(i, -i), v_pair = ROW(i, 'p' || i)::pair
 WHERE i % 17 <> 0;
ANALYZE typed;

-- Rows of (value column, time column) where first()/last() differ from the row found by
-- DISTINCT ON over the rows with a time (compared as text, so types without equality work too).
CREATE FUNCTION mismatches(val text, tim text, tab text = 'typed', grp text = 'g') RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format($q$
    SELECT count(*) FROM
      (SELECT %4$I AS g, first(%1$I, %2$I)::text AS f, last(%1$I, %2$I)::text AS l FROM %3$I GROUP BY 1) a
    FULL JOIN
      (SELECT f.g, f.v AS f, l.v AS l
         FROM (SELECT DISTINCT ON (%4$I) %4$I AS g, %1$I::text AS v FROM %3$I WHERE %2$I IS NOT NULL
                ORDER BY %4$I, %2$I) f
         JOIN (SELECT DISTINCT ON (%4$I) %4$I AS g, %1$I::text AS v FROM %3$I WHERE %2$I IS NOT NULL
                ORDER BY %4$I, %2$I DESC) l
           USING (g)) b
    USING (g)
    WHERE a.f IS DISTINCT FROM b.f OR a.l IS DISTINCT FROM b.l$q$, val, tim, tab, grp) INTO n;
  RETURN n;
END $$;

-- Every value type against a timestamptz time.
SELECT c.attname AS value_column, mismatches(c.attname, 't_tz') AS mismatches
  FROM pg_attribute c WHERE c.attrelid = 'typed'::regclass AND c.attname LIKE 'v\_%' ORDER BY c.attnum;
-- Every orderable time type, with a fixed-size and a variable-size value.
SELECT c.attname AS time_column, mismatches('v_i4', c.attname) AS int_value,
       mismatches('v_text', c.attname) AS text_value
  FROM pg_attribute c WHERE c.attrelid = 'typed'::regclass AND c.attname LIKE 't\_%' ORDER BY c.attnum;

-- NULL handling: a NULL time never wins; only-NULL times give NULL; a NULL value can win.
SELECT first(v, t), last(v, t) FROM (VALUES (1, NULL::int), (2, NULL)) x(v, t);
SELECT first(v, t), last(v, t) FROM (VALUES (1, NULL::int), (2, 5), (3, NULL), (4, 7), (5, NULL)) x(v, t);
SELECT first(v, t) IS NULL AS first_null, last(v, t) AS last
  FROM (VALUES (NULL::int, 1), (2, 5), (3, 7)) x(v, t);
SELECT first(v, t), last(v, t), histogram(v, 0, 10, 2) FROM (SELECT 1, 1 WHERE false) x(v, t);
SELECT first(v, t) FILTER (WHERE t IS NOT NULL), last(v, t) FILTER (WHERE v > 1)
  FROM (VALUES (1, 3), (2, 2), (3, 1)) x(v, t);

-- Ties: in a serial scan the row read first wins, for first() and last() alike.
SELECT first(v, t), last(v, t) FROM (VALUES ('a', 1), ('b', 1), ('c', 2), ('d', 2)) x(v, t);
-- As a window aggregate (running first/last).
SELECT v, first(v, t) OVER w, last(v, t) OVER w
  FROM (VALUES (1, 30), (2, 10), (3, 20)) x(v, t) WINDOW w AS (ORDER BY v);

-- Text times compare with the aggregate's collation.
SELECT first(v, t COLLATE "C") AS c_first, last(v, t COLLATE "C") AS c_last
  FROM (VALUES (1, 'a'), (2, 'B'), (3, 'b')) x(v, t);

-- histogram: the counts of width_bucket(value, min, max, nbuckets) for buckets 0 .. nbuckets + 1,
-- including values equal to min and max, below and above the range, infinities, and NULLs
-- (skipped).
CREATE TABLE hist_in AS
SELECT i % 7 AS g, CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 130) - 10 + (i % 3) * 0.5 END::float8 AS v
  FROM generate_series(1, 3000) i
UNION ALL VALUES (0, 0), (0, 100), (1, 'infinity'), (1, '-infinity'), (2, -0.0), (3, 99.99999);
CREATE FUNCTION histogram_mismatches(lo float8, hi float8, n integer) RETURNS bigint LANGUAGE sql AS $$
  WITH h AS (SELECT g, histogram(v, lo, hi, n) AS h FROM hist_in GROUP BY g),
       w AS (SELECT g, array_agg(c ORDER BY b) AS h
               FROM (SELECT gs.g, b.b, count(x.v)::integer AS c
                       FROM (SELECT DISTINCT g FROM hist_in) gs
                       CROSS JOIN generate_series(0, n + 1) b(b)
                       LEFT JOIN hist_in x ON x.g = gs.g AND width_bucket(x.v, lo, hi, n) = b.b
                      GROUP BY 1, 2) s
              GROUP BY g)
  SELECT count(*) FROM h FULL JOIN w USING (g) WHERE h.h IS DISTINCT FROM w.h
$$;
SELECT histogram_mismatches(0, 100, 10), histogram_mismatches(-5, 5, 1),
       histogram_mismatches(-1000, 1000, 3), histogram_mismatches(12.5, 13.5, 100);
SELECT histogram(v, 0, 100, 4) FROM hist_in WHERE g = 1;
SELECT g, histogram(v, 0, 10, 2) FROM (VALUES (1, 0.0::float8), (1, 5), (1, 9.999), (1, 10), (1, -1),
                                            (2, NULL)) x(g, v) GROUP BY g ORDER BY g;
-- Integer and numeric values are accepted (implicit casts to double precision).
SELECT histogram(i, 0, 10, 5), histogram(i::numeric, 0, 10, 5) FROM generate_series(0, 10) i;

-- Errors.
\set VERBOSITY terse
SELECT first(p, p) FROM (VALUES (point(1, 2))) x(p);
SELECT histogram(v, 0, 10, 0) FROM (VALUES (1.0::float8)) x(v);
SELECT histogram(v, 10, 0, 2) FROM (VALUES (1.0::float8)) x(v);
SELECT histogram(v, 5, 5, 2) FROM (VALUES (1.0::float8)) x(v);
SELECT histogram(v, 0, 10, 2) FROM (VALUES ('NaN'::float8)) x(v);
SELECT histogram(v, 0, 10, n) FROM (VALUES (1.0::float8, 2), (2.0, 3)) x(v, n);
\set VERBOSITY default

-- Parallel plans: partial aggregates in the workers, serialized, combined by the leader. The same
-- queries with and without parallelism over a hypertable must give the same answers.
CREATE TABLE readings (time timestamptz NOT NULL, device integer, temp double precision,
                       label text, tags integer[]);
SELECT * FROM create_hypertable('readings', by_range('time', INTERVAL '1 day'));
INSERT INTO readings
SELECT '2024-01-01'::timestamptz + ((i * 7919) % 100000) * interval '6 seconds', i % 25,
       CASE WHEN i % 101 = 0 THEN NULL ELSE (i % 1000) / 10.0 END,
       'label-' || i, ARRAY[i % 7, i % 11]
  FROM generate_series(0, 99999) i;
-- Rows with a NULL time cannot be in a hypertable; a plain table carries them.
CREATE TABLE readings_plain AS SELECT * FROM readings;
ALTER TABLE readings_plain ALTER COLUMN time DROP NOT NULL;
INSERT INTO readings_plain VALUES (NULL, 3, -500, 'no time', NULL), (NULL, 99, 1, 'lonely', NULL);
ANALYZE readings, readings_plain;

CREATE FUNCTION plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; out text = '';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP out := out || line || E'\n'; END LOOP;
  RETURN out;
END $$;

CREATE VIEW by_device AS
SELECT device, first(temp, time) AS first_temp, last(temp, time) AS last_temp,
       first(label, time) AS first_label, last(tags, time) AS last_tags,
       histogram(temp, 10, 90, 8) AS hist, count(*) AS n
  FROM readings GROUP BY device;
CREATE VIEW by_device_plain AS
SELECT device, first(temp, time) AS first_temp, last(temp, time) AS last_temp,
       first(label, time) AS first_label, last(tags, time) AS last_tags,
       histogram(temp, 10, 90, 8) AS hist, count(*) AS n
  FROM readings_plain GROUP BY device;
CREATE VIEW whole AS
SELECT first(label, time), last(label, time), histogram(temp, 0, 100, 10) FROM readings_plain;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_by_device AS SELECT * FROM by_device;
CREATE TEMP TABLE serial_by_device_plain AS SELECT * FROM by_device_plain;
CREATE TEMP TABLE serial_whole AS SELECT * FROM whole;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT plan_of('SELECT * FROM by_device') ~ 'Partial (Hash|Group)Aggregate' AS partial_agg,
       plan_of('SELECT * FROM by_device') ~ 'Parallel Append' AS parallel_append,
       plan_of('SELECT * FROM by_device_plain') ~ 'Partial (Hash|Group)Aggregate' AS partial_agg_plain,
       plan_of('SELECT * FROM whole') ~ 'Partial Aggregate' AS partial_agg_whole;
SELECT (SELECT count(*) FROM (SELECT * FROM by_device EXCEPT SELECT * FROM serial_by_device) d) AS diff,
       (SELECT count(*) FROM (SELECT * FROM serial_by_device EXCEPT SELECT * FROM by_device) d) AS diff2,
       (SELECT count(*) FROM (SELECT * FROM by_device_plain EXCEPT SELECT * FROM serial_by_device_plain) d) AS diff_plain,
       (SELECT count(*) FROM (SELECT * FROM whole EXCEPT SELECT * FROM serial_whole) d) AS diff_whole;
-- The parallel answers are also the plain-SQL ones.
SELECT mismatches('temp', 'time', 'readings', 'device') AS temp,
       mismatches('label', 'time', 'readings_plain', 'device') AS label,
       mismatches('tags', 'time', 'readings_plain', 'device') AS tags;
SELECT device, first_temp, last_temp, first_label, hist FROM by_device_plain
 WHERE device IN (3, 99) ORDER BY device;
-- Ties across workers: any of the tied rows, never another.
CREATE TABLE ties AS SELECT i % 4 AS g, i AS v, (i / 1000) AS t FROM generate_series(0, 99999) i;
ANALYZE ties;
SELECT plan_of('SELECT g, first(v, t), last(v, t) FROM ties GROUP BY g') ~ 'Partial' AS partial;
SELECT g, first(v, t) < 1000 AS first_is_tied, last(v, t) >= 99000 AS last_is_tied
  FROM ties GROUP BY g ORDER BY g;
-- force_parallel_mode puts the whole plan under a Gather: results are the same.
SET force_parallel_mode = on;
SELECT count(*) AS diff FROM (SELECT * FROM whole EXCEPT SELECT * FROM serial_whole) d;
RESET force_parallel_mode;
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

-- The aggregates are parallel safe and combinable in the catalog.
SELECT a.aggfnoid::regprocedure, a.aggcombinefn <> 0 AS combine, a.aggserialfn <> 0 AS serial,
       a.aggdeserialfn <> 0 AS deserial, p.proparallel
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
 WHERE a.aggfnoid::regproc::text IN ('first', 'last', 'histogram') ORDER BY a.aggfnoid::regprocedure::text;
