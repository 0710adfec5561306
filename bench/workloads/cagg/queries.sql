-- Queries of the continuous aggregate workload. :agg is the relation read (the aggregate, the
-- plain materialized view, or for the raw figures the aggregation query itself as a subquery).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SELECT format('%L', 'acct_' || lpad(floor(:accounts * ((:devices * 2 / 3)::double precision / :devices) ^ 3)
                                      ::integer::text, 4, '0')) AS account,
       format('%L', :'start'::timestamptz + make_interval(hours => :hours / 2)) AS day_from,
       format('%L', :'start'::timestamptz + make_interval(hours => :hours / 2 + 24)) AS day_to
\gset
