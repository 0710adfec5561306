-- DDL support: event triggers behind the ProcessUtility hook (src/ddl). An sql_drop trigger keeps
-- the catalog consistent however hypertables, chunks and chunk indexes are dropped (DROP TABLE of a
-- chunk, DROP SCHEMA ... CASCADE, DROP OWNED, a column drop that takes indexes with it);
-- ddl_command_start / end triggers cover statements that began before the library was loaded.

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

-- Without shared_preload_libraries, the first statement of a session may run before the library
-- (and its ProcessUtility hook) is loaded. These triggers load it; for such a statement the first
-- does the hook's checks (and the chunk drops of DROP TABLE), the second adds to the chunks what
-- the statement added to a hypertable (indexes, foreign keys, row triggers, privileges).
CREATE FUNCTION _strata_internal.process_ddl_command_start() RETURNS event_trigger
  AS 'MODULE_PATHNAME', 'strata_ddl_command_start' LANGUAGE C;
CREATE EVENT TRIGGER strata_ddl_command_start ON ddl_command_start
  WHEN TAG IN ('CREATE INDEX', 'ALTER TABLE', 'DROP TABLE')
  EXECUTE FUNCTION _strata_internal.process_ddl_command_start();
CREATE FUNCTION _strata_internal.process_ddl_command_end() RETURNS event_trigger
  AS 'MODULE_PATHNAME', 'strata_ddl_command_end' LANGUAGE C;
CREATE EVENT TRIGGER strata_ddl_command_end ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX', 'ALTER TABLE', 'CREATE TRIGGER', 'GRANT')
  EXECUTE FUNCTION _strata_internal.process_ddl_command_end();
