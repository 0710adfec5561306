-- Sizes from the page counts in pg_class (relpages, as VACUUM, ANALYZE, autovacuum and CREATE
-- INDEX last left them), summed over a hypertable, its chunks and their columnstore companion
-- tables: no relation is opened or locked and no file is looked at, so a dashboard can poll them
-- for hypertables with thousands of chunks. The exact functions (hypertable_detailed_size) lock
-- every chunk and stat its files. Table bytes count the main fork only (not the free space and
-- visibility maps).
CREATE FUNCTION _strata_internal.relation_approximate_size(relation regclass,
    OUT table_bytes bigint, OUT index_bytes bigint, OUT toast_bytes bigint, OUT total_bytes bigint)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.t, s.i, s.x, s.t + s.i + s.x
    FROM (SELECT c.relpages::bigint * b.size AS t,
                 COALESCE((SELECT pg_catalog.sum(ic.relpages) FROM pg_catalog.pg_index ix
                             JOIN pg_catalog.pg_class ic ON ic.oid = ix.indexrelid
                            WHERE ix.indrelid = c.oid), 0)::bigint * b.size AS i,
                 COALESCE((SELECT tc.relpages + COALESCE((SELECT pg_catalog.sum(tic.relpages) FROM pg_catalog.pg_index tix
                                                            JOIN pg_catalog.pg_class tic ON tic.oid = tix.indexrelid
                                                           WHERE tix.indrelid = tc.oid), 0)
                             FROM pg_catalog.pg_class tc WHERE tc.oid = c.reltoastrelid), 0)::bigint * b.size AS x
            FROM pg_catalog.pg_class c
           CROSS JOIN (SELECT pg_catalog.current_setting('block_size')::bigint AS size) b
           WHERE c.oid = relation) s
$$;

CREATE FUNCTION @extschema@.hypertable_approximate_detailed_size(relation regclass)
  RETURNS TABLE (table_bytes bigint, index_bytes bigint, toast_bytes bigint, total_bytes bigint)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.sum(s.table_bytes)::bigint, pg_catalog.sum(s.index_bytes)::bigint,
         pg_catalog.sum(s.toast_bytes)::bigint, pg_catalog.sum(s.total_bytes)::bigint
    FROM (SELECT relation AS relid
          UNION ALL
          SELECT t.relid FROM _strata_internal.chunk_tables(relation) t
          UNION ALL
          SELECT t.relid FROM _strata_internal.companion_tables(relation) t) r
    CROSS JOIN LATERAL _strata_internal.relation_approximate_size(r.relid) s
  HAVING _strata_internal.hypertable_id_of(relation) IS NOT NULL
$$;

CREATE FUNCTION @extschema@.hypertable_approximate_size(hypertable regclass) RETURNS bigint
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT d.total_bytes FROM @extschema@.hypertable_approximate_detailed_size(hypertable) d
$$;
