-- ColumnstoreAggregate, hash mode, count(*) only with one text grouping column in dictionary form
-- (the continuous aggregate rollup `count(*) GROUP BY bucket, segment, status`): rows are counted
-- per dictionary code within each bucket run ("Batches Counted per Code" in EXPLAIN ANALYZE).
-- Every query returns the same rows with the pushdown on and off and on a plain table: NULLs,
-- rows filtered inside a batch, batches over many buckets and in one bucket, two count(*), and
-- aggregates that are not count(*) (the general path, no batch counted per code).
SET TimeZone = 'UTC';
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_aggc;
SET search_path = cs_aggc, public;
CREATE TABLE m (time timestamptz NOT NULL, account text, status text, code int4);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '20 seconds', 'acct_' || (g % 3),
       CASE WHEN g % 17 = 0 THEN NULL WHEN g % 5 < 3 THEN 'up' WHEN g % 5 = 3 THEN 'down' ELSE 'gone' END,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 7 END
FROM generate_series(0, 8639) g;
CREATE TABLE ref AS SELECT * FROM m;
ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'account',
                   timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) FROM show_chunks('m') c;

-- q ("%I" is the table) on m with the pushdown on and off and on ref: 'same' when all agree.
CREATE FUNCTION agg_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  sql text := 'SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t';
  a text;
  b text;
  r text;
BEGIN
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'm') INTO a;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', true);
  EXECUTE format(sql, 'm') INTO b;
  PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', true);
  EXECUTE format(sql, 'ref') INTO r;
  IF a IS DISTINCT FROM r THEN
    RAISE NOTICE 'pushdown: %', a;
    RAISE NOTICE 'plain:    %', r;
    RETURN 'pushdown differs';
  END IF;
  RETURN CASE WHEN b IS DISTINCT FROM r THEN 'off differs' ELSE 'same' END;
END $$;

-- The batch and group counters of q on m (EXPLAIN ANALYZE).
CREATE FUNCTION agg_counters(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || format(q, 'm') LOOP
    IF line ~ '(Batches Decoded|Batches in One Bucket|Batches Counted per Code|Partial Groups)' THEN
      RETURN NEXT btrim(line);
    END IF;
  END LOOP;
END $$;

CREATE TABLE queries (id serial, q text);
INSERT INTO queries (q) VALUES
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 day'', time) b, account, status, count(*) FROM %I GROUP BY 1, 2, 3'),
  ('SELECT status, count(*) FROM %I GROUP BY status'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) AS n, count(*) AS n2 FROM %I GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*) FROM %I WHERE code > 2 GROUP BY 1, 2, 3'),
  ('SELECT time_bucket(''1 hour'', time) b, status, count(*) FROM %I WHERE time >= ''2024-01-01 05:10+00'' AND time < ''2024-01-02 03:50+00'' GROUP BY 1, 2'),
  ('SELECT time_bucket(''1 hour'', time) b, account, status, count(*), count(code) FROM %I GROUP BY 1, 2, 3');
SELECT id, agg_check(q) FROM queries ORDER BY id;
SELECT id, agg_counters(q) FROM queries ORDER BY id;

DROP SCHEMA cs_aggc CASCADE;
