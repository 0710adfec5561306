-- planning workload: a hypertable :"name" with :n chunks of 1 hour, one row in each.
CREATE TABLE :"name" (time timestamptz NOT NULL, value integer);
SELECT create_hypertable(:'name', 'time', chunk_time_interval => interval '1 hour',
                         create_default_indexes => false);
\ir fill.sql
