-- devops workload: the TSBS cpu table, a plain table or (with -v hypertable=true) a strata
-- hypertable; both targets get the same indexes (TSBS's (hostname, time DESC) and the time index).
CREATE TABLE cpu (
  time              timestamptz NOT NULL,
  tags_id           integer,
  hostname          text,
  region            text,
  datacenter        text,
  usage_user        double precision,
  usage_system      double precision,
  usage_idle        double precision,
  usage_nice        double precision,
  usage_iowait      double precision,
  usage_irq         double precision,
  usage_softirq     double precision,
  usage_steal       double precision,
  usage_guest       double precision,
  usage_guest_nice  double precision
);
\if :hypertable
\else
-- strata's time_bucket(interval, timestamptz) for the plain target, so that a query bucketing
-- with it runs on both (date_bin with time_bucket's default origin, a Monday).
CREATE OR REPLACE FUNCTION time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_bin(bucket_width, ts, timestamptz '2000-01-03 00:00:00+00');
\endif
\if :hypertable
SELECT create_hypertable('cpu', 'time', chunk_time_interval => :'chunk_interval'::interval,
                         create_default_indexes => false);
\endif
CREATE INDEX cpu_time_idx ON cpu (time DESC);
CREATE INDEX cpu_hostname_time_idx ON cpu (hostname, time DESC);
