-- Space partitioning: hash dimensions added with add_dimension (or create_hypertable's
-- partitioning_column), the partition hash that chunk constraints use, and a view of every
-- chunk's slice in each dimension.

-- The partition hash of a value on [0, 2^31): the extended hash function (seed 0) of the value's
-- type in its default hash operator class, lowest 31 bits. A chunk of a hash dimension holds the
-- rows whose hash falls in its slice (its CHECK constraint calls this function).
CREATE FUNCTION _strata_internal.get_partition_hash(value anyelement) RETURNS integer
  AS 'MODULE_PATHNAME', 'strata_get_partition_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- TimescaleDB's first form: a hash dimension with number_partitions (chunk_time_interval, a
-- second open dimension, is refused).
CREATE FUNCTION @extschema@.add_dimension(
    hypertable regclass,
    column_name name,
    number_partitions integer = NULL,
    chunk_time_interval anyelement = NULL::bigint,
    partitioning_func regproc = NULL,
    if_not_exists boolean = false)
  RETURNS TABLE (dimension_id integer, schema_name name, table_name name, column_name name, created boolean)
  AS 'MODULE_PATHNAME', 'strata_add_dimension_old' LANGUAGE C VOLATILE;

-- The second form: add_dimension(ht, by_hash(column, number_partitions)).
CREATE FUNCTION @extschema@.add_dimension(
    hypertable regclass,
    dimension _strata_internal.dimension_info,
    if_not_exists boolean = false)
  RETURNS TABLE (dimension_id integer, created boolean)
  AS 'MODULE_PATHNAME', 'strata_add_dimension' LANGUAGE C VOLATILE;

-- The number of partitions of a hash dimension for chunks created from now on.
CREATE FUNCTION @extschema@.set_number_partitions(
    hypertable regclass,
    number_partitions integer,
    dimension_name name = NULL)
  RETURNS void
  AS 'MODULE_PATHNAME', 'strata_set_number_partitions' LANGUAGE C VOLATILE;

-- Every chunk's slice in each dimension of its hypertable: the time range (as in
-- strata_information.chunks) and, for a hash dimension, the range of partition hashes.
CREATE VIEW strata_information.chunk_dimensions AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name  AS hypertable_name,
       k.schema_name AS chunk_schema,
       k.table_name  AS chunk_name,
       d.dimension_number,
       d.column_name,
       d.column_type,
       d.dimension_type,
       CASE WHEN d.num_slices IS NULL
             AND d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_start) END AS range_start,
       CASE WHEN d.num_slices IS NULL
             AND d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_end) END AS range_end,
       CASE WHEN d.num_slices IS NOT NULL THEN k.space_start
            WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_start END AS range_start_integer,
       CASE WHEN d.num_slices IS NOT NULL THEN k.space_end
            WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_end END AS range_end_integer
  FROM _strata_catalog.chunk k
  JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id
  JOIN (SELECT d.*, CASE WHEN d.num_slices IS NULL THEN 'Time' ELSE 'Space' END::text AS dimension_type,
               (pg_catalog.row_number() OVER (PARTITION BY d.hypertable_id ORDER BY d.id))::integer
                 AS dimension_number
          FROM _strata_catalog.dimension d) d ON d.hypertable_id = h.id;

GRANT SELECT ON strata_information.chunk_dimensions TO PUBLIC;
