-- insert workload: a plain table or (with -v hypertable=true) a strata hypertable of daily
-- chunks, with the same unique (dev, ts) index on both, loaded with :days days of readings.
CREATE TABLE readings (
  ts   timestamptz NOT NULL,
  dev  integer NOT NULL,
  val  double precision
);
\if :hypertable
SELECT create_hypertable('readings', 'ts', chunk_time_interval => :'chunk_interval'::interval,
                         create_default_indexes => false);
\endif
CREATE UNIQUE INDEX readings_dev_ts_idx ON readings (dev, ts);
INSERT INTO readings
SELECT :'start'::timestamptz + i * (interval '1 day' / :rows_per_day), i % :devices, i
FROM generate_series(0, :days * :rows_per_day - 1) AS i;
