-- hypertable_index_size: the disk space of an index of a hypertable and of the chunk indexes that
-- implement it (_strata_catalog.chunk_index), in bytes; NULL for an index of another table.
CREATE FUNCTION @extschema@.hypertable_index_size(index_name regclass) RETURNS bigint
  LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT (pg_catalog.pg_total_relation_size(i.indexrelid)
          + COALESCE((SELECT pg_catalog.sum(pg_catalog.pg_total_relation_size(c.oid))
                        FROM _strata_catalog.chunk_index ci
                        JOIN _strata_catalog.chunk k ON k.id = ci.chunk_id
                        JOIN pg_catalog.pg_namespace n ON n.nspname = k.schema_name
                        JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = ci.index_name
                       WHERE ci.hypertable_id = h.id AND ci.hypertable_index_name = ic.relname), 0))::bigint
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
    CROSS JOIN LATERAL (SELECT _strata_internal.hypertable_id_of(i.indrelid::pg_catalog.regclass) AS id) h
   WHERE i.indexrelid = index_name AND h.id IS NOT NULL
$$;
