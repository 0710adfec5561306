-- The column widths of a hypertable's own (empty) table, what set_rel_width would find for it
-- (no statistics: the types' average widths), are filled in from the hypertable cache before
-- PostgreSQL asks for them. They show only where no chunk replaces them (every chunk excluded at
-- plan time), and must follow ALTER TABLE: the cache entry goes with the table's relcache
-- invalidation. A plain table with the same columns, never analyzed, gives the expected figures.
SET timezone = 'UTC';
CREATE TABLE pw (time timestamptz NOT NULL, name varchar(10), tag char(20), v float8);
SELECT create_hypertable('pw', 'time', chunk_time_interval => interval '1 day') IS NOT NULL AS created;
INSERT INTO pw SELECT '2026-01-01'::timestamptz + n * interval '6 hours', 'n' || n, 't', n FROM generate_series(0, 7) n;
ANALYZE pw;
CREATE TABLE pw_plain (time timestamptz NOT NULL, name varchar(10), tag char(20), v float8);
-- The estimated width of a query's top plan node.
CREATE FUNCTION pw_width(q text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN (plan->0->'Plan'->>'Plan Width')::int;
END $$;
CREATE FUNCTION pw_widths() RETURNS TABLE (query text, hypertable int, plain int) LANGUAGE sql AS $$
  SELECT q, pw_width(format(q, 'pw')), pw_width(format(q, 'pw_plain'))
  FROM unnest(ARRAY['SELECT * FROM %s WHERE time < ''2000-01-01''',
                    'SELECT name, v FROM %s WHERE time < ''2000-01-01''']) q $$;
-- Every chunk excluded: a dummy rel of the parent's widths (timestamptz 8, varchar(10) 38,
-- char(20) 84, float8 8).
EXPLAIN (COSTS OFF) SELECT * FROM pw WHERE time < '2000-01-01';
SELECT * FROM pw_widths();
-- A column's type changed: the new type's width, not the cached one.
ALTER TABLE pw ALTER COLUMN name TYPE varchar(200);
ALTER TABLE pw_plain ALTER COLUMN name TYPE varchar(200);
SELECT * FROM pw_widths();
-- A column dropped and another added.
ALTER TABLE pw DROP COLUMN tag;
ALTER TABLE pw_plain DROP COLUMN tag;
ALTER TABLE pw ADD COLUMN note char(5);
ALTER TABLE pw_plain ADD COLUMN note char(5);
SELECT * FROM pw_widths();
-- The rows, read from the chunks, with the new column.
SELECT * FROM pw WHERE time >= '2026-01-02' ORDER BY time;
DROP TABLE pw, pw_plain;
DROP FUNCTION pw_widths(), pw_width(text);
