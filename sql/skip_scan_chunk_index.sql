-- A skip scan per chunk under a merge: every chunk must deliver the merge's whole order (device,
-- time DESC) itself. A chunk whose only usable index leads with the device alone (its copy of
-- the hypertable's index dropped, a (dev) index made on it by hand) must not get a skip scan
-- sorted afterwards: the skip scan keeps an arbitrary row per device, and DISTINCT ON then
-- returns that row instead of the newest one.
CREATE TABLE sk (time timestamptz NOT NULL, dev int, v int);
SELECT create_hypertable('sk', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
CREATE INDEX sk_dt ON sk (dev, time DESC);
INSERT INTO sk
SELECT t, d, (extract(epoch FROM t)::int / 600 * 7 + d) % 1000
  FROM generate_series('2026-01-01'::timestamptz, '2026-01-03 23:50', '10 min') t, generate_series(1, 50) d;
-- The newest chunk loses its (dev, time DESC) index and gets a (dev) one.
SELECT format('%s.%s', chunk_schema, chunk_name) AS newest
  FROM strata_information.chunks WHERE hypertable_name = 'sk' ORDER BY range_start DESC LIMIT 1 \gset
SELECT format('DROP INDEX %s', i.indexrelid::regclass) AS drop_stmt
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = :'newest'::regclass AND c.relname LIKE '%sk_dt' \gset
:drop_stmt;
CREATE INDEX sk_newest_dev ON :newest (dev);
ANALYZE sk;
SET enable_seqscan = off;
-- No chunk's skip scan is sorted above it.
EXPLAIN (COSTS OFF) SELECT DISTINCT ON (dev) dev, time, v FROM sk ORDER BY dev, time DESC;
CREATE TEMP TABLE with_skip AS SELECT DISTINCT ON (dev) dev, time, v FROM sk ORDER BY dev, time DESC;
SET strata.enable_skipscan = off;
CREATE TEMP TABLE without_skip AS SELECT DISTINCT ON (dev) dev, time, v FROM sk ORDER BY dev, time DESC;
RESET strata.enable_skipscan;
-- Same answers, and each is the newest row of its device.
SELECT (SELECT count(*) FROM (SELECT * FROM with_skip EXCEPT SELECT * FROM without_skip) d) AS differ,
       (SELECT count(*) FROM with_skip WHERE time <> '2026-01-03 23:50') AS not_newest,
       (SELECT count(*) FROM with_skip) AS devices;
RESET enable_seqscan;
DROP TABLE sk;
