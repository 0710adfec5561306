-- Generic UPDATE on a 1,000-chunk hypertable vs a plain table (issue 16, docs/BENCHMARKS.md
-- "Generic UPDATE/DELETE plans and chunk locks"): milliseconds per execution of a cached
-- (generic) one-hour UPDATE, each in its own transaction, from a PL/pgSQL procedure. Run with
-- psql in a scratch database where strata is installed (max_locks_per_transaction >= 256).
SET timezone = 'UTC';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE bh (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('bh', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
INSERT INTO bh SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 20) * interval '1 minute', j, i
  FROM generate_series(0, 999) i, generate_series(0, 2) j;
CREATE TABLE bp (LIKE bh);
CREATE INDEX ON bp (time DESC);
INSERT INTO bp SELECT * FROM bh;
CREATE TABLE res (what text, run int, ms float8);
CREATE PROCEDURE run_upd(tbl text, n int, run int) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; lo timestamptz;
BEGIN
  SET LOCAL plan_cache_mode = force_generic_plan;
  t0 := clock_timestamp();
  FOR i IN 1..n LOOP
    lo := timestamptz '2026-01-01' + (i % 990) * interval '1 hour';
    IF tbl = 'bh' THEN
      UPDATE bh SET v = v + 1 WHERE time >= lo AND time < lo + interval '1 hour';
    ELSE
      UPDATE bp SET v = v + 1 WHERE time >= lo AND time < lo + interval '1 hour';
    END IF;
    COMMIT;
    SET LOCAL plan_cache_mode = force_generic_plan;
  END LOOP;
  INSERT INTO res VALUES (tbl, run, extract(epoch FROM clock_timestamp() - t0) * 1000 / n);
  COMMIT;
END $$;
CALL run_upd('bh', 20, 0);
CALL run_upd('bp', 20, 0);
CALL run_upd('bh', 300, 1);
CALL run_upd('bp', 300, 1);
CALL run_upd('bh', 300, 2);
CALL run_upd('bp', 300, 2);
CALL run_upd('bh', 300, 3);
CALL run_upd('bp', 300, 3);
SELECT what, run, round(ms::numeric, 3) AS ms_per_update FROM res WHERE run > 0 ORDER BY run, what;
