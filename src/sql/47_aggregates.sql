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
