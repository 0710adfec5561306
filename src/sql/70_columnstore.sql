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
