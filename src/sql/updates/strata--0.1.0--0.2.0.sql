-- strata 0.1.0 -> 0.2.0: chunk status, first(), last() and histogram() aggregates,
-- hypertable_index_size(), continuous aggregates, job changes (Waiting status, alter_job if_exists row,
-- positive retention thresholds), the columnstore.
-- (Every change to src/sql/*.sql since 0.1.0 is repeated here; test/shell/extension_update.sh checks
-- that an updated database has exactly the objects of a fresh 0.2.0 install.)
\echo Use "ALTER EXTENSION strata UPDATE TO '0.2.0'" to load this file. \quit

-- ---- src/sql/46_index_size.sql
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

-- ---- src/sql/47_aggregates.sql
-- Dashboard aggregates with TimescaleDB's names and signatures: first(value, time),
-- last(value, time) and histogram(value, min, max, nbuckets). All three are parallel-safe and
-- combinable (partial aggregation, parallel plans); their internal states serialize to bytea.

CREATE FUNCTION _strata_internal.first_sfunc(internal, anyelement, "any") RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_first_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.last_sfunc(internal, anyelement, "any") RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_last_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.first_combinefunc(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_first_combinefunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.last_combinefunc(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_last_combinefunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.bookend_finalfunc(internal, anyelement, "any") RETURNS anyelement
  AS 'MODULE_PATHNAME', 'strata_bookend_finalfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.bookend_serializefunc(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'strata_bookend_serializefunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _strata_internal.bookend_deserializefunc(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_bookend_deserializefunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- The value of the row with the smallest (first) or largest (last) time in the group. Rows with
-- a NULL time never win over a row with a time; the result is NULL when no row has a time (and
-- when the winning row's value is NULL). Among equal times, the row read first wins.
CREATE AGGREGATE @extschema@.first(value anyelement, "time" "any") (
  SFUNC = _strata_internal.first_sfunc,
  STYPE = internal,
  FINALFUNC = _strata_internal.bookend_finalfunc,
  FINALFUNC_EXTRA,
  COMBINEFUNC = _strata_internal.first_combinefunc,
  SERIALFUNC = _strata_internal.bookend_serializefunc,
  DESERIALFUNC = _strata_internal.bookend_deserializefunc,
  PARALLEL = SAFE
);

CREATE AGGREGATE @extschema@.last(value anyelement, "time" "any") (
  SFUNC = _strata_internal.last_sfunc,
  STYPE = internal,
  FINALFUNC = _strata_internal.bookend_finalfunc,
  FINALFUNC_EXTRA,
  COMBINEFUNC = _strata_internal.last_combinefunc,
  SERIALFUNC = _strata_internal.bookend_serializefunc,
  DESERIALFUNC = _strata_internal.bookend_deserializefunc,
  PARALLEL = SAFE
);

CREATE FUNCTION _strata_internal.histogram_sfunc(internal, double precision, double precision,
                                                 double precision, integer) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_histogram_sfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.histogram_combinefunc(internal, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_histogram_combinefunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION _strata_internal.histogram_serializefunc(internal) RETURNS bytea
  AS 'MODULE_PATHNAME', 'strata_histogram_serializefunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _strata_internal.histogram_deserializefunc(bytea, internal) RETURNS internal
  AS 'MODULE_PATHNAME', 'strata_histogram_deserializefunc' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION _strata_internal.histogram_finalfunc(internal, double precision, double precision,
                                                     double precision, integer) RETURNS integer[]
  AS 'MODULE_PATHNAME', 'strata_histogram_finalfunc' LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- nbuckets + 2 counts: values below min, nbuckets equal-width buckets [min, max), values >= max
-- (width_bucket's numbering). Rows with a NULL argument are skipped; NULL when no row is left.
CREATE AGGREGATE @extschema@.histogram(value double precision, min double precision,
                                       max double precision, nbuckets integer) (
  SFUNC = _strata_internal.histogram_sfunc,
  STYPE = internal,
  FINALFUNC = _strata_internal.histogram_finalfunc,
  FINALFUNC_EXTRA,
  COMBINEFUNC = _strata_internal.histogram_combinefunc,
  SERIALFUNC = _strata_internal.histogram_serializefunc,
  DESERIALFUNC = _strata_internal.histogram_deserializefunc,
  PARALLEL = SAFE
);


-- ---- src/sql/10_catalog.sql: chunk status (the columnstore's flags)
ALTER TABLE _strata_catalog.chunk ADD COLUMN status integer NOT NULL DEFAULT 0;

-- ---- src/sql/45_chunk_functions.sql: reading and setting a chunk's status
CREATE FUNCTION _strata_internal.chunk_status(chunk regclass) RETURNS integer
  AS 'MODULE_PATHNAME', 'strata_chunk_status' LANGUAGE C STABLE STRICT;
CREATE FUNCTION _strata_internal.set_chunk_status(chunk regclass, status integer) RETURNS void
  AS 'MODULE_PATHNAME', 'strata_set_chunk_status' LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION _strata_internal.set_chunk_status(regclass, integer) FROM PUBLIC;

-- ---- src/sql/70_caggs.sql
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

-- ---- src/sql/60_jobs.sql: the Waiting job status, alter_job's row of NULLs for a missing job,
-- positive retention thresholds
-- Whether a due job waits for a background worker (none free, or strata.max_background_workers
-- reached) or for room to start its database's scheduler: job_stats shows it as 'Waiting'.
CREATE FUNCTION _strata_internal.job_waiting(job_id integer, next_start timestamptz) RETURNS boolean
  AS 'MODULE_PATHNAME', 'strata_job_waiting' LANGUAGE C VOLATILE;

-- The next start the scheduler records after a run that ended at `finish` (consecutive_failures

CREATE OR REPLACE FUNCTION @extschema@.alter_job(
    job_id integer,
    schedule_interval interval DEFAULT NULL,
    max_runtime interval DEFAULT NULL,
    max_retries integer DEFAULT NULL,
    retry_period interval DEFAULT NULL,
    scheduled boolean DEFAULT NULL,
    config jsonb DEFAULT NULL,
    next_start timestamptz DEFAULT NULL,
    if_exists boolean DEFAULT false,
    check_config regproc DEFAULT NULL,
    fixed_schedule boolean DEFAULT NULL,
    initial_start timestamptz DEFAULT NULL,
    timezone text DEFAULT NULL)
  RETURNS SETOF _strata_internal.alter_job_result
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_variable
DECLARE
  j record;
  c record;
  id integer := job_id;
  chk_schema name;
  chk_name name;
  missing _strata_internal.alter_job_result;
BEGIN
  IF NOT _strata_internal.job_check_access(id, if_exists) THEN
    -- As in TimescaleDB: one row of NULLs, so that callers reading the result get a row.
    RAISE NOTICE 'job % not found, skipping', id;
    RETURN NEXT missing;
    RETURN;
  END IF;
  SELECT v.* INTO j FROM strata_information.jobs v WHERE v.job_id = id;
  IF schedule_interval IS NOT NULL AND schedule_interval <= interval '0' THEN
    RAISE EXCEPTION 'schedule interval must be positive' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_runtime IS NOT NULL AND max_runtime < interval '0' THEN
    RAISE EXCEPTION 'max_runtime must not be negative' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_retries IS NOT NULL AND max_retries < -1 THEN
    RAISE EXCEPTION 'max_retries must be -1 (no limit) or at least 0'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF retry_period IS NOT NULL AND retry_period <= interval '0' THEN
    RAISE EXCEPTION 'retry_period must be positive' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF config IS NOT NULL AND pg_catalog.jsonb_typeof(config) <> 'object' THEN
    RAISE EXCEPTION 'job config must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM _strata_internal.job_check_timezone(timezone);
  chk_schema := j.check_schema;
  chk_name := j.check_name;
  IF check_config IS NOT NULL THEN
    -- check_config => 0 removes the check.
    chk_schema := NULL;
    chk_name := NULL;
    IF check_config <> 0 THEN
      c := _strata_internal.job_proc_name(check_config, true);
      chk_schema := c.proc_schema;
      chk_name := c.proc_name;
    END IF;
  END IF;
  PERFORM _strata_internal.job_run_check(chk_schema, chk_name, coalesce(config, j.config));
  IF coalesce(fixed_schedule, j.fixed_schedule) AND coalesce(initial_start, j.initial_start) IS NULL THEN
    initial_start := pg_catalog.now();
  END IF;
  PERFORM _strata_internal.job_next_start(coalesce(initial_start, j.initial_start),
    coalesce(schedule_interval, j.schedule_interval), coalesce(retry_period, j.retry_period),
    coalesce(max_retries, j.max_retries), coalesce(fixed_schedule, j.fixed_schedule),
    coalesce(timezone, j.timezone),
    GREATEST(coalesce(initial_start, j.initial_start), pg_catalog.now()), 0);
  PERFORM _strata_internal.job_update(id,
    coalesce(schedule_interval, j.schedule_interval), coalesce(max_runtime, j.max_runtime),
    coalesce(max_retries, j.max_retries), coalesce(retry_period, j.retry_period),
    coalesce(scheduled, j.scheduled), coalesce(fixed_schedule, j.fixed_schedule),
    coalesce(initial_start, j.initial_start), coalesce(config, j.config), chk_schema, chk_name,
    coalesce(timezone, j.timezone), next_start);
  RETURN QUERY
    SELECT v.job_id, v.schedule_interval, v.max_runtime, v.max_retries, v.retry_period,
           v.scheduled, v.config, v.next_start,
           CASE WHEN v.check_name IS NULL THEN NULL
                ELSE pg_catalog.format('%I.%I', v.check_schema, v.check_name) END,
           v.fixed_schedule, v.initial_start, v.timezone
      FROM strata_information.jobs v
     WHERE v.job_id = id;
END
$$;

CREATE OR REPLACE FUNCTION _strata_internal.policy_retention_check(config jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht record;
BEGIN
  IF config IS NULL OR NOT config ? 'hypertable_id' THEN
    RAISE EXCEPTION 'retention policy config must contain "hypertable_id"'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  IF ht.relation IS NULL THEN
    RAISE EXCEPTION 'hypertable with id % does not exist', config->>'hypertable_id'
      USING ERRCODE = 'undefined_table';
  END IF;
  -- A threshold at or after now() would drop chunks holding current (or future) data.
  IF config ? 'drop_created_before' THEN
    IF (config->>'drop_created_before')::interval <= interval '0' THEN
      RAISE EXCEPTION 'drop_created_before must be positive, got %', config->>'drop_created_before'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  ELSIF NOT config ? 'drop_after' THEN
    RAISE EXCEPTION 'retention policy config must contain "drop_after" or "drop_created_before"'
      USING ERRCODE = 'invalid_parameter_value';
  ELSIF ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
    IF (config->>'drop_after')::bigint <= 0 THEN
      RAISE EXCEPTION 'drop_after must be positive, got %', config->>'drop_after'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF ht.now_func IS NULL THEN
      RAISE EXCEPTION 'integer_now function not set on hypertable %', ht.relation
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Set it with set_integer_now_func().';
    END IF;
  ELSIF (config->>'drop_after')::interval <= interval '0' THEN
    RAISE EXCEPTION 'drop_after must be positive, got %', config->>'drop_after'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

CREATE OR REPLACE VIEW strata_information.job_stats AS
  SELECT h.schema_name AS hypertable_schema, h.table_name AS hypertable_name, j.id AS job_id,
         s.last_start AS last_run_started_at, s.last_successful_finish,
         CASE WHEN s.last_finish IS NULL OR s.last_finish < s.last_start THEN NULL
              WHEN s.last_run_success THEN 'Success' ELSE 'Failed' END::text AS last_run_status,
         CASE WHEN NOT j.scheduled THEN 'Paused'
              WHEN s.last_start IS NOT NULL AND (s.last_finish IS NULL OR s.last_finish < s.last_start)
                THEN 'Running'
              WHEN _strata_internal.job_waiting(j.id, s.next_start) THEN 'Waiting'
              ELSE 'Scheduled' END::text AS job_status,
         s.last_run_duration,
         CASE WHEN j.scheduled THEN s.next_start END AS next_start,
         s.total_runs, s.total_successes, s.total_failures
    FROM _strata_catalog.bgw_job j
    JOIN _strata_catalog.bgw_job_stat s ON s.job_id = j.id
    LEFT JOIN _strata_catalog.hypertable h ON h.id = j.hypertable_id;

-- ---- src/sql/15_columnstore_catalog.sql
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
  compressed_rows          bigint NOT NULL
);
CREATE INDEX compressed_chunk_hypertable_id_idx ON _strata_catalog.compressed_chunk (hypertable_id);

SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.compression_settings', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.compressed_chunk', '');

CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.compression_settings FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
CREATE TRIGGER invalidate_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.compressed_chunk FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.catalog_changed();
GRANT SELECT ON _strata_catalog.compression_settings, _strata_catalog.compressed_chunk TO PUBLIC;

-- ---- src/sql/30_views.sql: chunks.is_compressed
CREATE OR REPLACE VIEW strata_information.chunks AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name  AS hypertable_name,
       k.schema_name AS chunk_schema,
       k.table_name  AS chunk_name,
       d.column_name AS primary_dimension,
       d.column_type AS primary_dimension_type,
       CASE WHEN d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_start) END AS range_start,
       CASE WHEN d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_end) END AS range_end,
       CASE WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_start END AS range_start_integer,
       CASE WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_end END AS range_end_integer,
       (k.status & 1) <> 0 AS is_compressed,
       (SELECT t.spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = c.reltablespace) AS chunk_tablespace,
       k.creation_time AS chunk_creation_time
  FROM _strata_catalog.chunk k
  JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id
  LEFT JOIN LATERAL (SELECT * FROM _strata_catalog.dimension d WHERE d.hypertable_id = h.id
                      ORDER BY d.id LIMIT 1) d ON true
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = k.schema_name
  LEFT JOIN pg_catalog.pg_class c ON c.relname = k.table_name AND c.relnamespace = n.oid;

-- ---- src/sql/45_chunk_functions.sql: sizes count the columnstore companion tables
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

CREATE OR REPLACE FUNCTION @extschema@.hypertable_detailed_size(hypertable regclass)
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

CREATE OR REPLACE FUNCTION @extschema@.chunks_detailed_size(hypertable regclass)
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

-- ---- src/sql/70_columnstore.sql
-- The columnstore (docs/COLUMNSTORE.md; its catalog tables are in 15_columnstore_catalog.sql): the
-- compression API (compress_chunk, decompress_chunk and the columnstore procedures), the
-- compression policy, and the strata_information views and stats functions with TimescaleDB's
-- column names. The library writes the catalog tables with direct heap calls.

-- ---- compressing and decompressing chunks -------------------------------------------------------

-- Compresses a chunk into its companion table; a chunk with rows in its row part since its
-- compression (partial) is compressed again. An already compressed chunk is a NOTICE with
-- if_not_compressed, an error without. (recompress is accepted for TimescaleDB's signature: a
-- partial chunk is always recompressed.)
CREATE FUNCTION @extschema@.compress_chunk(
    uncompressed_chunk regclass,
    if_not_compressed boolean = true,
    recompress boolean = false)
  RETURNS regclass
  AS 'MODULE_PATHNAME', 'strata_compress_chunk' LANGUAGE C VOLATILE;

-- Decompresses a chunk: every row back into its row part, bit for bit.
CREATE FUNCTION @extschema@.decompress_chunk(
    uncompressed_chunk regclass,
    if_compressed boolean = true)
  RETURNS regclass
  AS 'MODULE_PATHNAME', 'strata_decompress_chunk' LANGUAGE C VOLATILE;

-- The columnstore names of the same (procedures, as in TimescaleDB 2.18+).
CREATE PROCEDURE @extschema@.convert_to_columnstore(
    chunk regclass,
    if_not_columnstore boolean = true,
    recompress boolean = false)
  LANGUAGE sql SET search_path = pg_catalog, pg_temp
  AS $$ SELECT @extschema@.compress_chunk(chunk, if_not_columnstore, recompress) $$;

CREATE PROCEDURE @extschema@.convert_to_rowstore(
    chunk regclass,
    if_columnstore boolean = true)
  LANGUAGE sql SET search_path = pg_catalog, pg_temp
  AS $$ SELECT @extschema@.decompress_chunk(chunk, if_columnstore) $$;

-- ---- the compression policy ------------------------------------------------------------------

-- Compresses one chunk for the policy without waiting for its lock: false when another
-- transaction holds a conflicting lock (the policy skips it and reports it).
CREATE FUNCTION _strata_internal.policy_compress_chunk(chunk regclass) RETURNS boolean
  AS 'MODULE_PATHNAME', 'strata_policy_compress_chunk' LANGUAGE C VOLATILE STRICT;

CREATE FUNCTION _strata_internal.policy_compression_check(config jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht record;
BEGIN
  IF config IS NULL OR NOT config ? 'hypertable_id' THEN
    RAISE EXCEPTION 'compression policy config must contain "hypertable_id"'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  IF ht.relation IS NULL THEN
    RAISE EXCEPTION 'hypertable with id % does not exist', config->>'hypertable_id'
      USING ERRCODE = 'undefined_table';
  END IF;
  IF config ? 'compress_created_before' THEN
    PERFORM (config->>'compress_created_before')::interval;
  ELSIF NOT config ? 'compress_after' THEN
    RAISE EXCEPTION 'compression policy config must contain "compress_after" or "compress_created_before"'
      USING ERRCODE = 'invalid_parameter_value';
  ELSIF ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
    PERFORM (config->>'compress_after')::bigint;
    IF ht.now_func IS NULL THEN
      RAISE EXCEPTION 'integer_now function not set on hypertable %', ht.relation
        USING ERRCODE = 'invalid_parameter_value',
              HINT = 'Set it with set_integer_now_func().';
    END IF;
  ELSE
    PERFORM (config->>'compress_after')::interval;
  END IF;
END
$$;

-- The compression policy job: compresses (or recompresses, when rows arrived since) every chunk
-- entirely older than compress_after (or created before now() - compress_created_before), one
-- chunk per transaction; a chunk whose lock is taken is skipped and reported. (No SET clause:
-- a procedure with one cannot commit; every name is qualified instead.)
CREATE PROCEDURE _strata_internal.policy_compression(job_id integer, config jsonb)
  LANGUAGE plpgsql AS $$
DECLARE
  ht record;
  extschema name;
  now_value bigint;
  chunks regclass[];
  c regclass;
  st integer;
  compressed integer := 0;
  skipped integer := 0;
BEGIN
  PERFORM _strata_internal.policy_compression_check(config);
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  SELECT n.nspname INTO extschema FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'strata';
  IF config ? 'compress_created_before' THEN
    EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(c) FROM %I.show_chunks($1, created_before => $2) c', extschema)
      INTO chunks USING ht.relation, pg_catalog.now() - (config->>'compress_created_before')::interval;
  ELSIF ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
    EXECUTE pg_catalog.format('SELECT %I.%I()::bigint', ht.now_func_schema, ht.now_func) INTO now_value;
    EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(c) FROM %I.show_chunks($1, older_than => $2) c', extschema)
      INTO chunks USING ht.relation, now_value - (config->>'compress_after')::bigint;
  ELSE
    EXECUTE pg_catalog.format('SELECT pg_catalog.array_agg(c) FROM %I.show_chunks($1, older_than => $2) c', extschema)
      INTO chunks USING ht.relation, (config->>'compress_after')::interval;
  END IF;
  FOREACH c IN ARRAY COALESCE(chunks, '{}'::pg_catalog.regclass[]) LOOP
    st := _strata_internal.chunk_status(c);
    -- Not compressed, or compressed with rows in its row part since (partial).
    IF st OPERATOR(pg_catalog.&) 1 OPERATOR(pg_catalog.=) 0
       OR st OPERATOR(pg_catalog.&) 2 OPERATOR(pg_catalog.<>) 0 THEN
      IF _strata_internal.policy_compress_chunk(c) THEN
        compressed := compressed OPERATOR(pg_catalog.+) 1;
      ELSE
        skipped := skipped OPERATOR(pg_catalog.+) 1;
        RAISE NOTICE 'compression policy (job %): skipped chunk "%", which is locked by another transaction', job_id, c;
      END IF;
      COMMIT;
    END IF;
  END LOOP;
  RAISE DEBUG 'compression policy (job %): % chunks compressed, % skipped', job_id, compressed, skipped;
END
$$;

-- add_compression_policy takes compress_after as "any" (an interval, or an integer for integer
-- time); the C entry point passes it on as text and its type to the implementation below.
CREATE FUNCTION @extschema@.add_compression_policy(
    hypertable regclass,
    compress_after "any" DEFAULT NULL,
    if_not_exists boolean DEFAULT false,
    schedule_interval interval DEFAULT NULL,
    initial_start timestamptz DEFAULT NULL,
    timezone text DEFAULT NULL,
    compress_created_before interval DEFAULT NULL)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_add_compression_policy' LANGUAGE C VOLATILE;

CREATE PROCEDURE @extschema@.add_columnstore_policy(
    hypertable regclass,
    after "any" DEFAULT NULL,
    if_not_exists boolean DEFAULT false,
    schedule_interval interval DEFAULT NULL,
    initial_start timestamptz DEFAULT NULL,
    timezone text DEFAULT NULL,
    created_before interval DEFAULT NULL)
  AS 'MODULE_PATHNAME', 'strata_add_compression_policy' LANGUAGE C;

CREATE FUNCTION _strata_internal.add_compression_policy(
    relation regclass, compress_after text, compress_after_type regtype, if_not_exists boolean,
    schedule_interval interval, initial_start timestamptz, timezone text,
    compress_created_before interval)
  RETURNS integer LANGUAGE plpgsql VOLATILE
  SET search_path = pg_catalog, pg_temp SET intervalstyle = 'postgres' AS $$
DECLARE
  ht_id integer;
  ht record;
  is_integer boolean;
  cfg jsonb;
  existing record;
BEGIN
  IF relation IS NULL THEN
    RAISE EXCEPTION 'hypertable cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  ht_id := _strata_internal.job_hypertable_id(relation);
  IF ht_id IS NULL THEN
    RAISE EXCEPTION 'table "%" is not a hypertable', relation USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relation), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', relation USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF (SELECT h.compression_state FROM _strata_catalog.hypertable h WHERE h.id = ht_id) = 0 THEN
    RAISE EXCEPTION 'columnstore not enabled on hypertable "%"', relation
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = pg_catalog.format('Enable it with ALTER TABLE %s SET (timescaledb.compress).', relation);
  END IF;
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info(ht_id);
  is_integer := ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype);
  IF (compress_after IS NULL) = (compress_created_before IS NULL) THEN
    RAISE EXCEPTION 'need exactly one of compress_after and compress_created_before'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF compress_created_before IS NOT NULL THEN
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'compress_created_before', compress_created_before);
  ELSIF is_integer THEN
    IF compress_after_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'unknown'::regtype) THEN
      RAISE EXCEPTION 'invalid value for compress_after: an integer is needed for a hypertable with % time', ht.time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'compress_after', compress_after::bigint);
  ELSE
    IF compress_after_type NOT IN ('interval'::regtype, 'unknown'::regtype) THEN
      RAISE EXCEPTION 'invalid value for compress_after: an interval is needed for a hypertable with % time', ht.time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'compress_after', compress_after::interval);
  END IF;
  PERFORM _strata_internal.policy_compression_check(cfg);
  PERFORM _strata_internal.job_check_timezone(timezone);

  SELECT j.job_id, j.config INTO existing FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_compression'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF FOUND THEN
    IF NOT if_not_exists THEN
      RAISE EXCEPTION 'columnstore policy already exists for hypertable "%"', relation
        USING ERRCODE = 'duplicate_object';
    END IF;
    IF existing.config = cfg THEN
      RAISE NOTICE 'columnstore policy already exists for hypertable "%", skipping', relation;
    ELSE
      RAISE WARNING 'columnstore policy already exists for hypertable "%" with different arguments', relation;
    END IF;
    RETURN -1;
  END IF;
  RETURN _strata_internal.job_insert('Columnstore Policy', '_strata_internal', 'policy_compression',
    coalesce(schedule_interval, CASE WHEN is_integer THEN interval '1 day'
                                     ELSE LEAST(GREATEST(_strata_internal.ht_interval_half(ht_id), interval '1 hour'), interval '1 day') END),
    interval '0', -1, interval '1 hour',
    true, true, coalesce(initial_start, pg_catalog.now()), ht_id, cfg, '_strata_internal',
    'policy_compression_check', timezone, coalesce(initial_start, pg_catalog.now()));
END
$$;

-- Half the chunk interval of a time hypertable (TimescaleDB's default schedule interval for
-- the columnstore policy is the chunk interval / 2, capped at a day).
CREATE FUNCTION _strata_internal.ht_interval_half(hypertable_id integer) RETURNS interval
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT (d.interval_length / 2) * interval '1 microsecond'
    FROM _strata_catalog.dimension d WHERE d.hypertable_id = $1 ORDER BY d.id LIMIT 1
$$;

CREATE FUNCTION @extschema@.remove_compression_policy(hypertable regclass, if_exists boolean DEFAULT false)
  RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht_id integer;
  id integer;
BEGIN
  ht_id := _strata_internal.job_hypertable_id(hypertable);
  IF ht_id IS NULL THEN
    RAISE EXCEPTION 'table "%" is not a hypertable', hypertable USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = hypertable), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', hypertable USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT j.job_id INTO id FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_compression'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF NOT FOUND THEN
    IF if_exists THEN
      RAISE NOTICE 'columnstore policy not found for hypertable "%", skipping', hypertable;
      RETURN false;
    END IF;
    RAISE EXCEPTION 'columnstore policy not found for hypertable "%"', hypertable
      USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM _strata_internal.job_delete(id);
  RETURN true;
END
$$;

CREATE PROCEDURE @extschema@.remove_columnstore_policy(hypertable regclass, if_exists boolean DEFAULT false)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM @extschema@.remove_compression_policy(hypertable, if_exists);
END
$$;

-- ---- views and statistics (TimescaleDB's column names) ----------------------------------------

-- "time DESC, a NULLS FIRST": an orderby list as users write it (SQL's default NULLS order left out).
CREATE FUNCTION _strata_internal.orderby_text(orderby name[], orderby_desc boolean[], orderby_nullsfirst boolean[])
  RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(o.col)
           || CASE WHEN orderby_desc[o.i] THEN ' DESC' ELSE '' END
           || CASE WHEN orderby_nullsfirst[o.i] AND NOT orderby_desc[o.i] THEN ' NULLS FIRST'
                   WHEN NOT orderby_nullsfirst[o.i] AND orderby_desc[o.i] THEN ' NULLS LAST' ELSE '' END,
         ', ' ORDER BY o.i)
    FROM pg_catalog.unnest(orderby) WITH ORDINALITY o(col, i)
$$;

CREATE FUNCTION _strata_internal.segmentby_text(segmentby name[]) RETURNS text
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.string_agg(pg_catalog.quote_ident(s.col), ', ' ORDER BY s.i)
    FROM pg_catalog.unnest(segmentby) WITH ORDINALITY s(col, i)
$$;

-- The sparse index as JSON: [{"type": "minmax", "column": "time", "source": "orderby"}, ...].
CREATE FUNCTION _strata_internal.sparse_index_json(orderby name[], minmax name[], bloom name[]) RETURNS jsonb
  LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.jsonb_agg(x.o ORDER BY x.k, x.i)
    FROM (SELECT 1 AS k, m.i, pg_catalog.jsonb_build_object('type', 'minmax', 'column', m.col, 'source',
                   CASE WHEN m.col = ANY (orderby) THEN 'orderby' ELSE 'config' END) AS o
            FROM pg_catalog.unnest(minmax) WITH ORDINALITY m(col, i)
          UNION ALL
          SELECT 2, b.i, pg_catalog.jsonb_build_object('type', 'bloom', 'column', b.col, 'source', 'config')
            FROM pg_catalog.unnest(bloom) WITH ORDINALITY b(col, i)) x
$$;

-- One row per segmentby or orderby column of each hypertable with the columnstore enabled.
CREATE VIEW strata_information.compression_settings AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name AS hypertable_name,
       a.attname,
       pg_catalog.array_position(s.segmentby, a.attname)::smallint AS segmentby_column_index,
       pg_catalog.array_position(s.orderby, a.attname)::smallint AS orderby_column_index,
       NOT s.orderby_desc[pg_catalog.array_position(s.orderby, a.attname)] AS orderby_asc,
       s.orderby_nullsfirst[pg_catalog.array_position(s.orderby, a.attname)] AS orderby_nullsfirst
  FROM _strata_catalog.compression_settings s
  JOIN _strata_catalog.hypertable h ON h.id = s.hypertable_id
  JOIN pg_catalog.pg_namespace n ON n.nspname = h.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = h.table_name
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE a.attname = ANY (s.segmentby) OR a.attname = ANY (s.orderby);

CREATE VIEW strata_information.hypertable_columnstore_settings AS
SELECT pg_catalog.format('%I.%I', h.schema_name, h.table_name)::pg_catalog.regclass AS hypertable,
       _strata_internal.segmentby_text(s.segmentby) AS segmentby,
       _strata_internal.orderby_text(s.orderby, s.orderby_desc, s.orderby_nullsfirst) AS orderby,
       NULL::interval AS compress_interval_length,
       _strata_internal.sparse_index_json(s.orderby, s.minmax, s.bloom) AS index
  FROM _strata_catalog.compression_settings s
  JOIN _strata_catalog.hypertable h ON h.id = s.hypertable_id;

-- The settings each compressed chunk was compressed with.
CREATE VIEW strata_information.chunk_columnstore_settings AS
SELECT pg_catalog.format('%I.%I', h.schema_name, h.table_name)::pg_catalog.regclass AS hypertable,
       pg_catalog.format('%I.%I', k.schema_name, k.table_name)::pg_catalog.regclass AS chunk,
       _strata_internal.segmentby_text(cc.segmentby) AS segmentby,
       _strata_internal.orderby_text(cc.orderby, cc.orderby_desc, cc.orderby_nullsfirst) AS orderby,
       _strata_internal.sparse_index_json(cc.orderby, cc.minmax, cc.bloom) AS index
  FROM _strata_catalog.compressed_chunk cc
  JOIN _strata_catalog.chunk k ON k.id = cc.chunk_id
  JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id;

GRANT SELECT ON strata_information.compression_settings, strata_information.hypertable_columnstore_settings,
  strata_information.chunk_columnstore_settings TO PUBLIC;

-- Sizes of each chunk of a hypertable before and after compression (as measured when it was
-- compressed); NULL for chunks that are not compressed.
CREATE FUNCTION @extschema@.chunk_compression_stats(hypertable regclass)
  RETURNS TABLE (chunk_schema name, chunk_name name, compression_status text,
                 before_compression_table_bytes bigint, before_compression_index_bytes bigint,
                 before_compression_toast_bytes bigint, before_compression_total_bytes bigint,
                 after_compression_table_bytes bigint, after_compression_index_bytes bigint,
                 after_compression_toast_bytes bigint, after_compression_total_bytes bigint,
                 node_name name)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT k.schema_name, k.table_name,
         CASE WHEN cc.chunk_id IS NULL THEN 'Uncompressed' ELSE 'Compressed' END,
         cc.uncompressed_heap_size, cc.uncompressed_index_size, cc.uncompressed_toast_size,
         cc.uncompressed_heap_size + cc.uncompressed_index_size + cc.uncompressed_toast_size,
         cc.compressed_heap_size, cc.compressed_index_size, cc.compressed_toast_size,
         cc.compressed_heap_size + cc.compressed_index_size + cc.compressed_toast_size,
         NULL::name
    FROM _strata_catalog.chunk k
    LEFT JOIN _strata_catalog.compressed_chunk cc ON cc.chunk_id = k.id
   WHERE k.hypertable_id = _strata_internal.hypertable_id_of(hypertable)
   ORDER BY k.range_start
$$;

CREATE FUNCTION @extschema@.hypertable_compression_stats(hypertable regclass)
  RETURNS TABLE (total_chunks bigint, number_compressed_chunks bigint,
                 before_compression_table_bytes bigint, before_compression_index_bytes bigint,
                 before_compression_toast_bytes bigint, before_compression_total_bytes bigint,
                 after_compression_table_bytes bigint, after_compression_index_bytes bigint,
                 after_compression_toast_bytes bigint, after_compression_total_bytes bigint,
                 node_name name)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE s.compression_status = 'Compressed'),
         pg_catalog.sum(s.before_compression_table_bytes)::bigint, pg_catalog.sum(s.before_compression_index_bytes)::bigint,
         pg_catalog.sum(s.before_compression_toast_bytes)::bigint, pg_catalog.sum(s.before_compression_total_bytes)::bigint,
         pg_catalog.sum(s.after_compression_table_bytes)::bigint, pg_catalog.sum(s.after_compression_index_bytes)::bigint,
         pg_catalog.sum(s.after_compression_toast_bytes)::bigint, pg_catalog.sum(s.after_compression_total_bytes)::bigint,
         NULL::name
    FROM @extschema@.chunk_compression_stats(hypertable) s
  HAVING _strata_internal.hypertable_id_of(hypertable) IS NOT NULL
$$;

-- The columnstore names of the same.
CREATE FUNCTION @extschema@.chunk_columnstore_stats(hypertable regclass)
  RETURNS TABLE (chunk_schema name, chunk_name name, compression_status text,
                 before_compression_table_bytes bigint, before_compression_index_bytes bigint,
                 before_compression_toast_bytes bigint, before_compression_total_bytes bigint,
                 after_compression_table_bytes bigint, after_compression_index_bytes bigint,
                 after_compression_toast_bytes bigint, after_compression_total_bytes bigint,
                 node_name name)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT * FROM @extschema@.chunk_compression_stats(hypertable)
$$;
CREATE FUNCTION @extschema@.hypertable_columnstore_stats(hypertable regclass)
  RETURNS TABLE (total_chunks bigint, number_compressed_chunks bigint,
                 before_compression_table_bytes bigint, before_compression_index_bytes bigint,
                 before_compression_toast_bytes bigint, before_compression_total_bytes bigint,
                 after_compression_table_bytes bigint, after_compression_index_bytes bigint,
                 after_compression_toast_bytes bigint, after_compression_total_bytes bigint,
                 node_name name)
  LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp AS $$
  SELECT * FROM @extschema@.hypertable_compression_stats(hypertable)
$$;
