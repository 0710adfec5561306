-- Hypertable creation: create_hypertable in TimescaleDB's two forms, and the dimension builders.

CREATE TYPE _strata_internal.dimension_info AS (
  column_name        name,
  partition_interval text,
  interval_type      regtype,
  dimension_type     text
);

CREATE FUNCTION @extschema@.by_range(column_name name, partition_interval anyelement = NULL::bigint,
                                     partition_func regproc = NULL)
  RETURNS _strata_internal.dimension_info
  AS 'MODULE_PATHNAME', 'strata_by_range' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.by_hash(column_name name, number_partitions integer,
                                    partition_func regproc = NULL)
  RETURNS _strata_internal.dimension_info
  AS 'MODULE_PATHNAME', 'strata_by_hash' LANGUAGE C IMMUTABLE;

CREATE FUNCTION @extschema@.create_hypertable(
    relation regclass,
    dimension _strata_internal.dimension_info,
    create_default_indexes boolean = true,
    if_not_exists boolean = false,
    migrate_data boolean = false)
  RETURNS TABLE (hypertable_id integer, created boolean)
  AS 'MODULE_PATHNAME', 'strata_create_hypertable' LANGUAGE C VOLATILE;

CREATE FUNCTION @extschema@.create_hypertable(
    relation regclass,
    time_column_name name,
    partitioning_column name = NULL,
    number_partitions integer = NULL,
    associated_schema_name name = NULL,
    associated_table_prefix name = NULL,
    chunk_time_interval anyelement = NULL::bigint,
    create_default_indexes boolean = true,
    if_not_exists boolean = false,
    partitioning_func regproc = NULL,
    migrate_data boolean = false,
    chunk_target_size text = NULL,
    chunk_sizing_func regproc = NULL,
    time_partitioning_func regproc = NULL)
  RETURNS TABLE (hypertable_id integer, schema_name name, table_name name, created boolean)
  AS 'MODULE_PATHNAME', 'strata_create_hypertable_old' LANGUAGE C VOLATILE;

CREATE FUNCTION _strata_internal.insert_blocker() RETURNS trigger
  AS 'MODULE_PATHNAME', 'strata_insert_blocker' LANGUAGE C;

CREATE FUNCTION _strata_internal.to_timestamptz(bigint) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'strata_internal_to_timestamptz' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
