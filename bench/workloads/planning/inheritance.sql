-- planning workload: a parent :"name" with :n inheritance children of 1 hour each, carrying
-- CHECK constraints on time (so constraint exclusion prunes them), one row in each.
CREATE TABLE :"name" (time timestamptz NOT NULL, value integer);
SELECT format('CREATE TABLE %I (CHECK (time >= %L AND time < %L)) INHERITS (%I)',
              :'name' || '_' || i,
              :'start'::timestamptz + i * interval '1 hour',
              :'start'::timestamptz + (i + 1) * interval '1 hour', :'name'),
       format('INSERT INTO %I VALUES (%L, %s)', :'name' || '_' || i,
              :'start'::timestamptz + i * interval '1 hour', i)
FROM generate_series(0, :n - 1) AS i
\gexec
