-- ColumnstoreAggregate's final mode (strata.enable_columnstore_agg_final): when every chunk is
-- compressed, the query groups by a bucket of the time column whose boundaries fall on the
-- chunks' (each group then lies in one chunk) and by columns grouped by their bytes, and every
-- aggregate's final value is its state (count, sum of int2/int4, min, max), each chunk's node
-- keeps all its groups (segment values as key words: a segment's batches need not be adjacent)
-- and emits final rows under a plain Append, without a Finalize Aggregate. Every query returns the
-- same rows with final mode on, off, the pushdown off and on a plain table; the plan says which.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_aggf;
SET search_path = cs_aggf, public;

CREATE TABLE m (time timestamptz NOT NULL, account text, grp int4, status text, code int4, v8 int8);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
-- About 1,400 rows per segment and chunk: two batches of each segment in a chunk.
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '4 seconds',
       CASE WHEN g % 23 = 0 THEN NULL ELSE 'acct_' || (g % 4) END,
       CASE WHEN g % 19 = 0 THEN NULL ELSE g % 2 END,
       CASE WHEN g % 29 = 0 THEN NULL WHEN g % 10 < 7 THEN 'connected' WHEN g % 10 < 9 THEN 'reconnecting'
            ELSE 'disconnected' END,
       CASE WHEN g % 31 = 0 THEN NULL ELSE g % 5 END,
       (g::int8 * 7919) % 100000
FROM generate_series(1, 40000) g;
CREATE TABLE ref AS SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'account, grp',
                   timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;

-- Runs q ("%I" is the table) on m with final mode on and off, the pushdown off, and on ref.
CREATE FUNCTION final_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  sql text := 'SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t';
  a text;
  b text;
  c text;
  r text;
BEGIN
  EXECUTE format(sql, 'm') INTO a;
  PERFORM set_config('strata.enable_columnstore_agg_final', 'off', true);
  EXECUTE format(sql, 'm') INTO b;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', true);
  EXECUTE format(sql, 'm') INTO c;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  PERFORM set_config('strata.enable_columnstore_agg_final', 'on', true);
  EXECUTE format(sql, 'ref') INTO r;
  RETURN CASE WHEN a IS DISTINCT FROM r THEN 'final differs' WHEN b IS DISTINCT FROM r THEN 'partial differs'
              WHEN c IS DISTINCT FROM r THEN 'pushdown off differs' ELSE 'same' END;
END $$;

-- How the plan of q on m aggregates: 'final' (ColumnstoreAggregates emitting final groups, no
-- Finalize Aggregate), 'partial' (under a Finalize Aggregate), or 'other'.
CREATE FUNCTION plan_kind(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  fin boolean := false;
  finalize boolean := false;
  pushed boolean := false;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || format(q, 'm') LOOP
    fin := fin OR line LIKE '%Emits: final groups%';
    finalize := finalize OR line LIKE '%Finalize%';
    pushed := pushed OR line LIKE '%ColumnstoreAggregate%';
  END LOOP;
  RETURN CASE WHEN fin AND NOT finalize THEN 'final' WHEN pushed AND finalize AND NOT fin THEN 'partial' ELSE 'other' END;
END $$;

CREATE TABLE queries (id serial, q text);
INSERT INTO queries (q) VALUES
  -- final
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, account, grp, status, count(*) AS n FROM %I GROUP BY 1, 2, 3, 4'),
  ('SELECT status, time_bucket(''6 hours'', time) b, count(*), count(code), sum(code), min(code), max(v8), min(time) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 day'', time) b, grp, code, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''2 hours'', time, ''2024-01-01 04:00+00''::timestamptz) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT date_bin(''3 hours'', time, ''2024-01-01''::timestamptz) b, status, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I WHERE time >= ''2024-01-02 03:00'' AND time < ''2024-01-03 07:00'' AND code > 1 GROUP BY 1, 2, 3'),
  ('SELECT count(*), time_bucket(''1 hour'', time) b, status FROM %I WHERE account = ''acct_1'' GROUP BY 2, 3'),
  -- partial: no bucket, buckets across chunk boundaries (5 hours, an origin off the day, 2 days),
  -- avg, HAVING, an expression over an aggregate
  ('SELECT account, status, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''5 hours'', time) b, status, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time, ''2024-01-01 00:30+00''::timestamptz) b, status, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''2 days'', time) b, status, count(*) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, status, avg(code) FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) FROM %I GROUP BY 1, 2 HAVING count(*) > 10'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) * 2 FROM %I GROUP BY 1, 2');
SELECT id, plan_kind(q), final_check(q) FROM queries ORDER BY id;

-- The plan and its counters.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT time_bucket('1 hour', time) b, account, grp, status, count(*) FROM m
WHERE time < '2024-01-02' GROUP BY 1, 2, 3, 4;

-- Off: the partial plan.
SET strata.enable_columnstore_agg_final = off;
SELECT plan_kind('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3');
RESET strata.enable_columnstore_agg_final;

-- A grouping column under a nondeterministic collation given by COLLATE (a RelabelType over the
-- column, whose own collation is deterministic): its groups are not its bytes, never final mode.
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
SELECT plan_kind('SELECT time_bucket(''1 hour'', time) b, account COLLATE ci, count(*) FROM %I GROUP BY 1, 2'),
       final_check('SELECT time_bucket(''1 hour'', time) b, account COLLATE ci, count(*) FROM %I GROUP BY 1, 2');

-- A continuous aggregate refreshed over the compressed chunks equals the raw aggregation.
CREATE MATERIALIZED VIEW h WITH (timescaledb.continuous) AS
SELECT time_bucket('1 hour', time) AS bucket, account, status, count(*) AS n FROM m GROUP BY 1, 2, 3 WITH NO DATA;
CALL refresh_continuous_aggregate('h', NULL, NULL);
SELECT count(*) FROM h;
SELECT count(*) AS differing FROM (
  (SELECT bucket, account, status, n FROM h EXCEPT ALL
   SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3)
  UNION ALL
  (SELECT time_bucket('1 hour', time), account, status, count(*) FROM ref GROUP BY 1, 2, 3 EXCEPT ALL
   SELECT bucket, account, status, n FROM h)) d;

-- A chunk with rows outside its batches (a row part): the partial plan, same rows.
INSERT INTO m VALUES ('2024-01-01 10:00:30+00', 'acct_1', 1, 'connected', 3, 7);
INSERT INTO ref VALUES ('2024-01-01 10:00:30+00', 'acct_1', 1, 'connected', 3, 7);
SELECT plan_kind(q), final_check(q) FROM queries WHERE id = 1;

-- A prepared statement (generic plan) over final mode, executed twice.
PREPARE p(timestamptz, timestamptz) AS
SELECT time_bucket('1 hour', time) b, account, status, count(*) FROM m WHERE time >= $1 AND time < $2 GROUP BY 1, 2, 3
ORDER BY 1, 2, 3 LIMIT 3;
SET plan_cache_mode = force_generic_plan;
EXECUTE p('2024-01-01 12:00', '2024-01-02');
EXECUTE p('2024-01-02', '2024-01-03');
RESET plan_cache_mode;

DROP SCHEMA cs_aggf CASCADE;
