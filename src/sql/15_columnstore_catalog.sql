-- The columnstore's catalog (docs/COLUMNSTORE.md, "Catalog"): the settings of hypertables and of
-- compressed chunks. Written by the library with direct heap calls; dumped like the rest of the
-- catalog.

-- A hypertable's current columnstore settings (ALTER TABLE ... SET (timescaledb.compress, ...)).
-- orderby_desc / orderby_nullsfirst run parallel to orderby; minmax and bloom name the columns
-- that get per-batch min/max (and NULL count) and bloom filter metadata.
CREATE TABLE _strata_catalog.compression_settings (
  hypertable_id      integer PRIMARY KEY REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  segmentby          name[] NOT NULL,
  orderby            name[] NOT NULL,
  orderby_desc       boolean[] NOT NULL,
  orderby_nullsfirst boolean[] NOT NULL,
  minmax             name[] NOT NULL,
  bloom              name[] NOT NULL
);

-- One row per compressed chunk: its companion table, the settings it was compressed with (every
-- reader uses these, not the hypertable's current ones) and the sizes before and after.
-- has_dictionaries: the companion may hold shared-dictionary rows (false: it holds none, and DML
-- that empties a segment need not look for them; compress_chunk sets it when it writes one).
CREATE TABLE _strata_catalog.compressed_chunk (
  chunk_id                 integer PRIMARY KEY REFERENCES _strata_catalog.chunk(id) ON DELETE CASCADE,
  hypertable_id            integer NOT NULL REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  schema_name              name NOT NULL,
  table_name               name NOT NULL,
  segmentby                name[] NOT NULL,
  orderby                  name[] NOT NULL,
  orderby_desc             boolean[] NOT NULL,
  orderby_nullsfirst       boolean[] NOT NULL,
  minmax                   name[] NOT NULL,
  bloom                    name[] NOT NULL,
  format_version           smallint NOT NULL,
  compression_time         timestamptz NOT NULL,
  uncompressed_heap_size   bigint NOT NULL,
  uncompressed_toast_size  bigint NOT NULL,
  uncompressed_index_size  bigint NOT NULL,
  uncompressed_rows        bigint NOT NULL,
  compressed_heap_size     bigint NOT NULL,
  compressed_toast_size    bigint NOT NULL,
  compressed_index_size    bigint NOT NULL,
  compressed_rows          bigint NOT NULL,
  has_dictionaries         boolean NOT NULL DEFAULT true
);
CREATE INDEX compressed_chunk_hypertable_id_idx ON _strata_catalog.compressed_chunk (hypertable_id);

SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.compression_settings', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.compressed_chunk', '');

CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.compression_settings FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.compressed_chunk FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
GRANT SELECT ON _strata_catalog.compression_settings, _strata_catalog.compressed_chunk TO PUBLIC;

-- Rows inserted by SQL (pg_restore; the library writes directly, without triggers) get back the
-- companion table's dependency on its chunk, which pg_dump does not carry.
CREATE FUNCTION _strata_internal.compressed_chunk_restored() RETURNS trigger
  AS 'MODULE_PATHNAME', 'strata_compressed_chunk_restored' LANGUAGE C;
CREATE TRIGGER restore_dependency AFTER INSERT ON _strata_catalog.compressed_chunk
  FOR EACH ROW EXECUTE FUNCTION _strata_internal.compressed_chunk_restored();
