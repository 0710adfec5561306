-- Continuous aggregates: the catalog, the invalidation log, refresh_continuous_aggregate, the
-- real-time watermark, refresh policies and strata_information.continuous_aggregates.
--
-- A continuous aggregate `v` is three objects: the materialization hypertable
-- _strata_internal._materialized_hypertable_<id> (one row per bucket and group, final values),
-- the direct view _strata_internal._direct_view_<id> (the defining query, read by refreshes) and
-- the user view `v` (the materialization, plus with real-time aggregation the aggregation of
-- the raw rows at or above the watermark). Objects are named, never referenced by OID, so
-- pg_dump/pg_restore carries the catalog across.

CREATE TABLE _strata_catalog.continuous_agg (
  mat_hypertable_id        integer PRIMARY KEY
                           REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  raw_hypertable_id        integer NOT NULL
                           REFERENCES _strata_catalog.hypertable(id) ON DELETE CASCADE,
  -- the continuous aggregate this one is built on (hierarchical aggregates), or NULL
  parent_mat_hypertable_id integer,
  user_view_schema         name NOT NULL,
  user_view_name           name NOT NULL,
  direct_view_schema       name NOT NULL,
  direct_view_name         name NOT NULL,
  materialized_only        boolean NOT NULL,
  bucket_width             text NOT NULL,
  -- Writes to the raw hypertable at or above this point (internal time axis) are not logged:
  -- everything from here on is still covered by the log's open-ended entry.
  invalidation_threshold   bigint NOT NULL,
  -- The end of what has been materialized: real-time aggregation reads raw rows from here on.
  watermark                bigint NOT NULL,
  UNIQUE (user_view_schema, user_view_name)
);
CREATE INDEX continuous_agg_raw_hypertable_id_idx
  ON _strata_catalog.continuous_agg (raw_hypertable_id);

-- Ranges [lowest, greatest] (internal axis, inclusive) whose buckets must be recomputed.
CREATE TABLE _strata_catalog.continuous_agg_invalidation (
  mat_hypertable_id integer NOT NULL
                    REFERENCES _strata_catalog.continuous_agg(mat_hypertable_id) ON DELETE CASCADE,
  lowest            bigint NOT NULL,
  greatest          bigint NOT NULL,
  CHECK (lowest <= greatest)
);
CREATE INDEX continuous_agg_invalidation_idx
  ON _strata_catalog.continuous_agg_invalidation (mat_hypertable_id, lowest);

SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.continuous_agg', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.continuous_agg_invalidation', '');

CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.continuous_agg FOR EACH STATEMENT
  EXECUTE FUNCTION _strata_internal.catalog_changed();

-- Row trigger (AFTER UPDATE OR DELETE, cloned onto chunks) and statement trigger (AFTER
-- TRUNCATE) on hypertables with continuous aggregates: record the time range written.
CREATE FUNCTION _strata_internal.cagg_invalidation_trigger() RETURNS trigger
  AS 'MODULE_PATHNAME', 'strata_cagg_invalidation_trigger' LANGUAGE C;

-- The watermark of a continuous aggregate as a value of the type of `type_hint` (its bucket
-- type): read when the query starts, from the query's snapshot, so that a cached plan of a
-- real-time aggregate stays right after a refresh.
CREATE FUNCTION _strata_internal.cagg_watermark(mat_hypertable_id integer, type_hint anyelement)
  RETURNS anyelement AS 'MODULE_PATHNAME', 'strata_cagg_watermark' LANGUAGE C STABLE PARALLEL SAFE;

CREATE PROCEDURE @extschema@.refresh_continuous_aggregate(
    continuous_aggregate regclass,
    window_start "any",
    window_end "any",
    force boolean = false)
  AS 'MODULE_PATHNAME', 'strata_refresh_continuous_aggregate' LANGUAGE C;

CREATE VIEW strata_information.continuous_aggregates AS
SELECT c.user_view_schema AS view_schema,
       c.user_view_name AS view_name,
       pg_catalog.pg_get_userbyid(v.relowner) AS view_owner,
       c.materialized_only,
       h.compression_state > 0 AS compression_enabled,
       h.schema_name AS materialization_hypertable_schema,
       h.table_name AS materialization_hypertable_name,
       pg_catalog.pg_get_viewdef(d.oid) AS view_definition,
       true AS finalized
  FROM _strata_catalog.continuous_agg c
  JOIN _strata_catalog.hypertable h ON h.id = c.mat_hypertable_id
  LEFT JOIN pg_catalog.pg_namespace vn ON vn.nspname = c.user_view_schema
  LEFT JOIN pg_catalog.pg_class v ON v.relnamespace = vn.oid AND v.relname = c.user_view_name
  LEFT JOIN pg_catalog.pg_namespace dn ON dn.nspname = c.direct_view_schema
  LEFT JOIN pg_catalog.pg_class d ON d.relnamespace = dn.oid AND d.relname = c.direct_view_name;
GRANT SELECT ON strata_information.continuous_aggregates TO PUBLIC;
GRANT SELECT ON _strata_catalog.continuous_agg, _strata_catalog.continuous_agg_invalidation TO PUBLIC;
