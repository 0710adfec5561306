-- planning workload: a table :"name" range-partitioned on time into :n partitions of 1 hour,
-- one row in each.
CREATE TABLE :"name" (time timestamptz NOT NULL, value integer) PARTITION BY RANGE (time);
SELECT format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
              :'name' || '_' || i, :'name',
              :'start'::timestamptz + i * interval '1 hour',
              :'start'::timestamptz + (i + 1) * interval '1 hour')
FROM generate_series(0, :n - 1) AS i
\gexec
\ir fill.sql
