-- Schemas owned by the extension. Users reach strata through the public functions and the
-- strata_information views; _strata_catalog holds the catalog, _strata_internal the chunks and
-- internal functions.
\echo Use "CREATE EXTENSION strata" to load this file. \quit

CREATE SCHEMA _strata_catalog;
CREATE SCHEMA _strata_internal;
CREATE SCHEMA strata_information;
GRANT USAGE ON SCHEMA _strata_catalog, _strata_internal, strata_information TO PUBLIC;

-- Refuses CREATE EXTENSION where the library cannot be loaded, and warns when it is not preloaded
-- (background jobs need shared_preload_libraries = 'strata').
CREATE FUNCTION _strata_internal.check_setup() RETURNS void
  AS 'MODULE_PATHNAME', 'strata_check_setup' LANGUAGE C;
SELECT _strata_internal.check_setup();
