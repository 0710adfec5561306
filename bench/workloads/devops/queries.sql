-- devops workload queries, as the Time Series Benchmark Suite defines them for the cpu-only use
-- case (date_trunc in place of time_bucket so the same text runs on both targets). TSBS picks
-- hosts and time windows at random; here they are fixed functions of the scale, computed below
-- as quoted literals. Each query orders its whole output so results compare exactly.
-- The text before the first "-- query:" line runs before every query.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT format('%L', 'host_' || (:hosts * 3 / 10)) AS host1,
       (SELECT string_agg(format('%L', 'host_' || (i * :hosts / 8 + 1) % :hosts), ', ' ORDER BY i)
          FROM generate_series(0, 7) AS i) AS hosts8a,
       (SELECT string_agg(format('%L', 'host_' || (i * :hosts / 8 + 2) % :hosts), ', ' ORDER BY i)
          FROM generate_series(0, 7) AS i) AS hosts8b,
       format('%L', :'start'::timestamptz + interval '13 hours 7 minutes 30 seconds') AS sg111_from,
       format('%L', :'start'::timestamptz + interval '14 hours 7 minutes 30 seconds') AS sg111_to,
       format('%L', :'start'::timestamptz + interval '7 hours 23 minutes 10 seconds') AS sg581_from,
       format('%L', :'start'::timestamptz + interval '8 hours 23 minutes 10 seconds') AS sg581_to,
       format('%L', :'start'::timestamptz + interval '5 hours 41 minutes 20 seconds') AS dg1_from,
       format('%L', :'start'::timestamptz + interval '17 hours 41 minutes 20 seconds') AS dg1_to,
       format('%L', :'start'::timestamptz + interval '9 hours 12 minutes 40 seconds') AS max8_from,
       format('%L', :'start'::timestamptz + interval '17 hours 12 minutes 40 seconds') AS max8_to,
       format('%L', :'start'::timestamptz + interval '10 hours 3 minutes 50 seconds') AS high_from,
       format('%L', :'start'::timestamptz + interval '22 hours 3 minutes 50 seconds') AS high_to,
       format('%L', :'start'::timestamptz + interval '17 hours 30 minutes 25 seconds') AS gol_to
\gset

-- query: single-groupby-1-1-1
-- max of one metric per minute, for 1 host, over 1 hour
SELECT date_trunc('minute', time) AS minute, max(usage_user) AS max_usage_user
FROM cpu
WHERE hostname IN (:host1) AND time >= :sg111_from AND time < :sg111_to
GROUP BY minute ORDER BY minute;

-- query: single-groupby-5-8-1
-- max of 5 metrics per minute, for 8 hosts, over 1 hour
SELECT date_trunc('minute', time) AS minute,
       max(usage_user) AS max_usage_user, max(usage_system) AS max_usage_system,
       max(usage_idle) AS max_usage_idle, max(usage_nice) AS max_usage_nice,
       max(usage_iowait) AS max_usage_iowait
FROM cpu
WHERE hostname IN (:hosts8a) AND time >= :sg581_from AND time < :sg581_to
GROUP BY minute ORDER BY minute;

-- query: double-groupby-1
-- mean of one metric per hour and host, all hosts, over 12 hours
SELECT date_trunc('hour', time) AS hour, hostname, avg(usage_user) AS mean_usage_user
FROM cpu
WHERE time >= :dg1_from AND time < :dg1_to
GROUP BY hour, hostname ORDER BY hour, hostname;

-- query: cpu-max-all-8
-- max of all 10 metrics per hour, for 8 hosts, over 8 hours
SELECT date_trunc('hour', time) AS hour,
       max(usage_user) AS max_usage_user, max(usage_system) AS max_usage_system,
       max(usage_idle) AS max_usage_idle, max(usage_nice) AS max_usage_nice,
       max(usage_iowait) AS max_usage_iowait, max(usage_irq) AS max_usage_irq,
       max(usage_softirq) AS max_usage_softirq, max(usage_steal) AS max_usage_steal,
       max(usage_guest) AS max_usage_guest, max(usage_guest_nice) AS max_usage_guest_nice
FROM cpu
WHERE hostname IN (:hosts8b) AND time >= :max8_from AND time < :max8_to
GROUP BY hour ORDER BY hour;

-- query: high-cpu-all
-- every reading with usage_user above 90, all hosts, over 12 hours
SELECT * FROM cpu
WHERE usage_user > 90.0 AND time >= :high_from AND time < :high_to
ORDER BY time, hostname;

-- query: lastpoint
-- the last reading of every host
SELECT DISTINCT ON (hostname) * FROM cpu ORDER BY hostname, time DESC;

-- query: groupby-orderby-limit
-- the last 5 minutes before a point in time, with the max of one metric
SELECT date_trunc('minute', time) AS minute, max(usage_user) AS max_usage_user
FROM cpu
WHERE time < :gol_to
GROUP BY minute ORDER BY minute DESC LIMIT 5;

-- query: groupby-orderby-limit-bucket
-- the same with time_bucket (strata reads the chunks' time indexes in bucket order and stops
-- after five groups; the plain target gets an equivalent SQL function, see schema.sql)
SELECT time_bucket('1 minute', time) AS minute, max(usage_user) AS max_usage_user
FROM cpu
WHERE time < :gol_to
GROUP BY minute ORDER BY minute DESC LIMIT 5;
