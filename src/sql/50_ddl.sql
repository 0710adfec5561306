-- DDL support: an sql_drop event trigger keeps the catalog consistent however hypertables, chunks
-- and chunk indexes are dropped (DROP TABLE of a chunk, DROP SCHEMA ... CASCADE, DROP OWNED, a
-- column drop that takes indexes with it). The ProcessUtility hook handles the rest of the DDL.

CREATE FUNCTION _strata_internal.process_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  -- During DROP EXTENSION the catalog itself is among the dropped objects.
  IF pg_catalog.to_regclass('_strata_catalog.chunk_index') IS NULL
     OR pg_catalog.to_regclass('_strata_catalog.chunk') IS NULL
     OR pg_catalog.to_regclass('_strata_catalog.hypertable') IS NULL THEN
    RETURN;
  END IF;

  DELETE FROM _strata_catalog.chunk_index ci
   USING _strata_catalog.chunk c, pg_catalog.pg_event_trigger_dropped_objects() d
   WHERE d.object_type = 'index' AND c.id = ci.chunk_id
     AND d.schema_name = c.schema_name AND d.object_name = ci.index_name;

  -- Deleting a hypertable or chunk row cascades to the rows that reference it.
  DELETE FROM _strata_catalog.chunk c
   USING pg_catalog.pg_event_trigger_dropped_objects() d
   WHERE d.object_type = 'table'
     AND d.schema_name = c.schema_name AND d.object_name = c.table_name;

  DELETE FROM _strata_catalog.hypertable h
   USING pg_catalog.pg_event_trigger_dropped_objects() d
   WHERE d.object_type = 'table'
     AND d.schema_name = h.schema_name AND d.object_name = h.table_name;
END
$$;

CREATE EVENT TRIGGER strata_sql_drop ON sql_drop
  EXECUTE FUNCTION _strata_internal.process_sql_drop();
