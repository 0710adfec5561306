-- strata 0.1.0 -> 0.2.0: first(), last() and histogram() aggregates, hypertable_index_size().
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

