-- Late rows merged into materialized rows in place: the materialization of an aggregate that
-- merges late rows leaves free space in its pages (strata.cagg_fillfactor), so the merge's
-- UPDATE is HOT (no new index entries); delta rows of distinct buckets and groups are merged as
-- they are, others are combined first. Every step compares the aggregate with the raw rows.
SET timezone = 'UTC';
CREATE TABLE hot (time timestamptz NOT NULL, grp int, tag text, v int, x numeric);
SELECT create_hypertable('hot', by_range('time', interval '1 day'));
-- 3,000 groups in one bucket: materialized rows over many heap pages.
INSERT INTO hot SELECT '2024-01-01 00:10', g, 't' || (g % 7), g, g % 3 FROM generate_series(1, 3000) g;
INSERT INTO hot VALUES ('2024-01-03', 1, 't1', 1, 1);
CREATE VIEW hot_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, tag, count(*) AS n, sum(v) AS s FROM hot
   WHERE time < '2024-01-02' GROUP BY 1, 2, 3;
CREATE MATERIALIZED VIEW hot_agg WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, tag, count(*) AS n, sum(v) AS s FROM hot GROUP BY 1, 2, 3
  WITH NO DATA;
SET strata.cagg_fillfactor = 100;
CREATE MATERIALIZED VIEW full_pages WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, grp, tag, count(*) AS n, sum(v) AS s FROM hot GROUP BY 1, 2, 3
  WITH NO DATA;
RESET strata.cagg_fillfactor;
-- Not merged (avg of a float: recomputed), so no free space left.
CREATE MATERIALIZED VIEW recomputed WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, avg(v::float8) AS a FROM hot GROUP BY 1 WITH NO DATA;
-- Grouped by numeric: 1.0 and 1.00 are one group with different binary values.
CREATE MATERIALIZED VIEW by_numeric WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, x, count(*) AS n FROM hot GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW by_numeric_raw AS
  SELECT time_bucket('1 hour', time) AS bucket, x, count(*) AS n FROM hot WHERE time < '2024-01-02' GROUP BY 1, 2;
CALL refresh_continuous_aggregate('hot_agg', NULL, '2024-01-02');
CALL refresh_continuous_aggregate('full_pages', NULL, '2024-01-02');
CALL refresh_continuous_aggregate('recomputed', NULL, '2024-01-02');
CALL refresh_continuous_aggregate('by_numeric', NULL, '2024-01-02');
CREATE FUNCTION mat(agg text) RETURNS regclass LANGUAGE sql AS $$
  SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)::regclass
    FROM strata_information.continuous_aggregates WHERE view_name = agg $$;
-- The storage parameters of each materialization and of its chunks.
SELECT v AS agg, (SELECT reloptions FROM pg_class WHERE oid = mat(v)) AS materialization,
       (SELECT array_agg(DISTINCT coalesce(c.reloptions::text, '-')) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = mat(v)) AS chunks
  FROM unnest(ARRAY['hot_agg', 'full_pages', 'recomputed', 'by_numeric']) v ORDER BY 1;

-- One late row for every 20th group, in one transaction: distinct buckets and groups.
INSERT INTO hot SELECT '2024-01-01 00:20', g, 't' || (g % 7), 1000, 1 FROM generate_series(20, 3000, 20) g;
-- (packed: a few catalog rows of up to 1,600 bytes of values each hold the bucket's 150 delta rows)
SELECT count(*) AS catalog_rows, sum(CASE array_ndims(d.vals) WHEN 2 THEN array_length(d.vals, 1) ELSE 1 END) AS delta_rows FROM _strata_catalog.continuous_agg_delta d
 WHERE mat_hypertable_id = (SELECT mat_hypertable_id FROM _strata_catalog.continuous_agg WHERE user_view_name = 'hot_agg');
CALL refresh_continuous_aggregate('hot_agg', NULL, '2024-01-02');
CALL refresh_continuous_aggregate('full_pages', NULL, '2024-01-02');
-- (rows in one and not in the other)
SELECT (SELECT count(*) FROM ((TABLE hot_agg EXCEPT ALL TABLE hot_raw) UNION ALL (TABLE hot_raw EXCEPT ALL TABLE hot_agg)) d) AS hot_agg,
       (SELECT count(*) FROM ((TABLE full_pages EXCEPT ALL TABLE hot_raw) UNION ALL (TABLE hot_raw EXCEPT ALL TABLE full_pages)) d) AS full_pages;
-- Every update of hot_agg was HOT; full_pages had no room for most.
SELECT pg_stat_force_next_flush();
SELECT v AS agg, sum(pg_stat_get_tuples_updated(i.inhrelid)) AS updated,
       sum(pg_stat_get_tuples_hot_updated(i.inhrelid)) = sum(pg_stat_get_tuples_updated(i.inhrelid)) AS all_hot
  FROM unnest(ARRAY['hot_agg', 'full_pages']) v JOIN pg_inherits i ON i.inhparent = mat(v) GROUP BY 1 ORDER BY 1;

-- Late rows of one bucket and group in two transactions: combined before the merge.
INSERT INTO hot VALUES ('2024-01-01 00:30', 40, 't5', 5, 1.0), ('2024-01-01 00:31', 3001, 'new', 6, 1.0);
INSERT INTO hot VALUES ('2024-01-01 00:40', 40, 't5', 7, 1.00), ('2024-01-01 00:41', 3001, 'new', 8, 1.00);
CALL refresh_continuous_aggregate('hot_agg', NULL, '2024-01-02');
CALL refresh_continuous_aggregate('by_numeric', NULL, '2024-01-02');
SELECT (SELECT count(*) FROM ((TABLE hot_agg EXCEPT ALL TABLE hot_raw) UNION ALL (TABLE hot_raw EXCEPT ALL TABLE hot_agg)) d) AS hot_agg,
       (SELECT count(*) FROM ((TABLE by_numeric EXCEPT ALL TABLE by_numeric_raw) UNION ALL (TABLE by_numeric_raw EXCEPT ALL TABLE by_numeric)) d) AS by_numeric;
SELECT * FROM hot_agg WHERE grp IN (40, 3001) ORDER BY grp;
SELECT * FROM by_numeric ORDER BY x;

-- Delta rows of one bucket and group written by one transaction (as a restore of the catalog
-- writes them): combined too, each counts.
INSERT INTO hot VALUES ('2024-01-01 00:50', 60, 't4', 1, 2), ('2024-01-01 00:51', 3002, 'new', 2, 2);
BEGIN;
CREATE TEMP TABLE d AS SELECT * FROM _strata_catalog.continuous_agg_delta;
INSERT INTO _strata_catalog.continuous_agg_delta SELECT * FROM d;
COMMIT;
CALL refresh_continuous_aggregate('hot_agg', NULL, '2024-01-02');
SELECT * FROM hot_agg WHERE grp IN (60, 3002) ORDER BY grp;
SELECT * FROM hot_raw WHERE grp IN (60, 3002) ORDER BY grp;
