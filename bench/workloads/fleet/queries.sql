-- fleet workload queries. The device and accounts are fixed functions of the scale, computed
-- below as quoted literals (the account formula is the one in generate.sql). Each query orders
-- its whole output so results compare exactly.
-- The text before the first "-- query:" line runs before every query.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT format('%L', 'dev_' || lpad(d::text, 6, '0')) AS device,
       format('%L', 'acct_' || lpad(floor(:accounts * (d::double precision / :devices) ^ 3)
                                      ::integer::text, 4, '0')) AS device_account,
       format('%L', 'acct_0000') AS largest_account,
       format('%L', :'start'::timestamptz) AS day_from,
       format('%L', :'start'::timestamptz + interval '24 hours') AS day_to,
       format('%L', :'start'::timestamptz + make_interval(hours => :hours) - interval '10 minutes')
         AS recent_from,
       format('%L', :'start'::timestamptz + make_interval(hours => :hours)) AS recent_to
FROM (SELECT :devices * 2 / 3 AS d) AS chosen
\gset

-- query: device-hourly-status
-- hourly count by status for one device over 24 hours
SELECT date_trunc('hour', "timestamp") AS hour, status, count(*) AS reports
FROM device_state
WHERE device_id = :device AND account_id = :device_account
  AND "timestamp" >= :day_from AND "timestamp" < :day_to
GROUP BY hour, status ORDER BY hour, status;

-- query: account-hourly-status
-- hourly count by status for the largest account over 24 hours
SELECT date_trunc('hour', "timestamp") AS hour, status, count(*) AS reports
FROM device_state
WHERE account_id = :largest_account AND "timestamp" >= :day_from AND "timestamp" < :day_to
GROUP BY hour, status ORDER BY hour, status;

-- query: account-connected-by-colo
-- devices of one account whose last report (in the last 10 minutes) says connected, by colo
SELECT colo, count(*) AS connected_devices
FROM (
  SELECT DISTINCT ON (device_id) device_id, colo, status
  FROM device_state
  WHERE account_id = :device_account AND "timestamp" >= :recent_from AND "timestamp" < :recent_to
  ORDER BY device_id, "timestamp" DESC
) AS last_report
WHERE status = 'connected'
GROUP BY colo ORDER BY colo;

-- query: device-recent-rows
-- the 10 most recent reports of one device
SELECT * FROM device_state
WHERE device_id = :device AND account_id = :device_account
ORDER BY "timestamp" DESC LIMIT 10;
