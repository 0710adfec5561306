-- The catalog: hypertables, their time dimension, chunks and chunk indexes. Objects are named,
-- not referenced by OID, so pg_dump/pg_restore carries the catalog across (the tables are
-- registered with pg_extension_config_dump). The library reads these tables through index scans
-- and writes them with direct heap calls (no permission checks on behalf of users); the triggers
-- invalidate every backend's cache whatever wrote the rows, pg_restore included.

CREATE TABLE _strata_catalog.hypertable (
  id                      serial PRIMARY KEY,
  schema_name             name NOT NULL,
  table_name              name NOT NULL,
  associated_schema_name  name NOT NULL DEFAULT '_strata_internal',
  associated_table_prefix name NOT NULL,
  compression_state       smallint NOT NULL DEFAULT 0,
  UNIQUE (schema_name, table_name)
);

CREATE TABLE _strata_catalog.dimension (
  id                      serial PRIMARY KEY,
  hypertable_id           integer NOT NULL REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  column_name             name NOT NULL,
  column_type             regtype NOT NULL,
  interval_length         bigint CHECK (interval_length > 0),
  integer_now_func_schema name,
  integer_now_func        name,
  -- A hash (closed) dimension: the number of partitions of [0, 2^31) for new chunks; its
  -- interval_length is NULL. NULL for the time (open) dimension.
  num_slices              smallint CHECK (num_slices BETWEEN 1 AND 32767),
  UNIQUE (hypertable_id, column_name)
);

CREATE TABLE _strata_catalog.chunk (
  id             serial PRIMARY KEY,
  hypertable_id  integer NOT NULL REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  schema_name    name NOT NULL,
  table_name     name NOT NULL,
  range_start    bigint NOT NULL,
  range_end      bigint NOT NULL,
  creation_time  timestamptz NOT NULL DEFAULT now(),
  -- 0 for a plain chunk; the columnstore sets flags (compressed, partially compressed). Written
  -- through catalog_update_chunk_status, which invalidates every backend's chunk cache.
  status         integer NOT NULL DEFAULT 0,
  -- The chunk's slice [space_start, space_end) of the hash dimension's axis [0, 2^31) (space
  -- partitioning); the whole axis for a hypertable without a hash dimension.
  space_start    bigint NOT NULL DEFAULT 0,
  space_end      bigint NOT NULL DEFAULT 2147483648,
  UNIQUE (schema_name, table_name),
  CHECK (range_start < range_end)
);
-- Lookups by time: chunks of a hypertable ordered by range start (and hash slice: the chunks of
-- one time range, when the hypertable has a hash dimension).
CREATE UNIQUE INDEX chunk_hypertable_id_range_start_idx
  ON _strata_catalog.chunk (hypertable_id, range_start, space_start);

-- Which index of a chunk implements which index of its hypertable.
CREATE TABLE _strata_catalog.chunk_index (
  chunk_id              integer NOT NULL REFERENCES _strata_catalog.chunk(id) ON DELETE CASCADE,
  index_name            name NOT NULL,
  hypertable_id         integer NOT NULL REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  hypertable_index_name name NOT NULL,
  PRIMARY KEY (chunk_id, index_name)
);
CREATE INDEX chunk_index_hypertable_idx
  ON _strata_catalog.chunk_index (hypertable_id, hypertable_index_name);

SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.hypertable', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.hypertable_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.dimension', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.dimension_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.chunk', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.chunk_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.chunk_index', '');

CREATE FUNCTION _strata_internal.catalog_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'strata_catalog_changed' LANGUAGE C;
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.hypertable FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.dimension FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.chunk FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
