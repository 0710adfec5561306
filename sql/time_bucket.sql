-- time_bucket: TimescaleDB documentation examples, origins, offsets, months, time zones and DST,
-- integers, infinities, NULLs, overflow and invalid arguments (with their SQLSTATEs).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- Reports the SQLSTATE and message of the error a statement raises.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- The functions, their volatility, strictness and parallel safety.
SELECT pg_catalog.pg_get_function_identity_arguments(p.oid) AS args,
       p.prorettype::regtype AS returns, p.provolatile, p.proisstrict, p.proparallel
  FROM pg_catalog.pg_proc p
 WHERE p.proname = 'time_bucket'
 ORDER BY 1;

-- Documentation examples: 5-minute buckets, centred buckets via an offset, weekly buckets that
-- start on Monday (the default origin 2000-01-03) or on Sunday (an explicit origin).
CREATE TABLE metrics(time timestamptz, cpu double precision);
INSERT INTO metrics VALUES
  ('2020-01-01 12:00:00+00', 10), ('2020-01-01 12:02:29+00', 20), ('2020-01-01 12:02:30+00', 30),
  ('2020-01-01 12:04:59+00', 40), ('2020-01-01 12:05:00+00', 50), ('2020-01-01 12:07:30+00', 60),
  ('2020-01-01 12:11:00+00', 70);
SELECT time_bucket('5 minutes', time) AS five_min, avg(cpu)
  FROM metrics GROUP BY five_min ORDER BY five_min;
SELECT time_bucket('5 minutes', time, '-2.5 minutes'::interval) AS five_min, avg(cpu)
  FROM metrics GROUP BY five_min ORDER BY five_min;
SELECT time_bucket('5 minutes', time) + '2.5 minutes' AS five_min, avg(cpu)
  FROM metrics GROUP BY five_min ORDER BY five_min;
SELECT time_bucket('1 week', timestamptz '2020-01-01 12:00+00') AS monday,
       time_bucket('1 week', timestamptz '2020-01-01 12:00+00', timestamptz '2017-12-31') AS sunday,
       pg_catalog.to_char(time_bucket('1 week', timestamp '2024-06-15 10:00'), 'Dy YYYY-MM-DD') AS week_of;
SELECT time_bucket('2 hours', timestamp '2017-12-31 23:30') AS two_hours,
       time_bucket('1 day', timestamp '2017-12-31 23:30', timestamp '2017-12-31 06:00') AS day_from_6am,
       time_bucket('30 minutes', timestamp '2021-01-01 10:59:59.999999') AS half_hour,
       time_bucket('1 microsecond', timestamp '2021-01-01 10:59:59.999999') AS usec;
DROP TABLE metrics;

-- Sub-month widths: the default origin makes week buckets start on Mondays; buckets before the
-- origin and before 1970 are aligned the same way.
SELECT t, time_bucket('1 week', t) AS week, time_bucket('3 days', t) AS three_days,
       time_bucket('90 minutes', t) AS ninety_min
  FROM (VALUES (timestamp '2000-01-03 00:00'), (timestamp '2000-01-02 23:59:59'),
               (timestamp '1969-12-31 23:00'), (timestamp '1900-03-01 12:00'),
               (timestamp '0044-03-15 12:00 BC'), (timestamp '2262-04-11 23:47:16')) v(t);

-- A week bucket always starts on a Monday at midnight and holds the value.
SELECT count(*) AS checked,
       count(*) FILTER (WHERE pg_catalog.date_part('isodow', b) <> 1 OR b::time <> '00:00'
                        OR b > t OR t >= b + interval '7 days') AS wrong
  FROM (SELECT t, time_bucket('1 week', t) AS b
          FROM pg_catalog.generate_series(timestamp '1999-06-01', timestamp '2001-06-01', interval '5 hours 7 minutes') t) s;

-- Origins: any instant, before or after the value.
SELECT time_bucket('1 hour', timestamp '2021-06-01 10:15', timestamp '2000-01-01 00:30') AS before,
       time_bucket('1 hour', timestamp '2021-06-01 10:15', timestamp '2100-01-01 00:30') AS after,
       time_bucket('1 hour', timestamptz '2021-06-01 10:15+00', timestamptz '2021-06-01 10:15+00') AS same,
       time_bucket('10 days', date '2021-06-01', date '2021-05-01') AS date_origin;

-- Offsets, including offsets larger than the width and negative ones.
SELECT time_bucket('1 hour', timestamp '2021-06-01 10:15', interval '30 minutes') AS plus_30,
       time_bucket('1 hour', timestamp '2021-06-01 10:15', interval '-30 minutes') AS minus_30,
       time_bucket('1 hour', timestamp '2021-06-01 10:15', interval '2 hours 30 minutes') AS plus_150,
       time_bucket('1 day', timestamptz '2021-06-01 03:00+00', interval '6 hours') AS day_from_6,
       time_bucket('1 week', date '2021-06-01', interval '1 day') AS week_from_tuesday,
       time_bucket('1 month', date '2021-06-01', interval '14 days') AS month_from_15th,
       time_bucket('3 months', timestamp '2021-06-01', interval '1 month') AS quarter_from_feb;

-- Month and year widths are aligned to 2000-01-01 (the origin's month for an explicit origin;
-- its day is ignored, as in TimescaleDB).
SELECT d, time_bucket('1 month', d) AS month, time_bucket('3 months', d) AS quarter,
       time_bucket('1 year', d) AS year, time_bucket('5 months', d) AS five_months,
       time_bucket('10 years', d) AS decade
  FROM (VALUES (date '2024-02-29'), (date '2000-01-01'), (date '1999-12-31'),
               (date '2000-06-01'), (date '1995-05-31'), (date '0001-01-01 BC')) v(d);
SELECT time_bucket('1 month', timestamp '2024-02-29 23:59:59') AS ts,
       time_bucket('1 month', timestamptz '2024-02-29 23:59:59+00') AS tstz,
       time_bucket('1 month', timestamptz '2024-03-01 03:00+05') AS tstz_utc_month,
       time_bucket('3 months', timestamp '2024-04-30', timestamp '2000-02-01') AS quarter_from_feb,
       time_bucket('3 months', timestamp '2024-04-30', timestamp '2000-02-20 12:00') AS origin_day_ignored,
       time_bucket('1 year', date '2024-04-30', date '2030-07-01') AS year_from_july;
-- Month buckets agree with date_trunc for every day of several years.
SELECT count(*) AS checked,
       count(*) FILTER (WHERE time_bucket('1 month', d) <> pg_catalog.date_trunc('month', d)::date
                        OR time_bucket('1 year', d) <> pg_catalog.date_trunc('year', d)::date
                        OR time_bucket('3 months', d) <> pg_catalog.date_trunc('quarter', d)::date) AS wrong
  FROM pg_catalog.generate_series(date '1995-01-01', date '2005-12-31', interval '1 day') d;

-- Dates: whole-day widths.
SELECT time_bucket('1 week', date '2021-06-06') AS week, time_bucket('7 days', date '2021-06-07') AS week2,
       time_bucket('2 days', date '2000-01-02') AS two_days, time_bucket('24 hours', date '2021-06-06') AS hours24;

-- Time zones: buckets in the local time of the zone, whatever the session time zone; without a
-- zone, timestamptz values (and offsets) are bucketed in UTC.
SET TimeZone = 'Asia/Tokyo';
SELECT time_bucket('1 day', timestamptz '2020-11-02 20:31:05+00', 'Europe/Berlin') AS berlin_day,
       time_bucket('1 day', timestamptz '2020-11-02 20:31:05+00') AS utc_day,
       time_bucket('1 day', timestamptz '2020-11-02 20:31:05+00', interval '6 hours') AS utc_day_from_6,
       time_bucket('1 week', timestamptz '2024-06-16 23:30+00', 'Europe/Berlin') AS berlin_week,
       time_bucket('1 month', timestamptz '2024-03-01 03:00+00', 'America/New_York') AS ny_month;
SET TimeZone = 'UTC';
-- Spring forward (America/New_York, 2024-03-10 02:00 -> 03:00): day buckets start at local
-- midnight, hour buckets are real hours.
SELECT t, time_bucket('1 day', t, 'America/New_York') AS day,
       time_bucket('1 hour', t, 'America/New_York') AS hour,
       time_bucket('4 hours', t, 'America/New_York') AS four_hours
  FROM (VALUES (timestamptz '2024-03-10 01:59:59-05'), (timestamptz '2024-03-10 03:00-04'),
               (timestamptz '2024-03-10 12:00-04'), (timestamptz '2024-03-11 00:30-04')) v(t);
-- Fall back (2024-11-03 02:00 EDT -> 01:00 EST): the hour 01:00-02:00 happens twice; each
-- reading gets its own bucket, at or before the value.
SELECT t, time_bucket('1 day', t, 'America/New_York') AS day,
       time_bucket('1 hour', t, 'America/New_York') AS hour,
       time_bucket('30 minutes', t, 'America/New_York') AS half_hour
  FROM (VALUES (timestamptz '2024-11-03 00:59-04'), (timestamptz '2024-11-03 01:30-04'),
               (timestamptz '2024-11-03 01:45-04'), (timestamptz '2024-11-03 01:30-05'),
               (timestamptz '2024-11-03 02:10-05'), (timestamptz '2024-11-03 23:00-05')) v(t);
-- A bucket whose local start falls in the spring-forward gap starts at the end of the gap.
SELECT time_bucket('2 hours', timestamptz '2024-03-10 03:10-04', 'America/New_York',
                   origin => timestamptz '2024-03-10 00:15-05') AS gap_bucket,
       time_bucket('2 hours', timestamptz '2024-03-10 01:10-05', 'America/New_York',
                   origin => timestamptz '2024-03-10 00:15-05') AS before_gap;
-- Origins and offsets with a time zone (named and positional).
SELECT time_bucket('1 day', timestamptz '2024-06-01 03:00+00', 'Europe/Berlin', "offset" => '6 hours') AS day_from_6,
       time_bucket('1 day', timestamptz '2024-06-01 03:00+00', 'Europe/Berlin',
                   timestamptz '2000-01-01 12:00+01') AS day_from_noon,
       time_bucket('1 day', timestamptz '2024-06-01 03:00+00', 'Europe/Berlin', NULL, NULL) AS plain,
       time_bucket('1 month', timestamptz '2024-06-01 03:00+00', 'Europe/Berlin', "offset" => '14 days') AS month_from_15th,
       time_bucket('1 hour', timestamptz '2024-06-01 03:10+00', 'Asia/Kolkata') AS half_hour_zone;
-- Day and month buckets in a zone agree with date_trunc in that zone for every hour of a year
-- (both DST transitions) in several zones, one with a 30-minute DST shift.
SELECT z, count(*) AS checked,
       count(*) FILTER (WHERE time_bucket('1 day', t, z) <> pg_catalog.date_trunc('day', t, z)) AS wrong_day,
       count(*) FILTER (WHERE time_bucket('1 month', t, z) <> pg_catalog.date_trunc('month', t, z)) AS wrong_month,
       count(*) FILTER (WHERE time_bucket('1 week', t, z) <> pg_catalog.date_trunc('week', t, z)) AS wrong_week
  FROM (VALUES ('America/New_York'), ('Europe/Berlin'), ('Australia/Lord_Howe'), ('UTC')) zones(z),
       pg_catalog.generate_series(timestamptz '2024-01-01 00:00+00', timestamptz '2024-12-31 23:00+00', interval '1 hour') t
 GROUP BY z ORDER BY z;
-- Hour and 15-minute buckets, every 15 minutes of a year: the bucket starts at or before the
-- value, at the local hour (quarter) of the value. The only exceptions are values just after a
-- spring-forward gap whose local bucket start was skipped (Lord Howe skips 02:00-02:30 on
-- 2024-10-06): their bucket starts at the end of the gap.
SELECT z, t, pg_catalog.timezone(z, t) AS local_t, time_bucket('1 hour', t, z) AS hour_bucket,
       pg_catalog.timezone(z, time_bucket('1 hour', t, z)) AS local_bucket
  FROM (VALUES ('America/New_York'), ('Europe/Berlin'), ('Australia/Lord_Howe'), ('UTC')) zones(z),
       pg_catalog.generate_series(timestamptz '2024-01-01 00:00+00', timestamptz '2024-12-31 23:45+00', interval '15 minutes') t
 WHERE time_bucket('1 hour', t, z) > t
    OR pg_catalog.timezone(z, time_bucket('1 hour', t, z)) <> pg_catalog.date_trunc('hour', pg_catalog.timezone(z, t))
    OR time_bucket('15 minutes', t, z) <> t
 ORDER BY z, t;

-- Integers, with and without offsets, around zero and at the ends of the types.
SELECT time_bucket(10, 7) AS a, time_bucket(10, -1) AS b, time_bucket(10, -10) AS c,
       time_bucket(10, 7, 2) AS d, time_bucket(10, 1, 2) AS e, time_bucket(10, 11, -2) AS f,
       time_bucket(10, 7, 32) AS g;
SELECT time_bucket(5::smallint, 17::smallint) AS i2, time_bucket(5::smallint, 17::smallint, 1::smallint) AS i2_off,
       time_bucket(5::bigint, -17::bigint) AS i8, time_bucket(5::bigint, -17::bigint, 3::bigint) AS i8_off,
       pg_catalog.pg_typeof(time_bucket(5::smallint, 17::smallint)) AS type2,
       pg_catalog.pg_typeof(time_bucket(5::bigint, 17::bigint)) AS type8;
SELECT time_bucket(10::smallint, 32767::smallint) AS top16, time_bucket(10::smallint, (-32760)::smallint) AS low16,
       time_bucket(10, 2147483647) AS top32, time_bucket(1, -2147483648) AS low32,
       time_bucket(10::bigint, 9223372036854775807) AS top64, time_bucket(1::bigint, -9223372036854775808) AS low64;

-- Infinities are returned unchanged; NULLs give NULL.
SELECT time_bucket('1 day', timestamp 'infinity') AS a, time_bucket('1 day', timestamptz '-infinity') AS b,
       time_bucket('1 month', date 'infinity') AS c, time_bucket('1 day', timestamptz 'infinity', 'Europe/Berlin') AS d,
       time_bucket('1 day', timestamp '-infinity', interval '1 hour') AS e,
       time_bucket('1 week', date '-infinity', date '2000-01-01') AS f;
SELECT time_bucket(NULL::interval, now()) IS NULL AS a, time_bucket('1 day', NULL::timestamp) IS NULL AS b,
       time_bucket('1 day', now(), NULL::text) IS NULL AS c, time_bucket('1 day', NULL::timestamptz, 'UTC') IS NULL AS d,
       time_bucket(NULL::int, 5) IS NULL AS e, time_bucket('1 day', date '2020-01-01', NULL::date) IS NULL AS f,
       time_bucket('1 day', timestamptz '2020-01-01 10:00+00', 'UTC', NULL, NULL) AS g;

-- Errors: non-positive widths (22023), months mixed with days or time (0A000), sub-day widths
-- for dates (0A000), results outside the type (22008 for time types, 22003 for integers),
-- infinite origins (22023) and unknown time zones (22023).
SELECT q, pg_temp.err(q) FROM (VALUES
  ($$SELECT time_bucket('0 days', timestamp '2020-01-01')$$),
  ($$SELECT time_bucket('-1 hour', timestamptz '2020-01-01')$$),
  ($$SELECT time_bucket('1 day -24 hours', timestamp '2020-01-01')$$),
  ($$SELECT time_bucket('-1 month', date '2020-01-01')$$),
  ($$SELECT time_bucket('-1 day', date '2020-01-01')$$),
  ($$SELECT time_bucket(0, 5)$$),
  ($$SELECT time_bucket(-2::smallint, 5::smallint)$$),
  ($$SELECT time_bucket(-2::bigint, 5::bigint, 1::bigint)$$),
  ($$SELECT time_bucket('0 days', timestamptz '2020-01-01', 'UTC')$$),
  ($$SELECT time_bucket('1 month 1 day', timestamp '2020-01-01')$$),
  ($$SELECT time_bucket('1 year 2 hours', timestamptz '2020-01-01', 'Europe/Berlin')$$),
  ($$SELECT time_bucket('1 hour', date '2020-01-01')$$),
  ($$SELECT time_bucket('36 hours', date '2020-01-01')$$),
  ($$SELECT time_bucket('1 day', date '2020-01-01', interval '1 hour')$$),
  ($$SELECT time_bucket('2 weeks', timestamp '4714-11-24 00:00 BC')$$),
  ($$SELECT time_bucket('1 day', timestamp '4714-11-24 00:00 BC', timestamp '2000-01-01 01:00')$$),
  ($$SELECT time_bucket('1 year', timestamptz '4714-11-24 00:00+00 BC')$$),
  ($$SELECT time_bucket('1 year', date '4714-11-24 BC')$$),
  ($$SELECT time_bucket('2 weeks', date '4714-11-24 BC')$$),
  ($$SELECT time_bucket('1 hour', timestamp '294276-12-31 23:59:59', interval '-2 hours')$$),
  ($$SELECT time_bucket('2147483647 days', timestamp '2020-01-01')$$),
  ($$SELECT time_bucket(10::smallint, (-32768)::smallint)$$),
  ($$SELECT time_bucket(10, -2147483648)$$),
  ($$SELECT time_bucket(10::bigint, (-9223372036854775808)::bigint)$$),
  ($$SELECT time_bucket(10::smallint, (-32768)::smallint, 5::smallint)$$),
  ($$SELECT time_bucket(10::smallint, 32767::smallint, 8::smallint)$$),
  ($$SELECT time_bucket('1 day', timestamp '2020-01-01', timestamp 'infinity')$$),
  ($$SELECT time_bucket('1 day', date '2020-01-01', date '-infinity')$$),
  ($$SELECT time_bucket('1 day', timestamptz '2020-01-01', 'UTC', timestamptz 'infinity')$$),
  ($$SELECT time_bucket('1 day', timestamptz '2020-01-01', 'Mars/Olympus_Mons')$$)
) v(q);

-- fixed widths take a 64-bit fast path: the same buckets as date_bin (which floors as well) for
-- values before and after the origin, widths that do and do not divide a day, and the range's ends
SELECT count(*) AS compared,
       count(*) FILTER (WHERE time_bucket(w, ts) IS DISTINCT FROM date_bin(w, ts, timestamp '2000-01-03')) AS ts_mismatches,
       count(*) FILTER (WHERE time_bucket(w, ts::timestamptz) IS DISTINCT FROM date_bin(w, ts::timestamptz, timestamptz '2000-01-03 00:00+00')) AS tstz_mismatches,
       count(*) FILTER (WHERE time_bucket(w, ts, timestamp '1999-12-31 23:59:59.999') IS DISTINCT FROM date_bin(w, ts, timestamp '1999-12-31 23:59:59.999')) AS origin_mismatches
  FROM unnest(ARRAY[interval '1 microsecond', '7 microseconds', '1 second', '1 minute', '7 minutes', '1 hour',
                    '5 hours', '1 day', '3 days 5 hours', '1 week', '10000 days']) w,
       (SELECT timestamp '2000-01-03' + i * interval '3 hours 17 minutes 13.000123 seconds' AS ts
          FROM generate_series(-300, 300) i
        UNION ALL VALUES (timestamp '4000-01-01 00:00 BC'), (timestamp '294000-12-31 23:59:59.999999'),
                         (timestamp '1970-01-01'), (timestamp '2000-01-03')) v;
