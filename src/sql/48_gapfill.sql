-- time_bucket_gapfill, locf and interpolate: dashboard queries that return a row for every bucket
-- of a range, per group, even where no data arrived. In a query that groups by
-- time_bucket_gapfill(...), the planner puts a GapFill node above the aggregation (src/gapfill);
-- it adds the missing buckets, carrying values forward for locf() columns and interpolating
-- interpolate() columns. Evaluated anywhere else, time_bucket_gapfill is time_bucket, and locf
-- and interpolate return their first argument. start and finish default to the bounds the WHERE
-- clause puts on the time column.

CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width interval, ts timestamptz,
                                                start timestamptz DEFAULT NULL, finish timestamptz DEFAULT NULL)
  RETURNS timestamptz AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width interval, ts timestamptz, timezone text,
                                                start timestamptz DEFAULT NULL, finish timestamptz DEFAULT NULL)
  RETURNS timestamptz AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width interval, ts timestamp,
                                                start timestamp DEFAULT NULL, finish timestamp DEFAULT NULL)
  RETURNS timestamp AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width interval, ts date,
                                                start date DEFAULT NULL, finish date DEFAULT NULL)
  RETURNS date AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width smallint, ts smallint,
                                                start smallint DEFAULT NULL, finish smallint DEFAULT NULL)
  RETURNS smallint AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width integer, ts integer,
                                                start integer DEFAULT NULL, finish integer DEFAULT NULL)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket_gapfill(bucket_width bigint, ts bigint,
                                                start bigint DEFAULT NULL, finish bigint DEFAULT NULL)
  RETURNS bigint AS 'MODULE_PATHNAME', 'strata_time_bucket_gapfill' LANGUAGE C STABLE PARALLEL SAFE;

-- Last observation carried forward into the buckets GapFill adds. prev gives the value for
-- buckets before a group's first row; treat_null_as_missing also fills NULLs of real rows.
CREATE FUNCTION @extschema@.locf(value anyelement, prev anyelement DEFAULT NULL,
                                 treat_null_as_missing boolean DEFAULT false)
  RETURNS anyelement AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;

-- Linear interpolation between the neighbouring rows of a group for the buckets GapFill adds.
-- prev and next are (time, value) records for the points before the first and after the last row.
CREATE FUNCTION @extschema@.interpolate(value smallint, prev record DEFAULT NULL, next record DEFAULT NULL)
  RETURNS smallint AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.interpolate(value integer, prev record DEFAULT NULL, next record DEFAULT NULL)
  RETURNS integer AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.interpolate(value bigint, prev record DEFAULT NULL, next record DEFAULT NULL)
  RETURNS bigint AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.interpolate(value real, prev record DEFAULT NULL, next record DEFAULT NULL)
  RETURNS real AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.interpolate(value double precision, prev record DEFAULT NULL, next record DEFAULT NULL)
  RETURNS double precision AS 'MODULE_PATHNAME', 'strata_gapfill_marker' LANGUAGE C STABLE PARALLEL SAFE;
