-- strata_information: the catalog as views with TimescaleDB's column names.

CREATE VIEW strata_information.hypertables AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name  AS hypertable_name,
       pg_catalog.pg_get_userbyid(c.relowner) AS owner,
       (SELECT pg_catalog.count(*)::smallint FROM _strata_catalog.dimension d WHERE d.hypertable_id = h.id) AS num_dimensions,
       (SELECT pg_catalog.count(*)::bigint FROM _strata_catalog.chunk k WHERE k.hypertable_id = h.id) AS num_chunks,
       h.compression_state > 0 AS compression_enabled,
       CASE WHEN c.reltablespace = 0 THEN NULL
            ELSE ARRAY[(SELECT t.spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = c.reltablespace)] END AS tablespaces,
       d.column_name AS primary_dimension,
       d.column_type AS primary_dimension_type
  FROM _strata_catalog.hypertable h
  JOIN pg_catalog.pg_namespace n ON n.nspname = h.schema_name
  JOIN pg_catalog.pg_class c ON c.relname = h.table_name AND c.relnamespace = n.oid
  LEFT JOIN LATERAL (SELECT * FROM _strata_catalog.dimension d WHERE d.hypertable_id = h.id
                      ORDER BY d.id LIMIT 1) d ON true;

CREATE VIEW strata_information.chunks AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name  AS hypertable_name,
       k.schema_name AS chunk_schema,
       k.table_name  AS chunk_name,
       d.column_name AS primary_dimension,
       d.column_type AS primary_dimension_type,
       CASE WHEN d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_start) END AS range_start,
       CASE WHEN d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN _strata_internal.to_timestamptz(k.range_end) END AS range_end,
       CASE WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_start END AS range_start_integer,
       CASE WHEN d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN k.range_end END AS range_end_integer,
       (k.status & 1) <> 0 AS is_compressed,
       (SELECT t.spcname FROM pg_catalog.pg_tablespace t WHERE t.oid = c.reltablespace) AS chunk_tablespace,
       k.creation_time AS chunk_creation_time
  FROM _strata_catalog.chunk k
  JOIN _strata_catalog.hypertable h ON h.id = k.hypertable_id
  LEFT JOIN LATERAL (SELECT * FROM _strata_catalog.dimension d WHERE d.hypertable_id = h.id
                      ORDER BY d.id LIMIT 1) d ON true
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = k.schema_name
  LEFT JOIN pg_catalog.pg_class c ON c.relname = k.table_name AND c.relnamespace = n.oid;

CREATE VIEW strata_information.dimensions AS
SELECT h.schema_name AS hypertable_schema,
       h.table_name  AS hypertable_name,
       (pg_catalog.row_number() OVER (PARTITION BY d.hypertable_id ORDER BY d.id))::integer AS dimension_number,
       d.column_name,
       d.column_type,
       CASE WHEN d.num_slices IS NULL THEN 'Time' ELSE 'Space' END::text AS dimension_type,
       CASE WHEN d.num_slices IS NULL
             AND d.column_type IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)
            THEN pg_catalog.justify_hours(d.interval_length * INTERVAL '1 microsecond') END AS time_interval,
       CASE WHEN d.num_slices IS NULL
             AND d.column_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
            THEN d.interval_length END AS integer_interval,
       d.integer_now_func,
       d.num_slices AS num_partitions
  FROM _strata_catalog.dimension d
  JOIN _strata_catalog.hypertable h ON h.id = d.hypertable_id;

GRANT SELECT ON ALL TABLES IN SCHEMA strata_information TO PUBLIC;
GRANT SELECT ON ALL TABLES IN SCHEMA _strata_catalog TO PUBLIC;
