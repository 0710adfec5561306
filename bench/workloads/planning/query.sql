-- planning workload: the query whose planning time is measured, touching only the chunk (or
-- partition) in the middle of :"name", with its bounds as literals so the planner can prune.
-- The text before the first "-- query:" line runs once, before the timed runs.
SET timezone = 'UTC';
SELECT format('%L', :'start'::timestamptz + make_interval(hours => :n / 2, mins => 10)) AS t_from,
       format('%L', :'start'::timestamptz + make_interval(hours => :n / 2, mins => 20)) AS t_to
\gset

-- query: one-chunk
EXPLAIN (SUMMARY ON, COSTS OFF)
SELECT * FROM :"name" WHERE time >= :t_from AND time < :t_to;
