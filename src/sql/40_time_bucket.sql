-- time_bucket: TimescaleDB-compatible bucketing of timestamps, dates and integers.
-- Widths are intervals of whole months (aligned to 2000-01-01) or of days and time (aligned to
-- Monday 2000-01-03 unless an origin is given); integer widths are aligned to 0. timestamptz
-- values are bucketed in UTC unless a time zone is given. Every form is IMMUTABLE: none reads
-- the session time zone.

CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamp) RETURNS timestamp
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamptz) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts date) RETURNS date
  AS 'MODULE_PATHNAME', 'strata_time_bucket_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamp, origin timestamp) RETURNS timestamp
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamptz, origin timestamptz) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts date, origin date) RETURNS date
  AS 'MODULE_PATHNAME', 'strata_time_bucket_date' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamp, "offset" interval) RETURNS timestamp
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts_offset' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamptz, "offset" interval) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'strata_time_bucket_ts_offset' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts date, "offset" interval) RETURNS date
  AS 'MODULE_PATHNAME', 'strata_time_bucket_date_offset' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Bucketing in the local time of a named zone; NULL origin or offset means none.
CREATE FUNCTION @extschema@.time_bucket(bucket_width interval, ts timestamptz, timezone text,
                                        origin timestamptz DEFAULT NULL, "offset" interval DEFAULT NULL)
  RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'strata_time_bucket_tz' LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.time_bucket(bucket_width smallint, ts smallint) RETURNS smallint
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int16' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width integer, ts integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int32' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width bigint, ts bigint) RETURNS bigint
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int64' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width smallint, ts smallint, "offset" smallint) RETURNS smallint
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int16' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width integer, ts integer, "offset" integer) RETURNS integer
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int32' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.time_bucket(bucket_width bigint, ts bigint, "offset" bigint) RETURNS bigint
  AS 'MODULE_PATHNAME', 'strata_time_bucket_int64' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
