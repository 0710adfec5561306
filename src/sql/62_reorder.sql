-- reorder_chunk, move_chunk and the reorder policy: rewrite a chunk in the order of one of its
-- indexes (PostgreSQL's CLUSTER, which takes an ACCESS EXCLUSIVE lock on the chunk while it runs),
-- and move a chunk with its indexes to other tablespaces. A chunk reordered by an index keeps that
-- index marked as clustered (pg_index.indisclustered); the policy reorders, one per run, the oldest
-- chunk not yet clustered on the policy's index, leaving the two newest time ranges (which still
-- receive rows) alone. Compressed chunks are refused: their rows live in batches.

-- The chunk catalog row of `chunk` and its hypertable, checking that the caller may change it.
CREATE FUNCTION _strata_internal.chunk_for_maintenance(chunk regclass, what text,
    OUT chunk_id integer, OUT hypertable_id integer, OUT hypertable regclass, OUT status integer)
  RETURNS record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF chunk IS NULL THEN
    RAISE EXCEPTION 'chunk cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT ch.id, ch.hypertable_id, pg_catalog.format('%I.%I', h.schema_name, h.table_name)::regclass, ch.status
    INTO chunk_id, hypertable_id, hypertable, status
    FROM _strata_catalog.chunk ch
    JOIN _strata_catalog.hypertable h ON h.id = ch.hypertable_id
    JOIN pg_catalog.pg_class c ON c.relname = ch.table_name
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = ch.schema_name
   WHERE c.oid = chunk;
  IF chunk_id IS NULL THEN
    RAISE EXCEPTION '"%" is not a chunk', chunk USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = hypertable), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', hypertable USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF status & 1 <> 0 THEN
    RAISE EXCEPTION 'cannot % compressed chunk "%"', what, chunk USING ERRCODE = 'feature_not_supported',
      HINT = 'Decompress it first with decompress_chunk().';
  END IF;
END
$$;

-- The chunk's copy of hypertable index `index_name`.
CREATE FUNCTION _strata_internal.chunk_index_of(chunk_id integer, index_name name) RETURNS regclass
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.format('%I.%I', ch.schema_name, ci.index_name)::regclass
    FROM _strata_catalog.chunk_index ci JOIN _strata_catalog.chunk ch ON ch.id = ci.chunk_id
   WHERE ci.chunk_id = $1 AND ci.hypertable_index_name = $2
$$;

CREATE FUNCTION @extschema@.reorder_chunk(chunk regclass, index regclass DEFAULT NULL, verbose boolean DEFAULT false)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c record;
  target regclass;
  owner_rel oid;
BEGIN
  SELECT * INTO c FROM _strata_internal.chunk_for_maintenance(chunk, 'reorder');
  IF index IS NULL THEN
    -- The index the chunk, or else the hypertable, was last clustered on.
    SELECT i.indexrelid::regclass INTO target FROM pg_catalog.pg_index i
     WHERE i.indrelid = chunk AND i.indisclustered;
    IF target IS NULL THEN
      SELECT _strata_internal.chunk_index_of(c.chunk_id, ic.relname) INTO target
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
       WHERE i.indrelid = c.hypertable AND i.indisclustered;
    END IF;
    IF target IS NULL THEN
      RAISE EXCEPTION 'there is no previously clustered index for chunk "%"', chunk
        USING ERRCODE = 'undefined_object',
              HINT = 'Pass the index to order by: reorder_chunk(chunk, index).';
    END IF;
  ELSE
    SELECT i.indrelid INTO owner_rel FROM pg_catalog.pg_index i WHERE i.indexrelid = index;
    IF owner_rel = chunk THEN
      target := index;
    ELSIF owner_rel = c.hypertable THEN
      target := _strata_internal.chunk_index_of(c.chunk_id, (SELECT relname FROM pg_catalog.pg_class WHERE oid = index));
      IF target IS NULL THEN
        RAISE EXCEPTION 'chunk "%" has no copy of index "%"', chunk, index USING ERRCODE = 'undefined_object';
      END IF;
    ELSE
      RAISE EXCEPTION '"%" is not an index of hypertable "%" or of chunk "%"', index, c.hypertable, chunk
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END IF;
  EXECUTE pg_catalog.format('CLUSTER %s %s USING %I', CASE WHEN $3 THEN 'VERBOSE' ELSE '' END, chunk,
                            (SELECT relname FROM pg_catalog.pg_class WHERE oid = target));
END
$$;

CREATE FUNCTION @extschema@.move_chunk(chunk regclass, destination_tablespace name,
    index_destination_tablespace name DEFAULT NULL, reorder_index regclass DEFAULT NULL,
    verbose boolean DEFAULT false)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  c record;
  idx regclass;
BEGIN
  SELECT * INTO c FROM _strata_internal.chunk_for_maintenance(chunk, 'move');
  IF destination_tablespace IS NULL THEN
    RAISE EXCEPTION 'destination_tablespace cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = destination_tablespace) THEN
    RAISE EXCEPTION 'tablespace "%" does not exist', destination_tablespace USING ERRCODE = 'undefined_object';
  END IF;
  IF index_destination_tablespace IS NOT NULL AND
     NOT EXISTS (SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = index_destination_tablespace) THEN
    RAISE EXCEPTION 'tablespace "%" does not exist', index_destination_tablespace USING ERRCODE = 'undefined_object';
  END IF;
  EXECUTE pg_catalog.format('ALTER TABLE %s SET TABLESPACE %I', chunk, destination_tablespace);
  FOR idx IN SELECT i.indexrelid::regclass FROM pg_catalog.pg_index i WHERE i.indrelid = chunk LOOP
    EXECUTE pg_catalog.format('ALTER INDEX %s SET TABLESPACE %I', idx,
                              coalesce(index_destination_tablespace, destination_tablespace));
  END LOOP;
  IF reorder_index IS NOT NULL THEN
    PERFORM @extschema@.reorder_chunk(chunk, reorder_index, $5);  -- $5: verbose, a keyword
  END IF;
END
$$;

-- The reorder policy job.
CREATE FUNCTION _strata_internal.policy_reorder_check(config jsonb) RETURNS void
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht record;
BEGIN
  IF config IS NULL OR NOT config ? 'hypertable_id' OR NOT config ? 'index_name' THEN
    RAISE EXCEPTION 'reorder policy config must contain "hypertable_id" and "index_name"'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  IF ht.relation IS NULL THEN
    RAISE EXCEPTION 'hypertable with id % does not exist', config->>'hypertable_id'
      USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                  WHERE i.indrelid = ht.relation AND ic.relname = config->>'index_name') THEN
    RAISE EXCEPTION 'invalid reorder index "%": not an index of hypertable "%"', config->>'index_name', ht.relation
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
END
$$;

-- The oldest chunk of the hypertable that is neither compressed, nor in one of its two newest
-- time ranges, nor clustered on the policy's index yet.
CREATE FUNCTION _strata_internal.policy_reorder_next_chunk(hypertable_id integer, index_name name)
  RETURNS regclass LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT pg_catalog.format('%I.%I', ch.schema_name, ch.table_name)::regclass
    FROM _strata_catalog.chunk ch
    JOIN _strata_catalog.chunk_index ci ON ci.chunk_id = ch.id AND ci.hypertable_index_name = $2
    JOIN pg_catalog.pg_namespace n ON n.nspname = ch.schema_name
    JOIN pg_catalog.pg_class ic ON ic.relname = ci.index_name AND ic.relnamespace = n.oid
    JOIN pg_catalog.pg_index i ON i.indexrelid = ic.oid
   WHERE ch.hypertable_id = $1 AND ch.status & 1 = 0 AND NOT i.indisclustered
     AND ch.range_end < (SELECT min(r.range_end) FROM (SELECT DISTINCT c2.range_end FROM _strata_catalog.chunk c2
                                                       WHERE c2.hypertable_id = $1
                                                       ORDER BY c2.range_end DESC LIMIT 2) r)
     AND (SELECT count(DISTINCT c3.range_end) FROM _strata_catalog.chunk c3 WHERE c3.hypertable_id = $1) > 2
   ORDER BY ch.range_start, ch.id
   LIMIT 1
$$;

CREATE PROCEDURE _strata_internal.policy_reorder(job_id integer, config jsonb)
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht record;
  chunk regclass;
  extschema name;
BEGIN
  PERFORM _strata_internal.policy_reorder_check(config);
  SELECT * INTO ht FROM _strata_internal.job_hypertable_info((config->>'hypertable_id')::integer);
  chunk := _strata_internal.policy_reorder_next_chunk((config->>'hypertable_id')::integer, config->>'index_name');
  IF chunk IS NULL THEN
    RETURN;
  END IF;
  SELECT n.nspname INTO extschema FROM pg_catalog.pg_extension e
    JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'strata';
  PERFORM _strata_internal.job_report_step(pg_catalog.format('reordering chunk %s by index %s', chunk, config->>'index_name'));
  EXECUTE pg_catalog.format('SELECT %I.reorder_chunk($1, $2)', extschema)
    USING chunk, pg_catalog.format('%I.%I', (SELECT nspname FROM pg_catalog.pg_namespace WHERE oid =
                                                (SELECT relnamespace FROM pg_catalog.pg_class WHERE oid = ht.relation)),
                                   config->>'index_name')::regclass;
END
$$;

-- The id of the hypertable a policy is added to or removed from, checking that the caller owns it.
CREATE FUNCTION _strata_internal.policy_hypertable(hypertable regclass) RETURNS integer
  LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht_id integer;
BEGIN
  IF hypertable IS NULL THEN
    RAISE EXCEPTION 'hypertable cannot be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  ht_id := _strata_internal.job_hypertable_id(hypertable);
  IF ht_id IS NULL THEN
    RAISE EXCEPTION 'table "%" is not a hypertable', hypertable USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT pg_catalog.pg_has_role((SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = hypertable), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of hypertable "%"', hypertable USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN ht_id;
END
$$;

CREATE FUNCTION @extschema@.add_reorder_policy(hypertable regclass, index_name name,
    if_not_exists boolean DEFAULT false, initial_start timestamptz DEFAULT NULL, timezone text DEFAULT NULL)
  RETURNS integer LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht_id integer;
  cfg jsonb;
  existing record;
  schedule interval := interval '4 days';
  chunk_usec bigint;
  time_type regtype;
BEGIN
  ht_id := _strata_internal.policy_hypertable(hypertable);
  cfg := pg_catalog.jsonb_build_object('hypertable_id', ht_id, 'index_name', index_name);
  PERFORM _strata_internal.policy_reorder_check(cfg);
  PERFORM _strata_internal.job_check_timezone(timezone);
  -- Half a chunk interval for time hypertables (a chunk leaves the two newest ranges that often).
  SELECT d.interval_length, d.column_type INTO chunk_usec, time_type
    FROM _strata_catalog.dimension d WHERE d.hypertable_id = ht_id ORDER BY d.id LIMIT 1;
  IF time_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    schedule := pg_catalog.make_interval(secs => chunk_usec / 2 / 1000000.0);
  END IF;

  SELECT j.job_id, j.config INTO existing FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_reorder'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF FOUND THEN
    IF NOT if_not_exists THEN
      RAISE EXCEPTION 'reorder policy already exists for hypertable "%"', hypertable
        USING ERRCODE = 'duplicate_object';
    END IF;
    IF existing.config = cfg THEN
      RAISE NOTICE 'reorder policy already exists for hypertable "%", skipping', hypertable;
    ELSE
      RAISE WARNING 'reorder policy already exists for hypertable "%" with different arguments', hypertable;
    END IF;
    RETURN -1;
  END IF;
  RETURN _strata_internal.job_insert('Reorder Policy', '_strata_internal', 'policy_reorder',
    schedule, interval '0', -1, interval '5 minutes', true, false, coalesce(initial_start, pg_catalog.now()),
    ht_id, cfg, '_strata_internal', 'policy_reorder_check', timezone, coalesce(initial_start, pg_catalog.now()));
END
$$;

CREATE FUNCTION @extschema@.remove_reorder_policy(hypertable regclass, if_exists boolean DEFAULT false)
  RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  ht_id integer;
  id integer;
BEGIN
  ht_id := _strata_internal.policy_hypertable(hypertable);
  SELECT j.job_id INTO id FROM strata_information.jobs j
   WHERE j.proc_schema = '_strata_internal' AND j.proc_name = 'policy_reorder'
     AND (j.config->>'hypertable_id')::integer = ht_id;
  IF id IS NULL THEN
    IF if_exists THEN
      RAISE NOTICE 'reorder policy not found for hypertable "%", skipping', hypertable;
      RETURN;
    END IF;
    RAISE EXCEPTION 'reorder policy not found for hypertable "%"', hypertable USING ERRCODE = 'undefined_object';
  END IF;
  PERFORM _strata_internal.job_delete(id);
END
$$;
