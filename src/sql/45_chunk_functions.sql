-- Chunk functions: listing and dropping chunks by time range or creation time, sizes and row
-- counts, and the time dimension's settings (integer now function, chunk interval).

-- older_than / newer_than: an interval (before now()) or a value of the time column's type
-- (timestamptz, timestamp or date for time columns, an integer for integer columns); a chunk is
-- older than X when its range ends at or before X and newer than X when it starts at or after X.
-- created_before / created_after compare the chunk's creation time with an interval (before
-- now()) or a timestamptz, timestamp or date. Bounds combine with AND.
CREATE FUNCTION @extschema@.show_chunks(
    relation regclass,
    older_than "any" = NULL,
    newer_than "any" = NULL,
    created_before "any" = NULL,
    created_after "any" = NULL)
  RETURNS SETOF regclass
  AS 'MODULE_PATHNAME', 'strata_show_chunks' LANGUAGE C STABLE;

CREATE FUNCTION @extschema@.drop_chunks(
    relation regclass,
    older_than "any" = NULL,
    newer_than "any" = NULL,
    verbose boolean = false,
    created_before "any" = NULL,
    created_after "any" = NULL)
  RETURNS SETOF text
  AS 'MODULE_PATHNAME', 'strata_drop_chunks' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.set_integer_now_func(
    hypertable regclass,
    integer_now_func regproc,
    replace_if_exists boolean = false)
  RETURNS void
  AS 'MODULE_PATHNAME', 'strata_set_integer_now_func' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.set_chunk_time_interval(
    hypertable regclass,
    chunk_time_interval anyelement,
    dimension_name name = NULL)
  RETURNS void
  AS 'MODULE_PATHNAME', 'strata_set_chunk_time_interval' LANGUAGE C VOLATILE;

-- The id of the hypertable whose table is `relation`, or NULL.
CREATE FUNCTION _strata_internal.hypertable_id_of(relation regclass) RETURNS integer
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT h.id
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN _strata_catalog.hypertable h ON h.schema_name = n.nspname AND h.table_name = c.relname
   WHERE c.oid = relation
$$;

-- The existing chunk tables of a hypertable, by range start (and hash slice).
CREATE FUNCTION _strata_internal.chunk_tables(hypertable regclass)
  RETURNS TABLE (chunk_schema name, chunk_name name, relid regclass)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT k.schema_name, k.table_name, c.oid::pg_catalog.regclass
    FROM _strata_catalog.chunk k
    JOIN pg_catalog.pg_namespace n ON n.nspname = k.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = k.table_name
   WHERE k.hypertable_id = _strata_internal.hypertable_id_of(hypertable)
   ORDER BY k.range_start, k.space_start
$$;

-- Sizes are VOLATILE like pg_total_relation_size, which they call.
-- The disk space of one table, split as TimescaleDB does: the table (heap, free space map and
-- visibility map), its indexes, and its TOAST table with the TOAST index.
CREATE FUNCTION _strata_internal.relation_size(relation regclass,
    OUT table_bytes bigint, OUT index_bytes bigint, OUT toast_bytes bigint, OUT total_bytes bigint)
  LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT s.total - s.indexes - s.toast, s.indexes, s.toast, s.total
    FROM (SELECT pg_catalog.pg_total_relation_size(c.oid) AS total,
                 pg_catalog.pg_indexes_size(c.oid) AS indexes,
                 COALESCE(pg_catalog.pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0) AS toast
            FROM pg_catalog.pg_class c
           WHERE c.oid = relation) s
$$;

-- The columnstore companion tables of a hypertable's compressed chunks, with their chunks.
CREATE FUNCTION _strata_internal.companion_tables(hypertable regclass)
  RETURNS TABLE (chunk_relid regclass, relid regclass)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT t.relid, c.oid::pg_catalog.regclass
    FROM _strata_internal.chunk_tables(hypertable) t
    JOIN _strata_catalog.chunk k ON k.schema_name = t.chunk_schema AND k.table_name = t.chunk_name
    JOIN _strata_catalog.compressed_chunk cc ON cc.chunk_id = k.id
    JOIN pg_catalog.pg_namespace n ON n.nspname = cc.schema_name
    JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = cc.table_name
$$;

-- Disk space of a hypertable: its table, all its chunks and their columnstore companion tables.
-- No row for a relation that is not a hypertable (as in TimescaleDB). node_name is always NULL
-- (no multi-node).
CREATE FUNCTION @extschema@.hypertable_detailed_size(hypertable regclass)
  RETURNS TABLE (table_bytes bigint, index_bytes bigint, toast_bytes bigint, total_bytes bigint,
                 node_name name)
  LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.sum(s.table_bytes)::bigint, pg_catalog.sum(s.index_bytes)::bigint,
         pg_catalog.sum(s.toast_bytes)::bigint, pg_catalog.sum(s.total_bytes)::bigint, NULL::name
    FROM (SELECT hypertable AS relid
          UNION ALL
          SELECT t.relid FROM _strata_internal.chunk_tables(hypertable) t
          UNION ALL
          SELECT t.relid FROM _strata_internal.companion_tables(hypertable) t) r
    CROSS JOIN LATERAL _strata_internal.relation_size(r.relid) s
  HAVING _strata_internal.hypertable_id_of(hypertable) IS NOT NULL
$$;

-- Total disk space of a hypertable and its chunks; NULL for a relation that is not a hypertable.
CREATE FUNCTION @extschema@.hypertable_size(hypertable regclass) RETURNS bigint
  LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT d.total_bytes FROM @extschema@.hypertable_detailed_size(hypertable) d
$$;

-- Disk space of each chunk of a hypertable, its columnstore companion table included (no rows
-- for other relations).
CREATE FUNCTION @extschema@.chunks_detailed_size(hypertable regclass)
  RETURNS TABLE (chunk_schema name, chunk_name name, table_bytes bigint, index_bytes bigint,
                 toast_bytes bigint, total_bytes bigint, node_name name)
  LANGUAGE sql VOLATILE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT t.chunk_schema, t.chunk_name, s.table_bytes, s.index_bytes, s.toast_bytes, s.total_bytes, NULL::name
    FROM _strata_internal.chunk_tables(hypertable) WITH ORDINALITY t(chunk_schema, chunk_name, relid, ord)
    CROSS JOIN LATERAL (
      SELECT pg_catalog.sum(x.table_bytes)::bigint AS table_bytes, pg_catalog.sum(x.index_bytes)::bigint AS index_bytes,
             pg_catalog.sum(x.toast_bytes)::bigint AS toast_bytes, pg_catalog.sum(x.total_bytes)::bigint AS total_bytes
        FROM (SELECT t.relid
              UNION ALL
              SELECT c.relid FROM _strata_internal.companion_tables(hypertable) c WHERE c.chunk_relid = t.relid) r
        CROSS JOIN LATERAL _strata_internal.relation_size(r.relid) x) s
   ORDER BY t.ord
$$;

-- Estimated rows of a table from the planner statistics (pg_class.reltuples), summed over the
-- table and its inheritance children (for a hypertable: its chunks). A table never vacuumed
-- or analyzed has reltuples -1 (unknown) and counts as 0, as in TimescaleDB.
CREATE FUNCTION @extschema@.approximate_row_count(relation regclass) RETURNS bigint
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  WITH RECURSIVE tree(relid) AS (
    SELECT relation::pg_catalog.oid
    UNION
    SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree ON i.inhparent = tree.relid
  )
  SELECT COALESCE(pg_catalog.sum(GREATEST(c.reltuples, 0)), 0)::bigint
    FROM tree JOIN pg_catalog.pg_class c ON c.oid = tree.relid
$$;

-- A chunk's status (_strata_catalog.chunk.status as this session's chunk cache sees it: 0 for a
-- plain chunk, columnstore flags otherwise) and setting it. Setting is for superusers (the
-- columnstore will set it itself); it invalidates every session's chunk cache and cached plans.
CREATE FUNCTION _strata_internal.chunk_status(chunk regclass) RETURNS integer
  AS 'MODULE_PATHNAME', 'strata_chunk_status' LANGUAGE C STABLE STRICT;
CREATE FUNCTION _strata_internal.set_chunk_status(chunk regclass, status integer) RETURNS void
  AS 'MODULE_PATHNAME', 'strata_set_chunk_status' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION _strata_internal.set_chunk_status(regclass, integer) FROM PUBLIC;
