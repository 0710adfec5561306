-- An INSERT keeps the hypertable it inserted into across statements (KeptTarget in
-- src/ingest/dispatch.cpp): later statements into the same hypertable use that copy instead of
-- looking the hypertable and its continuous aggregates up. It must never be stale: a new chunk
-- interval, a continuous aggregate created or dropped in the same session, another hypertable in
-- between, and a statement into the same hypertable running inside one (from a trigger) each
-- behave as with a fresh lookup.
SET timezone = 'UTC';
SET plan_cache_mode = force_generic_plan;
CREATE TABLE kt (ts timestamptz NOT NULL, dev int NOT NULL, val int);
SELECT * FROM create_hypertable('kt', by_range('ts', INTERVAL '1 day'));
CREATE TABLE kt2 (ts timestamptz NOT NULL, dev int NOT NULL);
SELECT * FROM create_hypertable('kt2', by_range('ts', INTERVAL '7 days'));
CREATE VIEW kt_chunks AS
  SELECT hypertable_name, to_char(range_start, 'YYYY-MM-DD') AS start, to_char(range_end, 'YYYY-MM-DD') AS end
    FROM strata_information.chunks WHERE hypertable_name IN ('kt', 'kt2') ORDER BY 1, 2;
PREPARE ins(timestamptz, int, int) AS INSERT INTO kt VALUES ($1, $2, $3);
PREPARE ins2(timestamptz, int) AS INSERT INTO kt2 VALUES ($1, $2);
EXECUTE ins('2024-01-01 01:00', 1, 1);
EXECUTE ins('2024-01-01 02:00', 2, 2);
EXECUTE ins('2024-01-02 01:00', 3, 3);
-- another hypertable in between, then the first again
EXECUTE ins2('2024-01-01 01:00', 1);
EXECUTE ins('2024-01-03 01:00', 4, 4);
-- a new chunk interval: the next new chunk is 3 days long
SELECT set_chunk_time_interval('kt', INTERVAL '3 days');
EXECUTE ins('2024-01-10 01:00', 5, 5);
EXECUTE ins('2024-01-11 01:00', 6, 6);
SELECT * FROM kt_chunks;

-- a continuous aggregate created in this session: the rows inserted afterwards below its
-- refreshed range are tracked, and the next refresh brings them in
CREATE MATERIALIZED VIEW kt_daily WITH (strata.continuous, strata.materialized_only = true) AS
  SELECT time_bucket('1 day', ts) AS day, count(*) AS n, sum(val) AS s FROM kt GROUP BY 1 WITH NO DATA;
CALL refresh_continuous_aggregate('kt_daily', '2024-01-01', '2024-01-20');
SELECT to_char(day, 'YYYY-MM-DD') AS day, n, s FROM kt_daily ORDER BY 1;
EXECUTE ins('2024-01-01 03:00', 7, 7);
EXECUTE ins('2024-01-02 03:00', 8, 8);
EXECUTE ins2('2024-01-02 03:00', 2);
EXECUTE ins('2024-01-02 04:00', 9, 9);
CALL refresh_continuous_aggregate('kt_daily', '2024-01-01', '2024-01-20');
SELECT to_char(day, 'YYYY-MM-DD') AS day, n, s FROM kt_daily ORDER BY 1;
-- dropped again: inserts go on
DROP MATERIALIZED VIEW kt_daily;
EXECUTE ins('2024-01-03 03:00', 10, 10);
EXECUTE ins('2024-01-03 04:00', 11, 11);

-- a statement into the same hypertable inside one (an AFTER ROW trigger inserting a mirror row a
-- day later for negative values): the inner statement looks the hypertable up itself
CREATE FUNCTION kt_mirror() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.val < 0 THEN
    INSERT INTO kt VALUES (NEW.ts + INTERVAL '1 day', NEW.dev, -NEW.val);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER kt_mirror AFTER INSERT ON kt FOR EACH ROW EXECUTE FUNCTION kt_mirror();
EXECUTE ins('2024-01-04 01:00', 12, -12);
EXECUTE ins('2024-01-04 02:00', 13, 13);
EXECUTE ins('2024-01-20 01:00', 14, -14);
EXECUTE ins('2024-01-04 03:00', 15, -15);
SELECT to_char(ts, 'YYYY-MM-DD HH24:MI') AS ts, dev, val FROM kt ORDER BY dev, ts;
SELECT * FROM kt_chunks;
DROP TABLE kt, kt2 CASCADE;
