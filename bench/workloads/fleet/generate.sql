-- fleet workload data: every device reports every 2 minutes (at its own phase) for :hours hours,
-- as CSV on stdout ordered by time then device. Device d of n belongs to account
-- floor(accounts * (d/n)^3), so the first accounts own most devices. Status, colo and version
-- come from hash values of (device, step), so every run produces the same rows.
SET work_mem = '256MB';
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;

-- A hash of (device, key) in [0, m).
CREATE FUNCTION pg_temp.pick(device bigint, key integer, m integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS
$$ SELECT ((hashint8extended(device, key) % m + m) % m)::integer $$;

COPY (
  WITH devices AS (
    SELECT d, 'dev_' || lpad(d::text, 6, '0') AS device_id,
           'acct_' || lpad(floor(:accounts * (d::double precision / :devices) ^ 3)::integer::text,
                           4, '0') AS account_id,
           pg_temp.pick(d, 1, 120) AS phase_s,
           (ARRAY['wifi', 'ethernet', 'cellular'])[1 + pg_temp.pick(d, 2, 3)] AS mode,
           '2026.' || (1 + pg_temp.pick(d, 3, 4)) || '.' AS version_prefix,
           pg_temp.pick(d, 4, :hours * 30) AS upgrade_step,
           (ARRAY['linux', 'windows', 'macos', 'ios', 'android'])[1 + pg_temp.pick(d, 5, 5)]
             AS platform
    FROM generate_series(0, :devices - 1) AS d
  )
  SELECT :'start'::timestamptz + make_interval(secs => s * 120 + phase_s) AS "timestamp",
         account_id, device_id,
         (ARRAY['ams', 'fra', 'lhr', 'cdg', 'iad', 'ord', 'dfw', 'sjc', 'gru', 'nrt', 'sin', 'syd'])
           [1 + pg_temp.pick(d::bigint * 1000 + s / 180, 6, 12)] AS colo,
         CASE WHEN r < 90 THEN 'connected' WHEN r < 96 THEN 'reconnecting'
              ELSE 'disconnected' END AS status,
         mode,
         version_prefix || CASE WHEN s >= upgrade_step THEN '1' ELSE '0' END AS client_version,
         platform AS client_platform
  FROM devices
  CROSS JOIN generate_series(0, :hours * 30 - 1) AS s
  CROSS JOIN LATERAL (SELECT pg_temp.pick(d::bigint * 1000000 + s, 7, 100) AS r) AS roll
  ORDER BY 1, 3
) TO STDOUT WITH (FORMAT csv);
