-- Continuous aggregates: every way of writing rows invalidates what it touched. MERGE (its
-- INSERT, UPDATE and DELETE actions), INSERT and COPY into a chunk by name, UPDATE moving rows
-- to other buckets and chunks; after a refresh the aggregate equals the raw aggregation.
SET timezone = 'UTC';
-- The range log itself (late rows through the hypertable become delta rows otherwise: test
-- cagg_incremental).
SET strata.cagg_incremental = off;
CREATE TABLE m (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '10 minutes', g % 3, g FROM generate_series(0, 1000) g;
CREATE MATERIALIZED VIEW agg WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(v) AS s FROM m GROUP BY 1, 2;
CREATE VIEW raw AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(v) AS s FROM m GROUP BY 1, 2;
CREATE FUNCTION differ() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((TABLE agg EXCEPT ALL TABLE raw) UNION ALL (TABLE raw EXCEPT ALL TABLE agg)) d $$;
-- The log below the threshold, as timestamps.
CREATE VIEW pending AS
  SELECT _strata_internal.to_timestamptz(lowest) AS lowest,
         _strata_internal.to_timestamptz(greatest) AS greatest
    FROM _strata_catalog.continuous_agg_invalidation i JOIN _strata_catalog.continuous_agg c USING (mat_hypertable_id)
   WHERE i.lowest < c.invalidation_threshold ORDER BY 1;
SELECT differ();
SELECT show_chunks('m') AS chunk ORDER BY 1 LIMIT 1 OFFSET 2 \gset

-- Through the hypertable: the rows' own range is logged, not their chunk's.
INSERT INTO m VALUES ('2024-01-03 05:05+00', 1, 7), ('2024-01-03 06:05+00', 1, 7);
SELECT * FROM pending;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();

-- INSERT into a chunk by name: the chunk's range.
INSERT INTO :chunk VALUES ('2024-01-03 07:07+00', 2, 1000);
SELECT * FROM pending;
SELECT differ() > 0 AS stale;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();

-- COPY into a chunk by name.
COPY :chunk FROM PROGRAM 'printf ''2024-01-03 08:08+00,0,5\n2024-01-03 09:09+00,1,6\n''' WITH (FORMAT csv);
SELECT * FROM pending;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();

-- MERGE: updates, deletes and inserts.
CREATE TABLE src (time timestamptz, device int, v int);
INSERT INTO src VALUES ('2024-01-01 00:10+00', 1, -1),   -- an existing row: updated
                       ('2024-01-02 00:00+00', 0, 0),    -- an existing row: deleted
                       ('2024-01-04 12:34+00', 2, 99);   -- no match: inserted
MERGE INTO m USING src ON m.time = src.time AND m.device = src.device
  WHEN MATCHED AND src.v < 0 THEN UPDATE SET v = m.v + 100, time = m.time + interval '1 hour'
  WHEN MATCHED THEN DELETE
  WHEN NOT MATCHED THEN INSERT VALUES (src.time, src.device, src.v);
SELECT count(*) AS pending_ranges FROM pending;
SELECT differ() > 0 AS stale;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();

-- UPDATE moving rows to other buckets of their chunk and to other chunks.
UPDATE m SET time = time + interval '3 hours' WHERE time >= '2024-01-02 10:00' AND time < '2024-01-02 10:30';
SELECT * FROM pending;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();
-- (Moving rows to another chunk: refused by the chunk's constraint until UPDATE moves rows
-- between chunks; either way the aggregate stays exact.)
DO $$ BEGIN
  UPDATE m SET time = time + interval '1 day 2 hours', device = 5 WHERE time >= '2024-01-05 20:00' AND time < '2024-01-05 20:30';
EXCEPTION WHEN check_violation THEN NULL;
END $$;
SET client_min_messages = warning;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
RESET client_min_messages;
SELECT differ();

-- Chunks created after the aggregate get the statement trigger too.
INSERT INTO m VALUES ('2024-02-01 00:00+00', 0, 1);
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT show_chunks('m') AS newest ORDER BY 1 DESC LIMIT 1 \gset
SELECT tgname FROM pg_trigger WHERE tgrelid = :'newest'::regclass ORDER BY 1;
INSERT INTO :newest VALUES ('2024-02-01 01:00+00', 0, 1);
SELECT * FROM pending;
CALL refresh_continuous_aggregate('agg', NULL, NULL);
SELECT differ();
-- Dropping the aggregate removes the triggers from the hypertable and its chunks.
DROP MATERIALIZED VIEW agg;
SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'strata_cagg%';
