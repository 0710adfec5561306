-- planning workload: a hypertable :"name" with :n chunks of 1 hour, one row in each.
CREATE TABLE :"name" (time timestamptz NOT NULL, value integer);
SELECT create_hypertable(:'name', 'time', chunk_time_interval => interval '1 hour',
                         create_default_indexes => false);
SELECT format('INSERT INTO %I SELECT %L::timestamptz + i * interval ''1 hour'', i '
              'FROM generate_series(%s, %s) AS i',
              :'name', :'start', lo, least(lo + :batch - 1, :n - 1))
FROM generate_series(0, :n - 1, :batch) AS lo
\gexec
