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

-- ---- Refresh policies ------------------------------------------------------------------------

-- The policy job: refreshes [now() - start_offset, now() - end_offset) (for integer time, from the
-- hypertable's integer now function), in batches each committed on its own.
CREATE PROCEDURE _strata_internal.policy_refresh_continuous_aggregate(job_id integer, config jsonb)
  AS 'MODULE_PATHNAME', 'strata_policy_refresh_continuous_aggregate' LANGUAGE C;

CREATE FUNCTION _strata_internal.policy_refresh_continuous_aggregate_check(config jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF config IS NULL OR NOT config ? 'mat_hypertable_id' THEN
    RAISE EXCEPTION 'continuous aggregate policy config must contain "mat_hypertable_id"'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM _strata_catalog.continuous_agg c
                  WHERE c.mat_hypertable_id = (config->>'mat_hypertable_id')::integer) THEN
    RAISE EXCEPTION 'continuous aggregate with materialization hypertable id % does not exist',
      config->>'mat_hypertable_id' USING ERRCODE = 'undefined_object';
  END IF;
END
$$;

CREATE FUNCTION @extschema@.add_continuous_aggregate_policy(
    continuous_aggregate regclass,
    start_offset "any",
    end_offset "any",
    schedule_interval interval,
    if_not_exists boolean DEFAULT false,
    initial_start timestamptz DEFAULT NULL,
    timezone text DEFAULT NULL,
    buckets_per_batch integer DEFAULT 1,
    max_batches_per_execution integer DEFAULT 0,
    refresh_newest_first boolean DEFAULT true)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_add_continuous_aggregate_policy' LANGUAGE C VOLATILE;

CREATE FUNCTION _strata_internal.add_continuous_aggregate_policy(
    view regclass, start_offset text, start_type regtype, end_offset text, end_type regtype,
    schedule_interval interval, if_not_exists boolean, initial_start timestamptz, timezone text,
    buckets_per_batch integer, max_batches_per_execution integer, refresh_newest_first boolean)
  RETURNS integer LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp SET intervalstyle = 'postgres' AS $$
DECLARE
  c record;
  time_type regtype;
  is_integer boolean;
  cfg jsonb;
  existing record;
  width text;
BEGIN
  IF view IS NULL THEN
    RAISE EXCEPTION 'continuous_aggregate cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT ca.* INTO c FROM _strata_catalog.continuous_agg ca
    JOIN pg_catalog.pg_class k ON k.relname = ca.user_view_name
    JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace AND n.nspname = ca.user_view_schema
   WHERE k.oid = view;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation "%" is not a continuous aggregate', view USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT k.relowner FROM pg_catalog.pg_class k WHERE k.oid = view), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of continuous aggregate "%"', view USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF schedule_interval IS NULL THEN
    RAISE EXCEPTION 'schedule_interval cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT a.atttypid::regtype INTO time_type FROM pg_catalog.pg_attribute a
    JOIN _strata_catalog.dimension d ON d.hypertable_id = c.mat_hypertable_id AND d.column_name = a.attname
   WHERE a.attrelid = view;
  is_integer := time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype);
  width := c.bucket_width;
  IF is_integer THEN
    IF (start_offset IS NOT NULL AND start_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'unknown'::regtype))
       OR (end_offset IS NOT NULL AND end_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'unknown'::regtype)) THEN
      RAISE EXCEPTION 'invalid offset type: an integer is needed for a continuous aggregate with % time', time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM _strata_catalog.dimension d WHERE d.hypertable_id = c.raw_hypertable_id
                      AND d.integer_now_func IS NOT NULL) THEN
      RAISE EXCEPTION 'integer_now function not set on the hypertable of continuous aggregate "%"', view
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Set it with set_integer_now_func().';
    END IF;
    IF start_offset IS NOT NULL AND end_offset IS NOT NULL THEN
      IF start_offset::bigint <= end_offset::bigint THEN
        RAISE EXCEPTION 'start_offset must be greater than end_offset' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF start_offset::bigint - end_offset::bigint < 2 * width::bigint THEN
        RAISE EXCEPTION 'policy refresh window too small'
          USING ERRCODE = 'invalid_parameter_value',
                DETAIL = pg_catalog.format('The window must cover at least two buckets (2 * %s).', width);
      END IF;
    END IF;
    cfg := pg_catalog.jsonb_build_object('mat_hypertable_id', c.mat_hypertable_id,
             'start_offset', start_offset::bigint, 'end_offset', end_offset::bigint);
  ELSE
    IF (start_offset IS NOT NULL AND start_type NOT IN ('interval'::regtype, 'unknown'::regtype))
       OR (end_offset IS NOT NULL AND end_type NOT IN ('interval'::regtype, 'unknown'::regtype)) THEN
      RAISE EXCEPTION 'invalid offset type: an interval is needed for a continuous aggregate with % time', time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF start_offset IS NOT NULL AND end_offset IS NOT NULL THEN
      IF start_offset::interval <= end_offset::interval THEN
        RAISE EXCEPTION 'start_offset must be greater than end_offset' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      IF start_offset::interval - end_offset::interval < 2 * width::interval THEN
        RAISE EXCEPTION 'policy refresh window too small'
          USING ERRCODE = 'invalid_parameter_value',
                DETAIL = pg_catalog.format('The window must cover at least two buckets (2 * %s).', width);
      END IF;
    END IF;
    cfg := pg_catalog.jsonb_build_object('mat_hypertable_id', c.mat_hypertable_id,
             'start_offset', start_offset::interval, 'end_offset', end_offset::interval);
  END IF;
  IF buckets_per_batch IS NOT NULL AND buckets_per_batch < 0 THEN
    RAISE EXCEPTION 'buckets_per_batch must not be negative' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cfg := cfg || pg_catalog.jsonb_build_object('buckets_per_batch', coalesce(buckets_per_batch, 1),
                  'max_batches_per_execution', coalesce(max_batches_per_execution, 0),
                  'refresh_newest_first', coalesce(refresh_newest_first, true));
  PERFORM _strata_internal.job_check_timezone(timezone);

  SELECT j.job_id, j.config INTO existing FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_refresh_continuous_aggregate'
     AND (j.config->>'mat_hypertable_id')::integer = c.mat_hypertable_id;
  IF FOUND THEN
    IF NOT if_not_exists THEN
      RAISE EXCEPTION 'continuous aggregate policy already exists for "%"', view
        USING ERRCODE = 'duplicate_object', DETAIL = pg_catalog.format('Job %s refreshes it.', existing.job_id);
    END IF;
    IF existing.config = cfg THEN
      RAISE NOTICE 'continuous aggregate policy already exists for "%", skipping', view;
    ELSE
      RAISE WARNING 'continuous aggregate policy already exists for "%" with different arguments', view;
    END IF;
    RETURN -1;
  END IF;
  IF max_batches_per_execution IS NOT NULL AND max_batches_per_execution < 0 THEN
    RAISE EXCEPTION 'max_batches_per_execution must not be negative' USING ERRCODE = 'invalid_parameter_value',
      HINT = 'Use 0 to run every batch.';
  END IF;
  RETURN _strata_internal.job_insert('Refresh Continuous Aggregate Policy', '_strata_internal',
    'policy_refresh_continuous_aggregate', schedule_interval, interval '0', -1, schedule_interval,
    true, initial_start IS NOT NULL, coalesce(initial_start, pg_catalog.now()), c.mat_hypertable_id, cfg,
    '_strata_internal', 'policy_refresh_continuous_aggregate_check', timezone,
    coalesce(initial_start, pg_catalog.now()));
END
$$;

CREATE FUNCTION @extschema@.remove_continuous_aggregate_policy(continuous_aggregate regclass,
    if_exists boolean DEFAULT false)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c record;
  id integer;
BEGIN
  SELECT ca.* INTO c FROM _strata_catalog.continuous_agg ca
    JOIN pg_catalog.pg_class k ON k.relname = ca.user_view_name
    JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace AND n.nspname = ca.user_view_schema
   WHERE k.oid = continuous_aggregate;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation "%" is not a continuous aggregate', continuous_aggregate
      USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT k.relowner FROM pg_catalog.pg_class k WHERE k.oid = continuous_aggregate), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of continuous aggregate "%"', continuous_aggregate
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT j.job_id INTO id FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_refresh_continuous_aggregate'
     AND (j.config->>'mat_hypertable_id')::integer = c.mat_hypertable_id;
  IF NOT FOUND THEN
    IF if_exists THEN
      RAISE NOTICE 'continuous aggregate policy not found for "%", skipping', continuous_aggregate;
      RETURN;
    END IF;
    RAISE EXCEPTION 'continuous aggregate policy not found for "%"', continuous_aggregate
      USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM _strata_internal.job_delete(id);
END
$$;
