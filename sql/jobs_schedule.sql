-- Next-start arithmetic as the scheduler applies it: fixed and drifting schedules, calendar
-- months, time zones across daylight-saving changes, and retry backoff after failures.
SET timezone = 'UTC';
SET datestyle = 'ISO';
-- Fixed schedule: the first slot initial_start + k * interval strictly after the end of the run.
SELECT _strata_internal.job_next_start('2024-01-01 00:00+00', '10 minutes', '1 minute', -1, true,
                                       NULL, '2024-01-01 00:25:03+00', 0);
SELECT _strata_internal.job_next_start('2024-01-01 00:00+00', '10 minutes', '1 minute', -1, true,
                                       NULL, '2024-01-01 00:30:00+00', 0);
-- Drifting schedule: the end of the run plus the interval.
SELECT _strata_internal.job_next_start('2024-01-01 00:00+00', '10 minutes', '1 minute', -1, false,
                                       NULL, '2024-01-01 00:25:03+00', 0);
-- Monthly on the 31st: February clamps to its last day, March is back on the 31st.
SELECT _strata_internal.job_next_start('2024-01-31 12:00+00', '1 month', '1 minute', -1, true,
                                       NULL, f, 0)
  FROM unnest(ARRAY['2024-02-01 00:00+00', '2024-03-01 00:00+00']::timestamptz[]) f;
-- Daily at 03:00 Berlin time: 02:00 UTC in winter, 01:00 UTC after the change on 2024-03-31.
SELECT f, _strata_internal.job_next_start('2024-03-29 02:00+00', '1 day', '1 minute', -1, true,
                                          'Europe/Berlin', f, 0) AS next
  FROM unnest(ARRAY['2024-03-29 02:00:05+00', '2024-03-30 02:00:05+00',
                    '2024-03-31 01:00:05+00', '2024-10-26 01:00:05+00',
                    '2024-10-27 01:00:05+00']::timestamptz[]) f;
-- Without a time zone a day is a day in the session's zone (UTC here): no shift.
SELECT _strata_internal.job_next_start('2024-03-29 02:00+00', '1 day', '1 minute', -1, true,
                                       NULL, '2024-03-30 02:00:05+00', 0);
-- Failures: retry_period doubled per consecutive failure, capped at 5 schedule intervals ...
SELECT n, _strata_internal.job_next_start(NULL, '1 hour', '5 minutes', -1, false, NULL,
                                          '2024-01-01 00:00+00', n) - '2024-01-01 00:00+00' AS delay
  FROM generate_series(1, 8) n;
-- ... never later than the next slot of a fixed schedule ...
SELECT _strata_internal.job_next_start('2024-01-01 00:00+00', '10 minutes', '8 minutes', -1, true,
                                       NULL, '2024-01-01 00:05:00+00', 1);
-- ... and back to the regular schedule once max_retries retries have failed.
SELECT n, _strata_internal.job_next_start(NULL, '1 hour', '5 minutes', 2, false, NULL,
                                          '2024-01-01 00:00+00', n) - '2024-01-01 00:00+00' AS delay
  FROM generate_series(1, 3) n;
