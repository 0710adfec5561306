-- The demo: an edge request log as a hypertable, loaded with a day of generated traffic and
-- queried the way a dashboard does (per-minute rates by colo, recent errors).
\set ECHO queries
CREATE EXTENSION IF NOT EXISTS strata;

CREATE TABLE worker_events (
  ts          timestamptz NOT NULL,
  colo        text        NOT NULL,
  country     text        NOT NULL,
  http_method text        NOT NULL,
  path_group  text        NOT NULL,
  http_status smallint    NOT NULL,
  latency_ms  real        NOT NULL,
  bytes_out   integer     NOT NULL,
  script      text        NOT NULL
);
SELECT * FROM create_hypertable('worker_events', by_range('ts', INTERVAL '1 hour'));
CREATE INDEX ON worker_events (colo, ts DESC);

-- 24 hours of traffic ending now: ~600,000 requests from 12 colos, deterministic pseudo-random.
INSERT INTO worker_events
SELECT now() - INTERVAL '24 hours' + (i * INTERVAL '144 milliseconds'),
       (ARRAY['AMS','CDG','FRA','LHR','IAD','SJC','NRT','SIN','SYD','GRU','JNB','ORD'])[1 + (h % 12)],
       (ARRAY['NL','FR','DE','GB','US','US','JP','SG','AU','BR','ZA','US'])[1 + (h % 12)],
       (ARRAY['GET','GET','GET','GET','POST','PUT','DELETE'])[1 + (h / 12 % 7)],
       (ARRAY['/api/v1/*','/static/*','/auth/*','/graphql','/'])[1 + (h / 84 % 5)],
       CASE WHEN h % 97 = 0 THEN 503 WHEN h % 41 = 0 THEN 500 WHEN h % 13 = 0 THEN 404 ELSE 200 END,
       5 + (h % 1000) / 10.0 + CASE WHEN h % 97 = 0 THEN 900 ELSE 0 END,
       200 + h % 50000,
       'worker-' || (h % 20)
  FROM generate_series(1, 600000) i, LATERAL (SELECT abs(hashint4(i)) AS h) x;

SELECT hypertable_name, num_chunks FROM strata_information.hypertables;
SELECT pg_size_pretty(hypertable_size('worker_events')) AS size;

-- Requests per minute by colo over the last 10 minutes.
SELECT time_bucket(INTERVAL '1 minute', ts) AS minute, colo, count(*) AS requests,
       round(avg(latency_ms)::numeric, 1) AS avg_latency_ms
  FROM worker_events
 WHERE ts > now() - INTERVAL '10 minutes'
 GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 24;

-- The most recent server errors.
SELECT ts, colo, http_method, path_group, http_status, latency_ms
  FROM worker_events
 WHERE http_status >= 500 AND ts > now() - INTERVAL '1 hour'
 ORDER BY ts DESC LIMIT 10;

-- Only the chunks the time predicate needs are scanned.
EXPLAIN (COSTS OFF)
SELECT count(*) FROM worker_events WHERE ts > now() - INTERVAL '30 minutes';
