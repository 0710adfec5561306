-- Background jobs: the job catalog, the job API (add_job, alter_job, delete_job, run_job), the
-- retention policy and the strata_information views of jobs, their statistics and their errors.
-- Users never write the catalog tables: the C functions _strata_internal.job_* check who is
-- calling and write the rows themselves.

CREATE SEQUENCE _strata_catalog.bgw_job_id_seq MINVALUE 1000;

CREATE TABLE _strata_catalog.bgw_job (
  id                integer PRIMARY KEY DEFAULT pg_catalog.nextval('_strata_catalog.bgw_job_id_seq'),
  application_name  name NOT NULL,
  schedule_interval interval NOT NULL CHECK (schedule_interval > interval '0'),
  max_runtime       interval NOT NULL DEFAULT interval '0' CHECK (max_runtime >= interval '0'),
  max_retries       integer NOT NULL DEFAULT -1 CHECK (max_retries >= -1),
  retry_period      interval NOT NULL DEFAULT interval '5 minutes' CHECK (retry_period > interval '0'),
  proc_schema       name NOT NULL,
  proc_name         name NOT NULL,
  owner             regrole NOT NULL,
  scheduled         boolean NOT NULL DEFAULT true,
  fixed_schedule    boolean NOT NULL DEFAULT true,
  initial_start     timestamptz,
  hypertable_id     integer,
  config            jsonb,
  check_schema      name,
  check_name        name,
  timezone          text
);
ALTER SEQUENCE _strata_catalog.bgw_job_id_seq OWNED BY _strata_catalog.bgw_job.id;
CREATE INDEX bgw_job_hypertable_id_idx ON _strata_catalog.bgw_job (hypertable_id);

-- One row per job: when it runs next and what its runs did. The scheduler and the job workers
-- write it; next_start is the only column alter_job sets.
CREATE TABLE _strata_catalog.bgw_job_stat (
  job_id                 integer PRIMARY KEY
                         REFERENCES _strata_catalog.bgw_job(id) ON DELETE CASCADE,
  next_start             timestamptz NOT NULL,
  last_start             timestamptz,
  last_finish            timestamptz,
  last_successful_finish timestamptz,
  last_run_success       boolean,
  total_runs             bigint NOT NULL DEFAULT 0,
  total_successes        bigint NOT NULL DEFAULT 0,
  total_failures         bigint NOT NULL DEFAULT 0,
  total_crashes          bigint NOT NULL DEFAULT 0,
  consecutive_failures   integer NOT NULL DEFAULT 0,
  last_run_duration      interval
);

-- Every failed run, kept after the job is deleted.
CREATE TABLE _strata_catalog.job_errors (
  job_id      integer NOT NULL,
  proc_schema name,
  proc_name   name,
  pid         integer,
  start_time  timestamptz,
  finish_time timestamptz,
  sqlerrcode  text,
  err_message text
);
CREATE INDEX job_errors_job_id_idx ON _strata_catalog.job_errors (job_id, finish_time);

REVOKE ALL ON _strata_catalog.bgw_job, _strata_catalog.bgw_job_stat, _strata_catalog.job_errors,
  _strata_catalog.bgw_job_id_seq FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.bgw_job', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.bgw_job_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.bgw_job_stat', '');
SELECT pg_catalog.pg_extension_config_dump('_strata_catalog.job_errors', '');

-- Wakes this database's scheduler when the transaction that changed a job commits.
CREATE FUNCTION _strata_internal.jobs_changed() RETURNS trigger
  AS 'MODULE_PATHNAME', 'strata_jobs_changed' LANGUAGE C;
CREATE TRIGGER wake_scheduler AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.bgw_job FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.jobs_changed();
CREATE TRIGGER wake_scheduler AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON _strata_catalog.bgw_job_stat FOR EACH STATEMENT EXECUTE FUNCTION _strata_internal.jobs_changed();

-- Catalog writers. They check the calling role themselves (owner, hypertable owner or superuser)
-- and write as the extension's owner.
CREATE FUNCTION _strata_internal.job_insert(
    application_name text, proc_schema name, proc_name name, schedule_interval interval,
    max_runtime interval, max_retries integer, retry_period interval, scheduled boolean,
    fixed_schedule boolean, initial_start timestamptz, hypertable_id integer, config jsonb,
    check_schema name, check_name name, timezone text, next_start timestamptz)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_job_insert' LANGUAGE C VOLATILE;
CREATE FUNCTION _strata_internal.job_update(
    job_id integer, schedule_interval interval, max_runtime interval, max_retries integer,
    retry_period interval, scheduled boolean, fixed_schedule boolean, initial_start timestamptz,
    config jsonb, check_schema name, check_name name, timezone text, next_start timestamptz)
  RETURNS void AS 'MODULE_PATHNAME', 'strata_job_update' LANGUAGE C VOLATILE;
CREATE FUNCTION _strata_internal.job_delete(job_id integer) RETURNS void
  AS 'MODULE_PATHNAME', 'strata_job_delete' LANGUAGE C VOLATILE STRICT;
-- True when the job exists and the caller may change it; an error when it may not; false (or
-- an error unless if_exists) when there is no such job.
CREATE FUNCTION _strata_internal.job_check_access(job_id integer, if_exists boolean) RETURNS boolean
  AS 'MODULE_PATHNAME', 'strata_job_check_access' LANGUAGE C VOLATILE;
-- Asks the launcher to start this database's scheduler once CREATE EXTENSION commits.
CREATE FUNCTION _strata_internal.jobs_start_scheduler() RETURNS void
  AS 'MODULE_PATHNAME', 'strata_jobs_start_scheduler' LANGUAGE C VOLATILE;

-- Whether a due job waits for a background worker (none free, or strata.max_background_workers
-- reached) or for room to start its database's scheduler: job_stats shows it as 'Waiting'.
CREATE FUNCTION _strata_internal.job_waiting(job_id integer, next_start timestamptz) RETURNS boolean
  AS 'MODULE_PATHNAME', 'strata_job_waiting' LANGUAGE C VOLATILE;

-- The next start the scheduler records after a run that ended at `finish` (consecutive_failures
-- = 0 for a success): exposed for tests and for anyone wondering when a job will run.
CREATE FUNCTION _strata_internal.job_next_start(initial_start timestamptz,
    schedule_interval interval, retry_period interval, max_retries integer,
    fixed_schedule boolean, timezone text, finish timestamptz, consecutive_failures integer)
  RETURNS timestamptz AS 'MODULE_PATHNAME', 'strata_job_next_start' LANGUAGE C STABLE;

-- What a retention policy needs to know about a hypertable (readable by anyone, like \d).
CREATE FUNCTION _strata_internal.job_hypertable_info(hypertable_id integer,
    OUT relation regclass, OUT time_type regtype, OUT now_func_schema name, OUT now_func name)
  RETURNS record LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.format('%I.%I', h.schema_name, h.table_name)::pg_catalog.regclass,
         d.column_type, d.integer_now_func_schema, d.integer_now_func
    FROM _strata_catalog.hypertable h
    JOIN _strata_catalog.dimension d ON d.hypertable_id = h.id
   WHERE h.id = $1
   ORDER BY d.id LIMIT 1
$$;
CREATE FUNCTION _strata_internal.job_hypertable_id(relation regclass) RETURNS integer
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT h.id FROM _strata_catalog.hypertable h
    JOIN pg_catalog.pg_class c ON c.relname = h.table_name
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = h.schema_name
   WHERE c.oid = $1
$$;

-- Validates a job procedure (a function or procedure taking (integer, jsonb)) and a check
-- procedure (taking (jsonb)), returning their schema and name.
CREATE FUNCTION _strata_internal.job_proc_name(proc regproc, is_check boolean,
    OUT proc_schema name, OUT proc_name name)
  RETURNS record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p pg_catalog.pg_proc;
  want pg_catalog.oidvector;
BEGIN
  SELECT * INTO p FROM pg_catalog.pg_proc WHERE oid = proc;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'function or procedure with OID % does not exist', proc::oid
      USING ERRCODE = 'undefined_function';
  END IF;
  IF is_check THEN
    want := '3802'::pg_catalog.oidvector;
  ELSE
    want := '23 3802'::pg_catalog.oidvector;
  END IF;
  IF p.proargtypes::text <> want::text THEN
    IF is_check THEN
      RAISE EXCEPTION 'check function % must take one argument of type jsonb', proc
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RAISE EXCEPTION 'job function % must take arguments (job_id integer, config jsonb)', proc
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p.prokind NOT IN ('f', 'p') THEN
    RAISE EXCEPTION '% is not a function or procedure', proc USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT pg_catalog.has_function_privilege(proc, 'EXECUTE') THEN
    RAISE EXCEPTION 'permission denied for function %', proc USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT n.nspname, p.proname INTO proc_schema, proc_name
    FROM pg_catalog.pg_namespace n WHERE n.oid = p.pronamespace;
END
$$;

-- Runs a check procedure on a configuration; it rejects the configuration by raising an error.
CREATE FUNCTION _strata_internal.job_run_check(check_schema name, check_name name, config jsonb)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  kind "char";
BEGIN
  IF check_name IS NULL THEN
    RETURN;
  END IF;
  SELECT p.prokind INTO kind FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = check_schema AND p.proname = check_name
     AND p.proargtypes::text = '3802';
  IF NOT FOUND THEN
    RAISE EXCEPTION 'check function %.% does not exist', pg_catalog.quote_ident(check_schema),
      pg_catalog.quote_ident(check_name) USING ERRCODE = 'undefined_function';
  END IF;
  IF kind = 'p' THEN
    EXECUTE pg_catalog.format('CALL %I.%I($1)', check_schema, check_name) USING config;
  ELSE
    EXECUTE pg_catalog.format('SELECT %I.%I($1)', check_schema, check_name) USING config;
  END IF;
END
$$;

CREATE FUNCTION _strata_internal.job_check_timezone(timezone text) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF timezone IS NOT NULL THEN
    PERFORM pg_catalog.timezone(timezone, pg_catalog.now());
  END IF;
EXCEPTION WHEN invalid_parameter_value OR feature_not_supported THEN
  RAISE EXCEPTION 'invalid timezone "%"', timezone USING ERRCODE = 'invalid_parameter_value';
END
$$;

CREATE FUNCTION @extschema@.add_job(
    proc regproc,
    schedule_interval interval,
    config jsonb DEFAULT NULL,
    initial_start timestamptz DEFAULT NULL,
    scheduled boolean DEFAULT true,
    check_config regproc DEFAULT NULL,
    fixed_schedule boolean DEFAULT true,
    timezone text DEFAULT NULL)
  RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  p record;
  c record;
  chk_schema name;
  chk_name name;
BEGIN
  IF proc IS NULL THEN
    RAISE EXCEPTION 'function or procedure cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF schedule_interval IS NULL OR schedule_interval <= interval '0' THEN
    RAISE EXCEPTION 'schedule interval must be positive' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF config IS NOT NULL AND pg_catalog.jsonb_typeof(config) <> 'object' THEN
    RAISE EXCEPTION 'job config must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM _strata_internal.job_check_timezone(timezone);
  p := _strata_internal.job_proc_name(proc, false);
  IF check_config IS NOT NULL THEN
    c := _strata_internal.job_proc_name(check_config, true);
    chk_schema := c.proc_schema;
    chk_name := c.proc_name;
    PERFORM _strata_internal.job_run_check(chk_schema, chk_name, config);
  END IF;
  IF fixed_schedule AND initial_start IS NULL THEN
    initial_start := pg_catalog.now();
  END IF;
  -- a schedule the scheduler could not advance (it would run past the timestamp range) is refused
  PERFORM _strata_internal.job_next_start(initial_start, schedule_interval, interval '5 minutes', -1,
    coalesce(fixed_schedule, true), timezone,
    GREATEST(initial_start, pg_catalog.now()), 0);
  RETURN _strata_internal.job_insert('User-Defined Action', p.proc_schema, p.proc_name,
    schedule_interval, interval '0', -1, interval '5 minutes', coalesce(scheduled, true),
    coalesce(fixed_schedule, true), initial_start, NULL, config, chk_schema, chk_name,
    timezone, coalesce(initial_start, pg_catalog.now()));
END
$$;

-- What alter_job returns (a composite type, so that its column names may repeat the argument names).
CREATE TYPE _strata_internal.alter_job_result AS (
  job_id integer, schedule_interval interval, max_runtime interval, max_retries integer,
  retry_period interval, scheduled boolean, config jsonb, next_start timestamptz,
  check_config text, fixed_schedule boolean, initial_start timestamptz, timezone text);

CREATE FUNCTION @extschema@.alter_job(
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

CREATE FUNCTION @extschema@.delete_job(job_id integer) RETURNS void
  LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  PERFORM _strata_internal.job_delete(job_id);
END
$$;

-- Runs a job now in the calling session, as the calling role; a procedure, so the job may commit.
CREATE PROCEDURE @extschema@.run_job(job_id integer)
  AS 'MODULE_PATHNAME', 'strata_run_job' LANGUAGE C;

-- The retention policy job: drops the chunks of a hypertable entirely older than drop_after
-- (or created before now() - drop_created_before).
CREATE PROCEDURE _strata_internal.policy_retention(job_id integer, config jsonb)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht record;
  extschema name;
  now_value bigint;
BEGIN
  PERFORM _strata_internal.policy_retention_check(config);
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  SELECT n.nspname INTO extschema FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'strata';
  IF config ? 'drop_created_before' THEN
    EXECUTE pg_catalog.format('SELECT %I.drop_chunks($1, created_before => $2)', extschema)
      USING ht.relation, pg_catalog.now() - (config->>'drop_created_before')::interval;
  ELSIF ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
    EXECUTE pg_catalog.format('SELECT %I.%I()::bigint', ht.now_func_schema, ht.now_func)
      INTO now_value;
    EXECUTE pg_catalog.format('SELECT %I.drop_chunks($1, older_than => $2)', extschema)
      USING ht.relation, now_value - (config->>'drop_after')::bigint;
  ELSE
    EXECUTE pg_catalog.format('SELECT %I.drop_chunks($1, older_than => $2)', extschema)
      USING ht.relation, (config->>'drop_after')::interval;
  END IF;
END
$$;

CREATE FUNCTION _strata_internal.policy_retention_check(config jsonb) RETURNS void
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

-- add_retention_policy takes drop_after as "any" (an interval, or an integer for integer time);
-- the C entry point turns it into text and its type and calls the implementation below.
CREATE FUNCTION @extschema@.add_retention_policy(
    relation regclass,
    drop_after "any" DEFAULT NULL,
    if_not_exists boolean DEFAULT false,
    schedule_interval interval DEFAULT NULL,
    initial_start timestamptz DEFAULT NULL,
    timezone text DEFAULT NULL,
    drop_created_before interval DEFAULT NULL)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_add_retention_policy' LANGUAGE C VOLATILE;

CREATE FUNCTION _strata_internal.add_retention_policy(
    relation regclass, drop_after text, drop_after_type regtype, if_not_exists boolean,
    schedule_interval interval, initial_start timestamptz, timezone text,
    drop_created_before interval)
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
    RAISE EXCEPTION 'relation cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  ht_id := _strata_internal.job_hypertable_id(relation);
  IF ht_id IS NULL THEN
    RAISE EXCEPTION 'table "%" is not a hypertable', relation USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relation), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', relation USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info(ht_id);
  is_integer := ht.time_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype);
  IF (drop_after IS NULL) = (drop_created_before IS NULL) THEN
    RAISE EXCEPTION 'need exactly one of drop_after and drop_created_before'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF drop_created_before IS NOT NULL THEN
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id,
                                         'drop_created_before', drop_created_before);
  ELSIF is_integer THEN
    IF drop_after_type NOT IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype, 'unknown'::regtype) THEN
      RAISE EXCEPTION 'invalid value for drop_after: an integer is needed for a hypertable with % time', ht.time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'drop_after', drop_after::bigint);
  ELSE
    IF drop_after_type NOT IN ('interval'::regtype, 'unknown'::regtype) THEN
      RAISE EXCEPTION 'invalid value for drop_after: an interval is needed for a hypertable with % time', ht.time_type
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'drop_after', drop_after::interval);
  END IF;
  PERFORM _strata_internal.policy_retention_check(cfg);
  PERFORM _strata_internal.job_check_timezone(timezone);

  SELECT j.job_id, j.config INTO existing FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_retention'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF FOUND THEN
    IF NOT if_not_exists THEN
      RAISE EXCEPTION 'retention policy already exists for hypertable "%"', relation
        USING ERRCODE = 'duplicate_object';
    END IF;
    IF existing.config = cfg THEN
      RAISE NOTICE 'retention policy already exists for hypertable "%", skipping', relation;
    ELSE
      RAISE WARNING 'retention policy already exists for hypertable "%" with different arguments', relation;
    END IF;
    RETURN -1;
  END IF;
  RETURN _strata_internal.job_insert('Retention Policy', '_strata_internal', 'policy_retention',
    coalesce(schedule_interval, interval '1 day'), interval '5 minutes', -1, interval '5 minutes',
    true, true, coalesce(initial_start, pg_catalog.now()), ht_id, cfg, '_strata_internal',
    'policy_retention_check', timezone, coalesce(initial_start, pg_catalog.now()));
END
$$;

CREATE FUNCTION @extschema@.remove_retention_policy(relation regclass, if_exists boolean DEFAULT false)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht_id integer;
  id integer;
BEGIN
  ht_id := _strata_internal.job_hypertable_id(relation);
  IF ht_id IS NULL THEN
    RAISE EXCEPTION 'table "%" is not a hypertable', relation USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = relation), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', relation USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT j.job_id INTO id FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_retention'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF NOT FOUND THEN
    IF if_exists THEN
      RAISE NOTICE 'retention policy not found for hypertable "%", skipping', relation;
      RETURN;
    END IF;
    RAISE EXCEPTION 'retention policy not found for hypertable "%"', relation
      USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM _strata_internal.job_delete(id);
END
$$;

-- Dropping a hypertable (or its schema) deletes its jobs.
CREATE FUNCTION _strata_internal.jobs_drop_orphans() RETURNS event_trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- Nothing to do while the extension itself (and so the catalog) is being dropped.
  IF pg_catalog.to_regclass('_strata_catalog.bgw_job') IS NULL
     OR pg_catalog.to_regclass('_strata_catalog.hypertable') IS NULL THEN
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() o
              WHERE o.object_type IN ('table', 'schema')) THEN
    DELETE FROM _strata_catalog.bgw_job j
     WHERE j.hypertable_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM _strata_catalog.hypertable h
                         JOIN pg_catalog.pg_namespace n ON n.nspname = h.schema_name
                         JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = h.table_name
                        WHERE h.id = j.hypertable_id);
  END IF;
END
$$;
CREATE EVENT TRIGGER strata_jobs_drop_orphans ON sql_drop
  EXECUTE FUNCTION _strata_internal.jobs_drop_orphans();

CREATE VIEW strata_information.jobs AS
  SELECT j.id AS job_id, j.application_name, j.schedule_interval, j.max_runtime, j.max_retries,
         j.retry_period, j.proc_schema, j.proc_name, j.owner, j.scheduled, j.fixed_schedule,
         j.config, s.next_start, j.initial_start, h.schema_name AS hypertable_schema,
         h.table_name AS hypertable_name, j.check_schema, j.check_name, j.timezone
    FROM _strata_catalog.bgw_job j
    LEFT JOIN _strata_catalog.bgw_job_stat s ON s.job_id = j.id
    LEFT JOIN _strata_catalog.hypertable h ON h.id = j.hypertable_id;

CREATE VIEW strata_information.job_stats AS
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

-- Errors are shown to the roles that own the job (and to superusers).
CREATE VIEW strata_information.job_errors AS
  SELECT e.job_id, e.proc_schema, e.proc_name, e.pid, e.start_time, e.finish_time,
         e.sqlerrcode, e.err_message
    FROM _strata_catalog.job_errors e
    LEFT JOIN _strata_catalog.bgw_job j ON j.id = e.job_id
   WHERE j.id IS NULL AND (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)
      OR pg_catalog.pg_has_role(current_user, j.owner, 'USAGE');
GRANT SELECT ON strata_information.jobs, strata_information.job_stats,
  strata_information.job_errors TO PUBLIC;

SELECT _strata_internal.jobs_start_scheduler();
