-- The materialized side of a real-time aggregate's view planned as a member of the view's UNION ALL
-- (src/planner/realtime_union.cpp): its `bucket < cagg_watermark(...)` moves into the
-- materialization hypertable's range table entry as a security qual, so PostgreSQL pulls the branch
-- up (its chunks are read by the view's own Append) instead of planning it as a sub-query of its
-- own. The results are those with strata.enable_realtime_pullup off and those of the raw
-- aggregation; a statement with a qual that is not leakproof keeps the old shape.
SET timezone = 'UTC';
CREATE TABLE pr (time timestamptz NOT NULL, dev int NOT NULL, v int);
SELECT create_hypertable('pr', by_range('time', interval '1 day'));
INSERT INTO pr SELECT '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour', g % 3, g
  FROM generate_series(0, 24 * 30 - 1) g;
CREATE MATERIALIZED VIEW pr_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', time) AS bucket, dev, count(*) AS n, sum(v) AS s FROM pr GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('pr_daily', NULL, '2024-01-28 00:00+00');
CREATE VIEW pr_truth AS
  SELECT time_bucket('1 day', time) AS bucket, dev, count(*) AS n, sum(v) AS s FROM pr GROUP BY 1, 2;

-- The plan down to the aggregated branch (the materialized side's part of it).
CREATE FUNCTION mat_shape(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    EXIT WHEN line ~ 'Aggregate|SELECT\* 2';
    RETURN NEXT line;
  END LOOP;
END $$;
-- Whether a query returns the same rows with the pull-up on and off (each run planned afresh).
CREATE FUNCTION same_both_ways(query text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE a text; b text;
BEGIN
  EXECUTE format('SELECT string_agg(x::text, '';'' ORDER BY x::text) FROM (%s) x', query) INTO a;
  PERFORM set_config('strata.enable_realtime_pullup', 'off', true);
  EXECUTE format('SELECT string_agg(x::text, '';'' ORDER BY x::text) FROM (%s) x', query) INTO b;
  PERFORM set_config('strata.enable_realtime_pullup', 'on', true);
  RETURN a IS NOT DISTINCT FROM b AND a IS NOT NULL;
END $$;

-- Pulled up: the materialization's chunks under the view's Append (the chunks wholly below the
-- watermark without the watermark clause, the covered bucket clause dropped as before).
SELECT * FROM mat_shape($$SELECT * FROM pr_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
SET strata.enable_realtime_pullup = off;
SELECT * FROM mat_shape($$SELECT * FROM pr_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
RESET strata.enable_realtime_pullup;
-- Not with a qual that is not leakproof anywhere in the statement (a PL/pgSQL function), also one
-- that a pulled-up sub-query's select list brings into the outer WHERE: planned as before.
CREATE FUNCTION opaque_gt(bigint, bigint) RETURNS boolean LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN $1 > $2; END $$;
SELECT * FROM mat_shape($$SELECT * FROM pr_daily WHERE bucket >= '2024-01-03 00:00+00' AND opaque_gt(n, 7)$$);
SELECT * FROM mat_shape($$SELECT * FROM (SELECT bucket, opaque_gt(n, 7) AS big FROM pr_daily) s WHERE big AND bucket >= '2024-01-03 00:00+00'$$);
-- Nor a hand-written UNION ALL of the view's shape whose materialized leaf's select list can leak
-- (the outer `big` would bring opaque_gt into the pulled-up member's quals): the same plan as with
-- the setting off.
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS pr_mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'pr_daily' \gset
SELECT format($$SELECT * FROM (SELECT bucket, opaque_gt(n, 7) AS big FROM %s
    WHERE bucket < _strata_internal.cagg_watermark(2, NULL::timestamptz)
  UNION ALL SELECT bucket, n > 7 FROM pr_truth WHERE bucket >= _strata_internal.cagg_watermark(2, NULL::timestamptz)) u
  WHERE big AND bucket >= '2024-01-03 00:00+00'$$, :'pr_mat') AS leaky_leaf \gset
SELECT * FROM mat_shape(:'leaky_leaf');
SET strata.enable_realtime_pullup = off;
SELECT * FROM mat_shape(:'leaky_leaf');
RESET strata.enable_realtime_pullup;
SELECT same_both_ways(:'leaky_leaf');
-- A security_barrier view over the real-time view: the branch is pulled up inside the barrier.
CREATE VIEW pr_dev1 WITH (security_barrier) AS SELECT * FROM pr_daily WHERE dev = 1;
SELECT * FROM mat_shape($$SELECT * FROM pr_dev1 WHERE bucket >= '2024-01-03 00:00+00'$$);
-- The chunk holding the watermark keeps its clause.
CALL refresh_continuous_aggregate('pr_daily', NULL, NULL);
INSERT INTO pr SELECT '2024-01-31 00:00+00'::timestamptz + g * interval '1 hour', g % 3, g FROM generate_series(0, 47) g;
CALL refresh_continuous_aggregate('pr_daily', NULL, '2024-02-01 00:00+00');
SELECT * FROM mat_shape($$SELECT * FROM pr_daily WHERE bucket >= '2024-01-25 00:00+00' AND dev = 1$$);

-- The same rows both ways, and the raw aggregation's.
SELECT q, same_both_ways(q) FROM (VALUES
  ($$SELECT * FROM pr_daily$$),
  ($$SELECT * FROM pr_daily WHERE bucket >= '2024-01-29 00:00+00'$$),
  ($$SELECT * FROM pr_daily WHERE dev = 2 AND bucket < '2024-02-01 00:00+00'$$),
  ($$SELECT * FROM pr_daily ORDER BY bucket DESC, dev LIMIT 5$$),
  ($$SELECT dev, sum(n), max(s) FROM pr_daily GROUP BY dev$$),
  ($$SELECT a.bucket, a.n, b.n FROM pr_daily a JOIN pr_daily b ON a.bucket = b.bucket AND b.dev = a.dev + 1$$),
  ($$WITH w AS (SELECT * FROM pr_daily WHERE dev = 0) SELECT count(*), sum(s) FROM w$$),
  ($$SELECT * FROM pr_daily WHERE dev IN (SELECT dev FROM pr_daily WHERE n > 7)$$),
  ($$SELECT * FROM pr_daily WHERE bucket = (SELECT max(bucket) FROM pr_daily)$$)) t(q);
SELECT count(*) AS differences FROM ((SELECT * FROM pr_daily EXCEPT ALL SELECT * FROM pr_truth)
                                     UNION ALL (SELECT * FROM pr_truth EXCEPT ALL SELECT * FROM pr_daily)) d;

-- A qual that is not leakproof (a PL/pgSQL function) anywhere in the statement: planned as before,
-- so the watermark clause gets no precedence over it that the view did not give.
SELECT * FROM mat_shape($$SELECT * FROM pr_daily WHERE opaque_gt(n, 7)$$);
SELECT same_both_ways($$SELECT * FROM pr_daily WHERE opaque_gt(n, 7)$$);
SELECT count(*) FROM pr_daily WHERE opaque_gt(n, 7);
SELECT count(*) FROM pr_truth WHERE opaque_gt(n, 7);

-- The security_barrier view's qual is applied before a leaky function of the outer query sees a
-- row (the function records the devices it was shown). (seen() is leaky, so the statement is not
-- pulled up: this checks the old path only; the pulled-up case with a row security policy follows.)
CREATE FUNCTION seen(int, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('pr.seen', current_setting('pr.seen') || $1 || ',', false);
  RETURN $2 > 0;
END $$;
SET pr.seen = '';
SELECT count(*), sum(n) FROM pr_dev1 WHERE seen(dev, n);
SELECT string_agg(DISTINCT d, ',') AS devices_seen FROM unnest(string_to_array(current_setting('pr.seen'), ',')) d WHERE d <> '';
SELECT count(*), sum(n) FROM pr_truth WHERE dev = 1;
SELECT same_both_ways($$SELECT * FROM pr_dev1$$);
-- Pulled up (only leakproof quals) and joined to a user table with a row security policy (a PL/pgSQL
-- function, not leakproof): the policy is still applied to that table (its filter; equivalence
-- derives `dev = visible_dev()` for the materialized side too, as it would for the sub-query), and
-- the rows are those with the pull-up off and those of the raw aggregation.
CREATE FUNCTION visible_dev() RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$;
CREATE TABLE dev_names (dev int, name text);
INSERT INTO dev_names VALUES (0, 'zero'), (1, 'one'), (2, 'two');
ALTER TABLE dev_names ENABLE ROW LEVEL SECURITY;
CREATE POLICY one_dev ON dev_names USING (dev = visible_dev());
CREATE ROLE pullup_joiner;
GRANT SELECT ON pr_daily, pr_truth, dev_names TO pullup_joiner;
SET ROLE pullup_joiner;
SELECT * FROM mat_shape($$SELECT d.name, p.bucket, p.n FROM pr_daily p JOIN dev_names d ON d.dev = p.dev WHERE p.bucket >= '2024-01-25 00:00+00' AND d.name <> 'two'$$);
SELECT d.name, count(*) AS buckets, sum(p.n) FROM pr_daily p JOIN dev_names d ON d.dev = p.dev
  WHERE p.bucket >= '2024-01-03 00:00+00' AND d.name <> 'two' GROUP BY d.name;
SELECT d.name, count(*) AS buckets, sum(p.n) FROM pr_truth p JOIN dev_names d ON d.dev = p.dev
  WHERE p.bucket >= '2024-01-03 00:00+00' AND d.name <> 'two' GROUP BY d.name;
SELECT same_both_ways($$SELECT d.name, p.bucket, p.n FROM pr_daily p JOIN dev_names d ON d.dev = p.dev WHERE p.bucket >= '2024-01-03 00:00+00' AND d.name <> 'two'$$);
RESET ROLE;
REVOKE SELECT ON pr_daily, pr_truth FROM pullup_joiner;
DROP TABLE dev_names;
DROP FUNCTION visible_dev();
DROP ROLE pullup_joiner;

-- Row-level security on the raw table (forced, for an owner who is not a superuser): it filters
-- the aggregated branch as before.
CREATE ROLE pullup_owner;
GRANT CREATE ON SCHEMA public TO pullup_owner;
SET ROLE pullup_owner;
CREATE TABLE prs (time timestamptz NOT NULL, dev int NOT NULL, v int);
SELECT create_hypertable('prs', by_range('time', interval '1 day'));
INSERT INTO prs SELECT '2024-01-01 00:00+00'::timestamptz + g * interval '1 hour', g % 3, 1 FROM generate_series(0, 24 * 10 - 1) g;
CREATE MATERIALIZED VIEW prs_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', time) AS bucket, dev, count(*) AS n FROM prs GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('prs_daily', NULL, '2024-01-08 00:00+00');
ALTER TABLE prs ENABLE ROW LEVEL SECURITY;
ALTER TABLE prs FORCE ROW LEVEL SECURITY;
CREATE POLICY no_dev2 ON prs USING (dev <> 2);
-- (the query's leakproof time clause, a security level above the policy's, is still dropped from
-- the chunks it covers)
EXPLAIN (COSTS OFF) SELECT * FROM prs WHERE time >= '2024-01-08 00:00+00';
SELECT dev, count(*) AS buckets, sum(n) FROM prs_daily GROUP BY dev ORDER BY dev;
SELECT same_both_ways($$SELECT * FROM prs_daily$$);
SELECT same_both_ways($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-07 00:00+00'$$);
-- Row-level security on the materialization hypertable itself (forced, its owner not a superuser):
-- the branch is not pulled up (the same plan as with the pull-up off), and the policy filters the
-- materialized buckets only (dev 1 keeps its real-time buckets from 2024-01-08 on).
SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS prs_mat
  FROM strata_information.continuous_aggregates WHERE view_name = 'prs_daily' \gset
ALTER TABLE :prs_mat ENABLE ROW LEVEL SECURITY;
ALTER TABLE :prs_mat FORCE ROW LEVEL SECURITY;
CREATE POLICY no_dev1 ON :prs_mat USING (dev <> 1);
SELECT * FROM mat_shape($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
SET strata.enable_realtime_pullup = off;
SELECT * FROM mat_shape($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
RESET strata.enable_realtime_pullup;
SELECT dev, count(*) AS buckets, min(bucket), sum(n) FROM prs_daily GROUP BY dev ORDER BY dev;
SELECT same_both_ways($$SELECT * FROM prs_daily$$);
SELECT same_both_ways($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
DROP POLICY no_dev1 ON :prs_mat;
ALTER TABLE :prs_mat NO FORCE ROW LEVEL SECURITY;
ALTER TABLE :prs_mat DISABLE ROW LEVEL SECURITY;
-- A role with SELECT on the view only: it reads the view, planned as for the owner (the view
-- owner's rights and the raw table's policy apply to the tables beneath), and is still refused the
-- tables themselves.
RESET ROLE;
CREATE ROLE pullup_viewer;
SET ROLE pullup_owner;
GRANT SELECT ON prs_daily TO pullup_viewer;
SET ROLE pullup_viewer;
SELECT * FROM mat_shape($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
SELECT dev, count(*) AS buckets, sum(n) FROM prs_daily GROUP BY dev ORDER BY dev;
SELECT same_both_ways($$SELECT * FROM prs_daily WHERE bucket >= '2024-01-03 00:00+00'$$);
SELECT has_table_privilege(:'prs_mat', 'SELECT') AS mat_readable;
\set VERBOSITY sqlstate
SELECT count(*) FROM :prs_mat;
SELECT count(*) FROM prs;
\set VERBOSITY default
RESET ROLE;
SET ROLE pullup_owner;
REVOKE SELECT ON prs_daily FROM pullup_viewer;
RESET ROLE;
DROP ROLE pullup_viewer;

-- A generic plan stays right across a refresh and new rows (its results checked, not its reuse).
PREPARE q(timestamptz) AS SELECT count(*) AS differences, (SELECT count(*) FROM pr_daily WHERE bucket >= $1) AS n
  FROM ((SELECT * FROM pr_daily WHERE bucket >= $1 EXCEPT ALL SELECT * FROM pr_truth WHERE bucket >= $1)
        UNION ALL (SELECT * FROM pr_truth WHERE bucket >= $1 EXCEPT ALL SELECT * FROM pr_daily WHERE bucket >= $1)) d;
SET plan_cache_mode = force_generic_plan;
EXECUTE q('2024-01-20 00:00+00');
INSERT INTO pr SELECT '2024-02-02 00:00+00'::timestamptz + g * interval '1 hour', g % 3, 1000 FROM generate_series(0, 47) g;
EXECUTE q('2024-01-20 00:00+00');
CALL refresh_continuous_aggregate('pr_daily', NULL, '2024-02-03 00:00+00');
EXECUTE q('2024-01-20 00:00+00');
PREPARE q2(timestamptz) AS SELECT * FROM pr_daily WHERE bucket >= $1;
SELECT * FROM mat_shape($$EXECUTE q2('2024-01-20 00:00+00')$$);
RESET plan_cache_mode;
DEALLOCATE q;
DEALLOCATE q2;

DROP VIEW pr_dev1;
DROP MATERIALIZED VIEW prs_daily;
DROP TABLE prs;
REVOKE CREATE ON SCHEMA public FROM pullup_owner;
DROP ROLE pullup_owner;

-- A user table whose row security policy has the watermark clause's shape (`col = f()`), a member of
-- a UNION ALL: left alone by the handlers of pulled-up members, here and in a database without the
-- extension (where strata's library is loaded all the same and must look nothing up).
SELECT current_database() AS regress_db \gset
CREATE ROLE pullup_reader;
\set tenant_tables 'CREATE FUNCTION cur_tenant() RETURNS int LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN 1; END $$; CREATE TABLE ten1 (tenant int, v int); CREATE TABLE ten2 (tenant int, v int); INSERT INTO ten1 VALUES (1, 10), (2, 20); INSERT INTO ten2 VALUES (1, 30), (2, 40); ALTER TABLE ten1 ENABLE ROW LEVEL SECURITY; CREATE POLICY own_tenant ON ten1 USING (tenant = cur_tenant()); GRANT SELECT ON ten1, ten2 TO pullup_reader;'
:tenant_tables
SET ROLE pullup_reader;
SELECT * FROM ten1 UNION ALL SELECT * FROM ten2 ORDER BY 1, 2;
RESET ROLE;
DROP TABLE ten1, ten2;
DROP FUNCTION cur_tenant();
SET client_min_messages = warning;
DROP DATABASE IF EXISTS strata_pullup_noext_test;
CREATE DATABASE strata_pullup_noext_test;
\c strata_pullup_noext_test
SELECT count(*) AS strata_installed FROM pg_extension WHERE extname = 'strata';
:tenant_tables
SET ROLE pullup_reader;
SELECT * FROM ten1 UNION ALL SELECT * FROM ten2 ORDER BY 1, 2;
SET strata.enable_realtime_pullup = off;
SELECT * FROM ten1 UNION ALL SELECT * FROM ten2 ORDER BY 1, 2;
RESET strata.enable_realtime_pullup;
RESET ROLE;
\c :regress_db
SET client_min_messages = warning;
DROP DATABASE strata_pullup_noext_test;
DROP ROLE pullup_reader;
