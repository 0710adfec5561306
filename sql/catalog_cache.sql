-- The catalog registry and the per-backend caches: cached plans of queries on a hypertable depend
-- on the chunk catalog itself, so a catalog change PostgreSQL does not see (nothing happens to the
-- hypertable or its tables) replans them; chunk status is kept in the chunk cache and invalidated
-- with it; the registry checks the catalog tables' columns.
SET search_path = public;
CREATE SCHEMA cache_test;
SET search_path = cache_test, public;

CREATE FUNCTION err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- Says when it runs: an immutable call on constants is evaluated when the query is planned, so
-- each NOTICE marks a (re)planning.
CREATE FUNCTION planning(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RAISE NOTICE 'planning';
  RETURN v;
END $$;
CREATE FUNCTION chunk_of(ht regclass, t int) RETURNS regclass LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', c.schema_name, c.table_name)::regclass
    FROM _strata_catalog.chunk c JOIN _strata_catalog.hypertable h ON h.id = c.hypertable_id
   WHERE format('%I.%I', h.schema_name, h.table_name)::regclass = ht
     AND c.range_start <= t AND t < c.range_end
$$;

CREATE TABLE m (time int NOT NULL, v int);
SELECT count(*) FROM create_hypertable('m', by_range('time', 10));
INSERT INTO m SELECT i, i FROM generate_series(0, 39) i;  -- chunks [0,10) [10,20) [20,30) [30,40)

-- Generic plans, excluding chunks at plan time.
SET plan_cache_mode = force_generic_plan;
PREPARE below(int) AS SELECT count(*), sum(v) FROM m WHERE time < planning(25) AND v >= $1;
EXECUTE below(0);
EXECUTE below(0);  -- the cached plan: no planning
EXPLAIN (COSTS OFF) EXECUTE below(0);

-- A chunk status change (a catalog write that touches neither the hypertable nor the chunk's
-- table) replans. (Flag 4 leaves the chunk readable; 1 would mark it compressed.)
SELECT _strata_internal.chunk_status(chunk_of('m', 15));
SELECT _strata_internal.set_chunk_status(chunk_of('m', 15), 4);
SELECT _strata_internal.chunk_status(chunk_of('m', 15));
EXECUTE below(0);
EXECUTE below(0);

-- A catalog row removed by hand (the chunk's table stays, as an ordinary inheritance child of the
-- hypertable): the replanned query no longer reads it.
CREATE TABLE orphan_name AS SELECT chunk_of('m', 25)::text AS name;
DELETE FROM _strata_catalog.chunk WHERE id = (SELECT c.id FROM _strata_catalog.chunk c
  WHERE format('%I.%I', c.schema_name, c.table_name) = (SELECT name FROM orphan_name));
EXECUTE below(0);
EXPLAIN (COSTS OFF) EXECUTE below(0);
DO $$ BEGIN EXECUTE format('DROP TABLE %s', (SELECT name FROM orphan_name)); END $$;
RESET plan_cache_mode;

-- Status: read through the cache, rolled back with the transaction, refused when negative, on a
-- table that is not a chunk, and for roles other than superusers.
BEGIN;
SELECT _strata_internal.set_chunk_status(chunk_of('m', 5), 6);
SELECT _strata_internal.chunk_status(chunk_of('m', 5)), _strata_internal.chunk_status(chunk_of('m', 15));
ROLLBACK;
SELECT _strata_internal.chunk_status(chunk_of('m', 5)), _strata_internal.chunk_status(chunk_of('m', 15));
SELECT c.status FROM _strata_catalog.chunk c WHERE c.id = (SELECT id FROM _strata_catalog.chunk
  WHERE format('%I.%I', schema_name, table_name)::regclass = chunk_of('m', 15));
SELECT err($$SELECT _strata_internal.set_chunk_status(chunk_of('m', 5), -1)$$);
SELECT err($$SELECT _strata_internal.set_chunk_status('m', 1)$$);
SELECT err($$SELECT _strata_internal.chunk_status('orphan_name')$$);
CREATE ROLE cache_test_user;
GRANT USAGE ON SCHEMA cache_test TO cache_test_user;
SET ROLE cache_test_user;
SELECT err($$SELECT _strata_internal.set_chunk_status(chunk_of('m', 5), 1)$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA cache_test FROM cache_test_user;
DROP ROLE cache_test_user;

-- A new chunk is seen at once in the session that created it.
SELECT count(*) FROM show_chunks('m');
INSERT INTO m VALUES (55, 55);
SELECT count(*) FROM show_chunks('m');
SELECT count(*), sum(v) FROM m;

-- The registry checks a catalog table's columns against the library's before using it.
BEGIN;
ALTER TABLE _strata_catalog.chunk RENAME COLUMN status TO state;
SELECT err('SELECT count(*) FROM m WHERE time < 5');
ROLLBACK;
SELECT count(*) FROM m WHERE time < 5;

SET client_min_messages = warning;
DROP SCHEMA cache_test CASCADE;
