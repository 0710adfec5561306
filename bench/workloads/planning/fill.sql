-- planning workload: one row per hour into :"name" (routed to its chunks or partitions), in
-- statements of :batch rows, each its own transaction so no transaction locks every chunk.
SELECT format('INSERT INTO %I SELECT %L::timestamptz + i * interval ''1 hour'', i '
              'FROM generate_series(%s, %s) AS i',
              :'name', :'start', lo, least(lo + :batch - 1, :n - 1))
FROM generate_series(0, :n - 1, :batch) AS lo
\gexec
