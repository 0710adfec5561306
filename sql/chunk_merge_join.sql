-- Merge joins over ChunkMergeAppend (src/planner/chunk_merge.cpp): a generic plan whose
-- hypertable side is a merge of the chunks in (device, time DESC) order, excluding chunks at
-- executor start, on the outer and on the inner side of a merge join (where the join marks and
-- restores its inner position over duplicate keys: ChunkMergeAppend cannot, so a Material sits
-- above it), compared with the same join over a plain table.
\set VERBOSITY terse
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET max_parallel_workers_per_gather = 0;
CREATE TABLE mj (time timestamptz NOT NULL, device int, v float8);
SELECT create_hypertable('mj', 'time', chunk_time_interval => interval '1 hour') IS NOT NULL AS created;
CREATE INDEX mj_device_time ON mj (device, time DESC);
INSERT INTO mj SELECT timestamptz '2026-01-01' + i * interval '1 hour' + (j * 9) * interval '1 minute', j % 4, i * 10 + j
  FROM generate_series(0, 47) i, generate_series(0, 5) j;
CREATE TABLE mj_plain AS SELECT * FROM mj;
CREATE INDEX ON mj_plain (device, time DESC);
CREATE TABLE devs (device int PRIMARY KEY, name text);
INSERT INTO devs SELECT d, 'dev ' || d FROM generate_series(-1, 5) d;
ANALYZE mj;
ANALYZE mj_plain;
ANALYZE devs;
SELECT count(*) AS chunks FROM show_chunks('mj');

-- EXPLAIN with the chunks' names masked.
CREATE FUNCTION mj_explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    RETURN NEXT regexp_replace(line, '_hyper_\d+_\d+_chunk', '_hyper_N_chunk', 'g');
  END LOOP;
END $$;

SET plan_cache_mode = force_generic_plan;
SET enable_hashjoin = off;
SET enable_nestloop = off;
SET enable_sort = off;

-- The hypertable outer, devices inner.
PREPARE j1(timestamptz, timestamptz) AS
  SELECT d.name, m.time, m.v FROM mj m JOIN devs d ON d.device = m.device
  WHERE m.time > $1 AND m.time < $2 ORDER BY m.device, m.time DESC;
SELECT * FROM mj_explain($$EXECUTE j1('2026-01-02 00:00', '2026-01-02 03:00')$$);
CREATE TEMP TABLE r1 AS EXECUTE j1('2026-01-02 00:00', '2026-01-02 03:00');
SELECT count(*) AS n,
       (SELECT array_agg(row(name, time, v)) FROM r1) =
       (SELECT array_agg(row(d.name, m.time, m.v) ORDER BY m.device, m.time DESC)
        FROM mj_plain m JOIN devs d ON d.device = m.device
        WHERE m.time > '2026-01-02 00:00' AND m.time < '2026-01-02 03:00') AS same
FROM r1;

-- The hypertable on both sides (a self-join on device: every outer row meets a run of inner
-- rows with the same key, which the join restores to for the next outer row).
PREPARE j2(timestamptz, timestamptz, timestamptz, timestamptz) AS
  SELECT a.device, a.time AS a_time, b.time AS b_time, a.v + b.v AS v
  FROM mj a JOIN mj b ON a.device = b.device
  WHERE a.time > $1 AND a.time < $2 AND b.time > $3 AND b.time < $4;
SELECT * FROM mj_explain($$EXECUTE j2('2026-01-01 10:00', '2026-01-01 12:30', '2026-01-01 20:00', '2026-01-01 22:00')$$);
CREATE TEMP TABLE r2 AS EXECUTE j2('2026-01-01 10:00', '2026-01-01 12:30', '2026-01-01 20:00', '2026-01-01 22:00');
SELECT count(*) AS n,
       (SELECT array_agg(row(device, a_time, b_time, v) ORDER BY device, a_time, b_time, v) FROM r2) =
       (SELECT array_agg(row(a.device, a.time, b.time, a.v + b.v) ORDER BY a.device, a.time, b.time, a.v + b.v)
        FROM mj_plain a JOIN mj_plain b ON a.device = b.device
        WHERE a.time > '2026-01-01 10:00' AND a.time < '2026-01-01 12:30'
          AND b.time > '2026-01-01 20:00' AND b.time < '2026-01-01 22:00') AS same
FROM r2;
-- Other bounds through the same generic plan: no chunk on one side, every chunk on the other.
EXECUTE j2('2025-01-01', '2025-01-02', '2026-01-01', '2026-01-03');
CREATE TEMP TABLE r3 AS EXECUTE j2('2026-01-01', '2026-01-03', '2026-01-02 23:00', '2026-01-03');
SELECT count(*) AS n,
       (SELECT array_agg(row(device, a_time, b_time, v) ORDER BY device, a_time, b_time, v) FROM r3) =
       (SELECT array_agg(row(a.device, a.time, b.time, a.v + b.v) ORDER BY a.device, a.time, b.time, a.v + b.v)
        FROM mj_plain a JOIN mj_plain b ON a.device = b.device
        WHERE a.time > '2026-01-01' AND a.time < '2026-01-03'
          AND b.time > '2026-01-02 23:00' AND b.time < '2026-01-03') AS same
FROM r3;
