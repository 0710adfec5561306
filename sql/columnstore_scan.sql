-- ColumnarScan: queries on a hypertable with compressed (and partial) chunks return exactly what
-- the same queries return on a plain table with the same rows (a differential test over random
-- data with NULLs, random filters, aggregates, ORDER BY / LIMIT and joins), with pushdown on and
-- off; and EXPLAIN ANALYZE shows each kind of pruning (segment quals, min/max, NULL counts,
-- bloom filters, vectorized filters, only referenced columns decoded).
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 3;
SET max_parallel_workers_per_gather = 0;
CREATE SCHEMA cs_scan;
SET search_path = cs_scan, public;

CREATE TABLE m (
  time timestamptz NOT NULL,
  device int,
  host text COLLATE "C",
  val float8,
  ival int8,
  small int2,
  flag bool,
  tag text,
  u uuid,
  n numeric,
  d date
);
SELECT count(*) FROM create_hypertable('m', by_range('time', interval '1 day'));

SELECT setseed(0.14);
INSERT INTO m
SELECT '2024-01-01'::timestamptz + g * interval '37 seconds',
       CASE WHEN random() < 0.05 THEN NULL ELSE (random() * 12)::int END,
       CASE WHEN random() < 0.1 THEN NULL ELSE 'host_' || (random() * 30)::int END,
       CASE WHEN random() < 0.1 THEN NULL WHEN random() < 0.01 THEN 'NaN'::float8 ELSE round((random() * 200 - 100)::numeric, 2)::float8 END,
       CASE WHEN random() < 0.3 THEN NULL ELSE (random() * 1e6)::int8 END,
       (random() * 100)::int2,
       CASE WHEN random() < 0.2 THEN NULL ELSE random() < 0.5 END,
       CASE WHEN random() < 0.5 THEN NULL ELSE 'tag' || (random() * 500)::int END,
       md5((g % 300)::text)::uuid,
       CASE WHEN random() < 0.2 THEN NULL ELSE round((random() * 1000)::numeric, 3) END,
       '2024-01-01'::date + (g / 1000)
FROM generate_series(1, 12000) g;

-- The reference: the same rows in a plain table.
CREATE TABLE ref AS SELECT * FROM m;

ALTER TABLE m SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                   timescaledb.compress_orderby = 'time DESC',
                   timescaledb.compress_index = 'minmax(val), minmax(ival), bloom(tag), bloom(u)');
-- Compress every chunk but the last; then rows arrive in the first one (partial).
SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks('m') c ORDER BY 1 LIMIT 5) s;
INSERT INTO m VALUES ('2024-01-01 00:00:05+00', 3, 'host_late', 1.5, 42, 7, true, 'tag_late', NULL, 1.5, '2024-01-01'),
                     ('2024-01-01 00:00:06+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ref VALUES ('2024-01-01 00:00:05+00', 3, 'host_late', 1.5, 42, 7, true, 'tag_late', NULL, 1.5, '2024-01-01'),
                       ('2024-01-01 00:00:06+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT c.table_name, c.status FROM _strata_catalog.chunk c ORDER BY c.id;

-- Runs q on m and on ref ("%I" is the table) and says whether they agree; ordered queries
-- compare in order.
CREATE FUNCTION same(q text, ordered boolean DEFAULT false) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  IF ordered THEN
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'm') INTO a;
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'ref') INTO b;
  ELSE
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'm') INTO a;
    EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'ref') INTO b;
  END IF;
  IF a IS DISTINCT FROM b THEN
    RAISE NOTICE 'differs: %', q;
  END IF;
  RETURN a IS NOT DISTINCT FROM b;
END $$;

-- Fixed queries of every shape.
CREATE TABLE queries (q text, ordered boolean DEFAULT false);
INSERT INTO queries VALUES
  ('SELECT * FROM %I'),
  ('SELECT count(*), count(val), sum(ival), min(time), max(time), avg(small) FROM %I'),
  ('SELECT device, count(*), sum(val), min(host), max(tag) FROM %I GROUP BY device'),
  ('SELECT * FROM %I WHERE device = 3'),
  ('SELECT * FROM %I WHERE device IS NULL'),
  ('SELECT * FROM %I WHERE device IN (1, 5, 7) AND val > 10'),
  ('SELECT time, val FROM %I WHERE val = ''NaN'''),
  ('SELECT time, val FROM %I WHERE val > 99'),
  ('SELECT time, val FROM %I WHERE val <> 1.5'),
  ('SELECT time, ival FROM %I WHERE ival < 1000 OR ival IS NULL'),
  ('SELECT time FROM %I WHERE ival IS NULL AND val IS NOT NULL'),
  ('SELECT * FROM %I WHERE tag = ''tag42'''),
  ('SELECT * FROM %I WHERE tag IN (''tag7'', ''tag8'', ''tag_late'')'),
  ('SELECT * FROM %I WHERE host = ''host_3'''),
  ('SELECT * FROM %I WHERE host > ''host_28'''),
  ('SELECT * FROM %I WHERE host LIKE ''host_1%%'''),
  ('SELECT * FROM %I WHERE u = md5(''17'')::uuid'),
  ('SELECT * FROM %I WHERE flag AND small BETWEEN 10 AND 20'),
  ('SELECT * FROM %I WHERE flag = false'),
  ('SELECT * FROM %I WHERE n > 500.5'),
  ('SELECT * FROM %I WHERE d = ''2024-01-03'''),
  ('SELECT * FROM %I WHERE time > ''2024-01-03 12:00'' AND time < ''2024-01-04 01:00'''),
  ('SELECT * FROM %I WHERE time >= now() - interval ''100 years'' AND val < 0'),
  ('SELECT * FROM %I WHERE ival = ANY (ARRAY[1, 2, NULL]::int8[])'),
  ('SELECT * FROM %I WHERE ival = ANY (ARRAY[NULL]::int8[])'),
  ('SELECT * FROM %I WHERE val > NULL::float8'),
  ('SELECT * FROM %I WHERE small = 5::int4'),
  ('SELECT * FROM %I WHERE 50 < small'),
  ('SELECT tableoid::regclass IS NOT NULL, count(*) FROM %I GROUP BY 1'),
  ('SELECT t FROM %I t WHERE device = 2'),
  ('SELECT a.time, b.time FROM %1$I a JOIN %1$I b ON a.time = b.time + interval ''37 seconds'' WHERE a.device = 1 AND b.device = 1'),
  ('SELECT count(*) FROM %1$I a JOIN %1$I b USING (tag) WHERE a.val > 90'),
  ('SELECT x.device, (SELECT max(time) FROM %1$I y WHERE y.device = x.device) FROM (SELECT DISTINCT device FROM %1$I) x');
INSERT INTO queries VALUES
  ('SELECT * FROM %I ORDER BY time DESC LIMIT 17', true),
  ('SELECT * FROM %I ORDER BY time LIMIT 17', true),
  ('SELECT * FROM %I ORDER BY time DESC', true),
  ('SELECT time, device FROM %I WHERE device = 4 ORDER BY time DESC LIMIT 5', true),
  ('SELECT time, val FROM %I WHERE val > 50 ORDER BY time LIMIT 100', true),
  ('SELECT DISTINCT ON (device) device, time, val FROM %I ORDER BY device, time DESC', true);
SELECT count(*) AS queries, count(*) FILTER (WHERE same(q, ordered)) AS agree FROM queries;
SET strata.enable_columnar_pushdown = off;
SELECT count(*) AS queries, count(*) FILTER (WHERE same(q, ordered)) AS agree FROM queries;
RESET strata.enable_columnar_pushdown;

-- The same in parallel plans (ColumnarScan runs in the workers of a Parallel Append).
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT count(*) AS queries, count(*) FILTER (WHERE same(q, ordered)) AS agree FROM queries;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SET max_parallel_workers_per_gather = 0;

-- Every type family: a scan forms each value exactly as stored (by-value types of every width,
-- fixed-length by-reference types, varlena types, domains, enums, composites, arrays), with
-- filters on them.
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE pair AS (a int, b text);
CREATE TABLE ty (time timestamptz NOT NULL, seg text, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
                 num numeric, txt text, vc varchar(20), bpc char(5), bt bytea, b bool, d date, ts timestamp,
                 iv interval, u uuid, j json, jb jsonb, ia int[], dom posint, en mood, comp pair, ip inet,
                 m money, tm time, tmz timetz, ch "char", nm name, o oid, pt point);
SELECT count(*) FROM create_hypertable('ty', by_range('time', interval '10 days'));
INSERT INTO ty
SELECT '2024-01-01'::timestamptz + g * interval '1 minute', 's' || (g % 3),
       CASE WHEN g % 11 = 0 THEN NULL ELSE (g % 32767)::int2 END, g * 7, g::int8 * 1000000007,
       g / 7.0::float4, CASE WHEN g % 13 = 0 THEN 'Infinity' ELSE g / 3.0 END, g / 7.0, 'text ' || g,
       left('vc' || g, 20), 'c' || (g % 10), decode(lpad(to_hex(g), 8, '0'), 'hex'), g % 3 = 0,
       '2020-01-01'::date + g, '2020-01-01'::timestamp + g * interval '1 second', g * interval '1 minute 3 seconds',
       CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text)::uuid END, json_build_object('g', g),
       jsonb_build_object('g', g, 'a', jsonb_build_array(g, g + 1)), ARRAY[g, NULL, g + 1], g,
       (ARRAY['sad', 'ok', 'happy']::mood[])[g % 3 + 1], ROW(g, 'p' || g)::pair,
       ('10.0.' || (g % 256) || '.' || (g % 7))::inet, (g * 1.25)::money, '00:00'::time + g * interval '1 second',
       '00:00+02'::timetz + g * interval '1 second', chr(65 + g % 26)::"char", ('name' || g)::name, g::oid,
       point(g, -g)
FROM generate_series(1, 2500) g;
CREATE TABLE ty_ref AS SELECT * FROM ty;
ALTER TABLE ty SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                    timescaledb.compress_orderby = 'time',
                    timescaledb.compress_index = 'minmax(f8), minmax(txt), bloom(u), bloom(num)');
SELECT count(compress_chunk(c)) FROM show_chunks('ty') c;
CREATE FUNCTION same_ty(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'ty') INTO a;
  EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''') FROM (' || q || ') t', 'ty_ref') INTO b;
  IF a IS DISTINCT FROM b THEN
    RAISE NOTICE 'differs: %', q;
  END IF;
  RETURN a IS NOT DISTINCT FROM b;
END $$;
SELECT q, same_ty(q) FROM (VALUES
  ('SELECT * FROM %I'),
  ('SELECT * FROM %I WHERE seg = ''s1'' AND i2 IS NULL'),
  ('SELECT time, f8 FROM %I WHERE f8 = ''Infinity'''),
  ('SELECT time, f4 FROM %I WHERE f4 > 100.5'),
  ('SELECT time FROM %I WHERE txt > ''text 2'' AND txt < ''text 3'''),
  ('SELECT time FROM %I WHERE vc = ''vc17'''),
  ('SELECT time FROM %I WHERE bpc = ''c3'''),
  ('SELECT time FROM %I WHERE bt < ''\x00000100''::bytea'),
  ('SELECT time FROM %I WHERE u = md5(''17'')::uuid OR u IS NULL'),
  ('SELECT time FROM %I WHERE num = 3'),
  ('SELECT time FROM %I WHERE num IN (1, 2.0, 3.00)'),
  ('SELECT time FROM %I WHERE d BETWEEN ''2024-01-01'' AND ''2024-02-01'''),
  ('SELECT time FROM %I WHERE ts > ''2020-01-01 00:30'''),
  ('SELECT time FROM %I WHERE iv > ''1 day'''),
  ('SELECT time FROM %I WHERE jb @> ''{"g": 5}'''),
  ('SELECT time FROM %I WHERE dom = 7 OR en = ''happy'''),
  ('SELECT time FROM %I WHERE (comp).a = 9'),
  ('SELECT time FROM %I WHERE ch = ''C'' AND nm > ''name99'''),
  ('SELECT time FROM %I WHERE o = 42 OR m > 3000::money OR tm < ''00:00:10'''),
  ('SELECT time FROM %I WHERE b AND i8 > 1000000007000')
) v(q);

-- Random filters: conjunctions of two predicates over random columns, operators and constants.
CREATE FUNCTION random_predicate() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  ops text[] := ARRAY['=', '<>', '<', '<=', '>', '>='];
  op text := ops[1 + floor(random() * 6)::int];
  k int := floor(random() * 11)::int;
BEGIN
  RETURN CASE k
    WHEN 0 THEN format('device %s %s', op, floor(random() * 13)::int)
    WHEN 1 THEN format('val %s %s', op, round((random() * 220 - 110)::numeric, 2))
    WHEN 2 THEN format('ival %s %s', op, floor(random() * 1.1e6)::int8)
    WHEN 3 THEN format('small %s %s', op, floor(random() * 110)::int)
    WHEN 4 THEN format('host %s %L', op, 'host_' || floor(random() * 32)::int)
    WHEN 5 THEN format('tag %s %L', op, 'tag' || floor(random() * 520)::int)
    WHEN 6 THEN format('time %s %L::timestamptz', op, '2024-01-01'::timestamptz + random() * interval '6 days')
    WHEN 7 THEN format('%s IS %sNULL', (ARRAY['val', 'ival', 'tag', 'host', 'n', 'flag', 'device'])[1 + floor(random() * 7)::int],
                       CASE WHEN random() < 0.5 THEN 'NOT ' ELSE '' END)
    WHEN 8 THEN format('ival IN (%s, %s, %s)', floor(random() * 1e6)::int8, floor(random() * 1e6)::int8, 42)
    WHEN 9 THEN format('n %s %s', op, round((random() * 1000)::numeric, 1))
    ELSE format('flag %s %s', CASE WHEN random() < 0.5 THEN '=' ELSE '<>' END, (random() < 0.5)::text)
  END;
END $$;
SELECT setseed(0.5);
CREATE TABLE random_queries AS
SELECT format('SELECT %s FROM %%I WHERE %s AND %s', cols, random_predicate(), random_predicate()) AS q
FROM (SELECT (ARRAY['*', 'time, val', 'count(*)', 'device, count(*), max(val)', 'min(tag), max(ival)'])[1 + floor(random() * 5)::int] AS cols
      FROM generate_series(1, 300)) s;
UPDATE random_queries SET q = q || ' GROUP BY device' WHERE q LIKE 'SELECT device, count(*)%';
SELECT count(*) AS queries, count(*) FILTER (WHERE same(q)) AS agree FROM random_queries;

-- Pruning, shown by EXPLAIN ANALYZE's counters on a one-chunk table: 4 segments of 3 batches,
-- val (min/max) and time increase with the row number, tag has a bloom filter, note is NULL in
-- the first half of the rows.
CREATE TABLE e (time timestamptz NOT NULL, device int, val int, tag text, note text);
SELECT count(*) FROM create_hypertable('e', by_range('time', interval '1 year'));
INSERT INTO e SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 4, g, 'tag' || (g / 100),
                     CASE WHEN g >= 6000 THEN 'n' || g END
FROM generate_series(0, 11999) g;
ALTER TABLE e SET (timescaledb.compress, timescaledb.compress_segmentby = 'device',
                   timescaledb.compress_orderby = 'time',
                   timescaledb.compress_index = 'minmax(val), minmax(note), bloom(tag)');
SELECT count(compress_chunk(c)) FROM show_chunks('e') c;
-- These plans show ColumnarScan's own counters under PostgreSQL's aggregation (the pushed-down
-- aggregation has its own test, columnstore_agg).
SET strata.enable_columnstore_agg_pushdown = off;
CREATE FUNCTION explained(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
    RETURN NEXT line;
  END LOOP;
END $$;
-- Segment quals: scan keys on the companion's index read only device 1's batches ("Batches"
-- counts the batches read); the rest of a segment qual skips batches.
SELECT explained('SELECT count(*) FROM e WHERE device = 1');
SELECT explained('SELECT count(*) FROM e WHERE device IN (1, 2) AND device + 1 > 2');
-- min/max: only the first batch of each segment can hold val < 100.
SELECT explained('SELECT count(*) FROM e WHERE val < 100');
SELECT explained('SELECT count(*) FROM e WHERE val > 5000 AND val <= 5100');
-- NULL counts: the first batches hold only NULL notes, the last ones none.
SELECT explained('SELECT count(*) FROM e WHERE note IS NOT NULL');
SELECT explained('SELECT count(*) FROM e WHERE note IS NULL');
-- Bloom filters: tag55 is in the second batch of each segment only.
SELECT explained('SELECT count(*) FROM e WHERE tag = ''tag55''');
SELECT explained('SELECT count(*) FROM e WHERE tag IN (''tag55'', ''tag101'')');
-- Vectorized filters remove rows before tuples are formed; other quals stay PostgreSQL's.
SELECT explained('SELECT count(*) FROM e WHERE val % 7 = 0 AND tag <> ''tag3''');
-- Ordered scans: ORDER BY time (DESC) LIMIT decodes only the batches that can hold the first rows.
SELECT explained('SELECT time, device FROM e ORDER BY time DESC LIMIT 5');
SELECT explained('SELECT time, device FROM e ORDER BY time LIMIT 5');
SELECT explained('SELECT time FROM e WHERE device = 2 ORDER BY time DESC LIMIT 1500');
-- Index keys on the first min column too, and on executor parameters: the newest row of each
-- segment through LATERAL ... LIMIT 1 reads and decodes one batch per segment.
SELECT explained('SELECT count(*) FROM e WHERE device = 1 AND time < ''2024-01-01 00:30''');
SELECT explained('SELECT d, l.time FROM (VALUES (0), (1), (2), (3)) v(d), LATERAL (SELECT time FROM e WHERE device = v.d ORDER BY time DESC LIMIT 1) l');
SELECT d, l.time FROM (VALUES (0), (1), (2), (3)) v(d), LATERAL (SELECT time FROM e WHERE device = v.d ORDER BY time DESC LIMIT 1) l;
SELECT time, device, val FROM e ORDER BY time DESC LIMIT 5;
SELECT time, device, val FROM e WHERE device = 2 ORDER BY time DESC LIMIT 3;
-- Pushdown off: the same answers, every batch decoded.
SET strata.enable_columnar_pushdown = off;
SELECT explained('SELECT count(*) FROM e WHERE val < 100 AND device = 1');
RESET strata.enable_columnar_pushdown;
SELECT count(*) FROM e WHERE val < 100 AND device = 1;
-- Only the referenced columns are detoasted and decoded: with note's data damaged in every
-- batch, queries that do not read note still work, and one that does reports the damage.
SELECT format('%I.%I', cc.schema_name, cc.table_name) AS companion
  FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.hypertable h ON h.id = cc.hypertable_id
 WHERE h.table_name = 'e' \gset
UPDATE :companion SET note = '\x0102'::bytea;
SELECT count(*), sum(val), min(tag) FROM e WHERE device = 3 AND val > 100;
SELECT time, device FROM e ORDER BY time DESC LIMIT 2;
\set VERBOSITY terse
SELECT count(note) FROM e;
\set VERBOSITY default

-- Changes reach the planner's layout cache and cached plans: columns added after compression
-- (with a default: every compressed row has it), decompression and recompression, in one session.
CREATE TABLE x (time timestamptz NOT NULL, a int, b text);
SELECT count(*) FROM create_hypertable('x', by_range('time', interval '1 year'));
INSERT INTO x SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g % 3, 'b' || g FROM generate_series(1, 100) g;
ALTER TABLE x SET (timescaledb.compress, timescaledb.compress_segmentby = 'a');
SELECT count(compress_chunk(c)) FROM show_chunks('x') c;
PREPARE p(int) AS SELECT count(*), sum(a), min(b) FROM x WHERE a = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE p(1);
SELECT count(*), sum(a) FROM x;
ALTER TABLE x ADD COLUMN c int DEFAULT 7;
ALTER TABLE x ADD COLUMN d text;
SELECT count(*), sum(c), count(d), min(b) FROM x WHERE c = 7;
SELECT count(decompress_chunk(c)) FROM show_chunks('x') c;
EXECUTE p(1);
SELECT count(*), sum(c), count(d), min(b) FROM x WHERE a = 1;
INSERT INTO x VALUES ('2024-01-01', 1, 'new', 8, 'd');
SELECT count(compress_chunk(c)) FROM show_chunks('x') c;
EXECUTE p(1);
SELECT count(*), sum(c), count(d), min(b) FROM x WHERE a = 1;
RESET plan_cache_mode;

-- Ordered scans on an orderby column with NULLs, in both directions and NULLS FIRST / LAST, over
-- several chunks, one of them partial (a MergeAppend with its row part), against the plain table.
CREATE TABLE o (time timestamptz NOT NULL, g int, v int, w text);
SELECT count(*) FROM create_hypertable('o', by_range('time', interval '1 day'));
SELECT setseed(0.3);
INSERT INTO o SELECT '2024-01-01'::timestamptz + i * interval '5 minutes', i % 4,
                     CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 5000)::int END,
                     CASE WHEN random() < 0.2 THEN NULL ELSE 'w' || (random() * 50)::int END
FROM generate_series(1, 3000) i;
CREATE TABLE o_ref AS SELECT * FROM o;
ALTER TABLE o SET (timescaledb.compress, timescaledb.compress_segmentby = 'g',
                   timescaledb.compress_orderby = 'v NULLS FIRST, w DESC, time');
SELECT count(compress_chunk(c)) FROM show_chunks('o') c;
INSERT INTO o VALUES ('2024-01-02 00:01', 1, NULL, 'late'), ('2024-01-02 00:02', 2, 2500, NULL);
INSERT INTO o_ref VALUES ('2024-01-02 00:01', 1, NULL, 'late'), ('2024-01-02 00:02', 2, 2500, NULL);
CREATE FUNCTION same_o(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text;
  b text;
BEGIN
  EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'o') INTO a;
  EXECUTE format('SELECT coalesce(string_agg(t::text, E''\n''), '''') FROM (' || q || ') t', 'o_ref') INTO b;
  IF a IS DISTINCT FROM b THEN
    RAISE NOTICE 'differs: %', q;
  END IF;
  RETURN a IS NOT DISTINCT FROM b;
END $$;
SELECT q, same_o(q) FROM (VALUES
  ('SELECT v, w, time FROM %I ORDER BY v NULLS FIRST, w DESC, time'),
  ('SELECT v, w, time FROM %I ORDER BY v DESC NULLS LAST, w, time DESC'),
  ('SELECT v, w, time FROM %I ORDER BY v NULLS FIRST, w DESC, time LIMIT 40'),
  ('SELECT v, w, time FROM %I ORDER BY v DESC NULLS LAST, w, time DESC LIMIT 40'),
  ('SELECT v, w, time FROM %I WHERE g = 2 ORDER BY v NULLS FIRST, w DESC, time LIMIT 40'),
  ('SELECT v, w, time FROM %I WHERE w > ''w3'' ORDER BY v NULLS FIRST, w DESC, time LIMIT 40'),
  ('SELECT v, w, time FROM %I ORDER BY v, w DESC, time LIMIT 40'),
  ('SELECT v, w, time FROM %I ORDER BY v DESC, w, time DESC LIMIT 40')
) x(q);
SELECT explained('SELECT v FROM o ORDER BY v NULLS FIRST, w DESC, time LIMIT 5');
