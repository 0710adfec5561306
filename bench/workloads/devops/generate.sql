-- devops workload data: one row per host every :interval_s seconds for :hours hours, as CSV on
-- stdout, ordered by time then host. Every metric is a random walk driven by hash values of
-- (host, step, metric), so every run produces the same rows. Values are multiples of 1/16
-- reflected into [0, 100]: sums of them are exact in double precision, so avg() does not
-- depend on the order rows are read in, and both targets return identical results.
SET work_mem = '256MB';
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;

-- A walk position in 1/16 units, reflected into [0, 1600] and scaled to [0, 100].
CREATE FUNCTION pg_temp.walk(units bigint) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS
$$ SELECT (CASE WHEN m <= 1600 THEN m ELSE 3200 - m END)::double precision / 16
   FROM (SELECT ((units % 3200) + 3200) % 3200 AS m) AS r $$;
-- One step of a walk: -2.0 .. +2.0 in 1/16 units.
CREATE FUNCTION pg_temp.step(host integer, s integer, metric integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS
$$ SELECT (hashint8extended(host::bigint * 1000000 + s, metric) % 33)::integer $$;
-- Where the walk of (host, metric) starts.
CREATE FUNCTION pg_temp.origin(host integer, metric integer) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS
$$ SELECT hashint8extended(host, 100 + metric) % 1601 $$;

COPY (
  WITH hosts AS (
    SELECT h, 'host_' || h AS hostname,
           (ARRAY['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1',
                  'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1'])
             [1 + ((hashint8extended(h, 1) % 9 + 9) % 9)::integer] AS region,
           chr(97 + ((hashint8extended(h, 2) % 3 + 3) % 3)::integer) AS zone
    FROM generate_series(0, :hosts - 1) AS h
  )
  SELECT :'start'::timestamptz + make_interval(secs => w.s * :interval_s) AS time,
         hosts.h AS tags_id, hosts.hostname, hosts.region, hosts.region || hosts.zone AS datacenter,
         pg_temp.walk(pg_temp.origin(h, 1) + w.m1) AS usage_user,
         pg_temp.walk(pg_temp.origin(h, 2) + w.m2) AS usage_system,
         pg_temp.walk(pg_temp.origin(h, 3) + w.m3) AS usage_idle,
         pg_temp.walk(pg_temp.origin(h, 4) + w.m4) AS usage_nice,
         pg_temp.walk(pg_temp.origin(h, 5) + w.m5) AS usage_iowait,
         pg_temp.walk(pg_temp.origin(h, 6) + w.m6) AS usage_irq,
         pg_temp.walk(pg_temp.origin(h, 7) + w.m7) AS usage_softirq,
         pg_temp.walk(pg_temp.origin(h, 8) + w.m8) AS usage_steal,
         pg_temp.walk(pg_temp.origin(h, 9) + w.m9) AS usage_guest,
         pg_temp.walk(pg_temp.origin(h, 10) + w.m10) AS usage_guest_nice
  FROM hosts CROSS JOIN LATERAL (
    SELECT s,
           sum(pg_temp.step(hosts.h, s, 1)) OVER steps AS m1,
           sum(pg_temp.step(hosts.h, s, 2)) OVER steps AS m2,
           sum(pg_temp.step(hosts.h, s, 3)) OVER steps AS m3,
           sum(pg_temp.step(hosts.h, s, 4)) OVER steps AS m4,
           sum(pg_temp.step(hosts.h, s, 5)) OVER steps AS m5,
           sum(pg_temp.step(hosts.h, s, 6)) OVER steps AS m6,
           sum(pg_temp.step(hosts.h, s, 7)) OVER steps AS m7,
           sum(pg_temp.step(hosts.h, s, 8)) OVER steps AS m8,
           sum(pg_temp.step(hosts.h, s, 9)) OVER steps AS m9,
           sum(pg_temp.step(hosts.h, s, 10)) OVER steps AS m10
    FROM generate_series(0, :hours * 3600 / :interval_s - 1) AS s
    WINDOW steps AS (ORDER BY s)
  ) AS w
  ORDER BY 1, 2
) TO STDOUT WITH (FORMAT csv);
