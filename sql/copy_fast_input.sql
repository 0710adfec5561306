-- COPY into a hypertable (rowstore, or one that may write compressed batches) converts fields of common types in
-- their plain forms without the types' input functions (strata.copy_fast_input,
-- src/ingest/copy_input.cpp): every value must equal what the input function gives, and every
-- other form must still reach the input function (same values, same errors).
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set copy_fast_input :tmpdir '/copy_fast_input.csv'
SET TimeZone = 'America/New_York';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cfi;
SET search_path = cfi, public;

-- Raw fields: each line a float8, an int2, an int4, an int8, a timestamptz, a timestamp, a text.
CREATE TABLE raw (n int, f text, i2 text, i4 text, i8 text, tz text, ts text, t text);
INSERT INTO raw VALUES
  (1, '0.1', '1', '1', '1', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00', 'a'),
  (2, '-0', '-0', '-0', '-0', '2026-01-01T12:34:56.5+05:30', '2026-01-01T12:34:56.5', ''),
  (3, '-0.0', '+7', '+7', '+7', '2026-03-08 02:30:00-08', '2026-03-08 02:30:00', 'x y'),
  (4, '123456789012345', '9999', '999999999', '999999999999999999', '2024-02-29 23:59:59.123456+00', '2024-02-29 23:59:59.123456', 'é'),
  (5, '1234567890123456', '32767', '2147483647', '9223372036854775807', '2024-02-29 23:59:59.1234567+00', '2024-02-29 23:59:59.1234567', NULL),
  (6, '0.000000000000000000001', '-32768', '-2147483648', '-9223372036854775808', '2026-01-01 24:00:00+00', '2026-01-01 24:00:00', 'NULL'),
  (7, '1e10', '007', '007', '007', '2026-03-08 02:30:00', '2026-03-08 02:30:00+03', '\N'),
  (8, 'NaN', ' 5', ' 5', ' 5', '2026-07-01 12:00:00 Europe/Paris', '2026-07-01 12:00:00', ' lead'),
  (9, '.5', '5 ', '5 ', '5 ', '0999-01-01 00:00:00+00', '0999-01-01 00:00:00', 'trail '),
  (10, '5.', '12', '12', '12', '2026-01-01 00:00:00+15:59', '2026-01-01 00:00:00', 'q"q'),
  (11, '+3.25', '12', '12', '12', '2026-01-01 00:00:00-15', '2026-01-01 00:00:00', 'c,c'),
  (12, '0.30000000000000004', '12', '12', '12', '2026-12-31 23:59:59.999999-00:30', '2026-12-31 23:59:59.999999', 'z'),
  (13, '-99.9375', '12', '12', '12', '2026-01-01 00:00:00Z', '2026-01-01 00:00', 'z'),
  (14, '9007199254740993', '12', '12', '12', '2026-01-01 00:00:00.0+00', '2026-01-01', 'z'),
  (15, '00000000000000000000.25', '12', '12', '12', '1000-01-01 00:00:00+00', '9999-12-31 23:59:59', 'z'),
  (16, NULL, NULL, NULL, NULL, '2026-06-30 00:00:00+02', NULL, NULL);
COPY (SELECT f, i2, i4, i8, tz, ts, t FROM raw ORDER BY n) TO :'copy_fast_input' WITH (FORMAT csv);

CREATE TABLE plain (f float8, i2 int2, i4 int4, i8 int8, tz timestamptz NOT NULL, ts timestamp, t text);
COPY plain FROM :'copy_fast_input' WITH (FORMAT csv);
CREATE FUNCTION mk(name text, columnstore boolean DEFAULT true) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (f float8, i2 int2, i4 int4, i8 int8, tz timestamptz NOT NULL, ts timestamp, t text)', name);
  PERFORM create_hypertable(name, by_range('tz', interval '1000 years'));
  IF columnstore THEN
    EXECUTE format($f$ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = 't')$f$, name);
  END IF;
END $$;
SELECT mk('fast'), mk('slow'), mk('fast_row', false);
COPY fast FROM :'copy_fast_input' WITH (FORMAT csv);
COPY fast_row FROM :'copy_fast_input' WITH (FORMAT csv);
SET strata.copy_fast_input = off;
COPY slow FROM :'copy_fast_input' WITH (FORMAT csv);
RESET strata.copy_fast_input;
-- The same bytes in all four (float8send tells -0 from 0).
SELECT count(*) AS rows,
       count(*) FILTER (WHERE p IS NOT DISTINCT FROM fa AND p IS NOT DISTINCT FROM sl AND p IS NOT DISTINCT FROM fr) AS same
  FROM (SELECT row_number() OVER (ORDER BY tz, ts, i2, t, f) AS k,
               (float8send(f), i2, i4, i8, tz, ts, t)::text AS p FROM plain) a
  JOIN (SELECT row_number() OVER (ORDER BY tz, ts, i2, t, f) AS k,
               (float8send(f), i2, i4, i8, tz, ts, t)::text AS fa FROM fast) b USING (k)
  JOIN (SELECT row_number() OVER (ORDER BY tz, ts, i2, t, f) AS k,
               (float8send(f), i2, i4, i8, tz, ts, t)::text AS sl FROM slow) c USING (k)
  JOIN (SELECT row_number() OVER (ORDER BY tz, ts, i2, t, f) AS k,
               (float8send(f), i2, i4, i8, tz, ts, t)::text AS fr FROM fast_row) d USING (k);
SELECT float8send(f), i2, i4, i8, tz, ts, t FROM fast ORDER BY tz, ts, i2, t, f;

-- A column list (the others NULL), FORCE_NULL / FORCE_NOT_NULL, the text format, a header.
TRUNCATE plain, fast;
COPY (SELECT tz, f, t FROM raw WHERE n <= 4 ORDER BY n) TO :'copy_fast_input'
  WITH (FORMAT csv, HEADER, FORCE_QUOTE *);
COPY plain (tz, f, t) FROM :'copy_fast_input' WITH (FORMAT csv, HEADER, FORCE_NULL (t));
COPY fast (tz, f, t) FROM :'copy_fast_input' WITH (FORMAT csv, HEADER, FORCE_NULL (t));
COPY (SELECT tz, f, t FROM raw WHERE n IN (5, 16) ORDER BY n) TO :'copy_fast_input';
COPY plain (tz, f, t) FROM :'copy_fast_input';
COPY fast (tz, f, t) FROM :'copy_fast_input';
COPY (SELECT tz, NULL::text AS f, NULL::text AS t FROM raw WHERE n = 1) TO :'copy_fast_input' WITH (FORMAT csv);
COPY plain (tz, f, t) FROM :'copy_fast_input' WITH (FORMAT csv, FORCE_NOT_NULL (t));
COPY fast (tz, f, t) FROM :'copy_fast_input' WITH (FORMAT csv, FORCE_NOT_NULL (t));
SELECT (SELECT array_agg((float8send(f), i2, i4, i8, tz, ts, t)::text ORDER BY tz, f, t) FROM plain) =
       (SELECT array_agg((float8send(f), i2, i4, i8, tz, ts, t)::text ORDER BY tz, f, t) FROM fast) AS same;
SELECT float8send(f), tz, t, t IS NULL AS t_null FROM fast ORDER BY tz, f, t;

-- Errors are the input functions', with COPY's context (line and column).
COPY (SELECT '1.2.3' AS f, '1' AS i2, '1' AS i4, '1' AS i8, '2026-01-01 00:00:00+00' AS tz) TO :'copy_fast_input' WITH (FORMAT csv);
COPY fast (f, i2, i4, i8, tz) FROM :'copy_fast_input' WITH (FORMAT csv);
COPY (SELECT '1' AS f, '99999' AS i2, '1' AS i4, '1' AS i8, '2026-01-01 00:00:00+00' AS tz) TO :'copy_fast_input' WITH (FORMAT csv);
COPY fast (f, i2, i4, i8, tz) FROM :'copy_fast_input' WITH (FORMAT csv);
COPY (SELECT '1' AS f, '1' AS i2, '1' AS i4, '1' AS i8, '2023-02-29 00:00:00+00' AS tz) TO :'copy_fast_input' WITH (FORMAT csv);
COPY fast (f, i2, i4, i8, tz) FROM :'copy_fast_input' WITH (FORMAT csv);
COPY (SELECT '1' AS f, '1' AS i2, '1' AS i4, '1' AS i8, '2026-01-01 00:00:00+00' AS tz, 'x' AS extra) TO :'copy_fast_input' WITH (FORMAT csv);
COPY fast (f, i2, i4, i8, tz) FROM :'copy_fast_input' WITH (FORMAT csv);
COPY (SELECT '1' AS f, '1' AS i2) TO :'copy_fast_input' WITH (FORMAT csv);
COPY fast (f, i2, i4, i8, tz) FROM :'copy_fast_input' WITH (FORMAT csv);
SELECT count(*) FROM fast;

SET client_min_messages = warning;
DROP SCHEMA cfi CASCADE;
