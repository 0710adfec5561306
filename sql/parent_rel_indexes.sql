-- A hypertable read alone by a SELECT (no join, no row marks) is built as an inheritance parent:
-- PostgreSQL does not open its own (empty) table's indexes or look up its size, which the
-- expansion into chunks would throw away. A query that needs those indexes (a join proving that
-- its inner side is unique, a hypertable with a one-column unique index that estimates take as
-- distinct) gets them as before. Seen here through the locks that opening an index takes.
SET timezone = 'UTC';
CREATE TABLE pri (time timestamptz NOT NULL, device int NOT NULL, v float8);
SELECT create_hypertable('pri', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
CREATE UNIQUE INDEX pri_device_time ON pri (device, time);
CREATE INDEX pri_time ON pri (time DESC);
INSERT INTO pri SELECT '2026-01-01'::timestamptz + n * interval '1 hour', n % 3, n FROM generate_series(0, 71) n;
ANALYZE pri;
CREATE TABLE pri_dev (device int PRIMARY KEY, t timestamptz);
INSERT INTO pri_dev VALUES (1, '2026-01-02 04:00+00');
-- Locks this backend holds on the hypertable's own indexes (not the chunks').
CREATE FUNCTION pri_parent_index_locks() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM pg_locks l JOIN pg_index i ON i.indexrelid = l.relation
  WHERE l.pid = pg_backend_pid() AND i.indrelid = 'pri'::regclass $$;

-- One hypertable, no join: its indexes are not opened.
BEGIN;
EXPLAIN (COSTS OFF) SELECT * FROM pri WHERE device = 1 ORDER BY time DESC LIMIT 2;
SELECT pri_parent_index_locks();
SELECT * FROM pri WHERE device = 1 ORDER BY time DESC LIMIT 2;
SELECT time, count(*) FROM pri WHERE time >= '2026-01-02' AND time < '2026-01-02 03:00' GROUP BY time ORDER BY time;
SELECT pri_parent_index_locks();
COMMIT;
-- The same through a view.
CREATE VIEW pri_view AS SELECT time, device, v FROM pri WHERE device = 1;
BEGIN;
SELECT * FROM pri_view ORDER BY time DESC LIMIT 2;
SELECT pri_parent_index_locks();
COMMIT;

-- A join (here a sub-query of one hypertable that the planner pulls up into the join): the
-- indexes are there, so the join knows that its inner side is unique.
BEGIN;
EXPLAIN (COSTS OFF, VERBOSE)
SELECT d.device, h.v FROM pri_dev d JOIN (SELECT * FROM pri) h ON h.device = d.device AND h.time = d.t;
SELECT pri_parent_index_locks();
SELECT d.device, h.v FROM pri_dev d JOIN (SELECT * FROM pri) h ON h.device = d.device AND h.time = d.t;
COMMIT;

-- A one-column unique index: the indexes are opened, one hypertable or not.
CREATE TABLE pru (time timestamptz NOT NULL UNIQUE, v float8);
SELECT create_hypertable('pru', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO pru SELECT '2026-01-01'::timestamptz + n * interval '1 hour', n FROM generate_series(0, 47) n;
BEGIN;
SELECT count(*) FROM pru WHERE time >= '2026-01-02';
SELECT count(*) FROM pg_locks l JOIN pg_index i ON i.indexrelid = l.relation
  WHERE l.pid = pg_backend_pid() AND i.indrelid = 'pru'::regclass;
COMMIT;

-- Whether the hypertable has such an index is kept with the hypertable's cache entry: an index
-- created or dropped after a query has cached the answer changes it.
CREATE UNIQUE INDEX pri_time_unique ON pri (time);
BEGIN;
SELECT count(*) FROM pri WHERE device = 1;
SELECT pri_parent_index_locks();
COMMIT;
DROP INDEX pri_time_unique;
BEGIN;
SELECT count(*) FROM pri WHERE device = 1;
SELECT pri_parent_index_locks();
COMMIT;
-- A partial unique index does not count (PostgreSQL's estimates do not take it as distinct).
CREATE UNIQUE INDEX pri_time_partial ON pri (time) WHERE device = 1;
BEGIN;
SELECT count(*) FROM pri WHERE device = 1;
SELECT pri_parent_index_locks();
COMMIT;
DROP INDEX pri_time_partial;

DROP VIEW pri_view;
DROP TABLE pri, pri_dev, pru;
DROP FUNCTION pri_parent_index_locks();
