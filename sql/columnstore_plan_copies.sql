-- Compressed chunks an ordered LIMIT will not reach are plan copies (strata.enable_chunk_plan_copies):
-- in a SELECT of one hypertable ordered by its time column with a LIMIT, the first compressed
-- chunk read is planned (its ordered ColumnarScan), and each further compressed chunk whose
-- companion table has the same layout and settings gets a copy of that scan (its own chunk and
-- companion, the rows scaled by its batches) instead of being planned. Here the newest chunk (the
-- template of a DESC order) holds a = 1 in one row of 1,000; the older chunks hold it in every
-- row, so planned on their own their estimates are 1,000 rows, as copies the template's few.
SET timezone = 'UTC';
SET strata.enable_chunk_plan_copies = on;
-- (Compressed chunks planned on their own would take the first planned chunk's selectivities with
-- path cloning: off, so that the estimates tell copies from chunks planned on their own.)
SET strata.enable_chunk_path_cloning = off;
CREATE TABLE cpc (time timestamptz NOT NULL, dev int, a int, v int);
SELECT create_hypertable('cpc', 'time', chunk_time_interval => interval '1 day',
                         create_default_indexes => false) IS NOT NULL AS created;
INSERT INTO cpc
SELECT '2026-01-01'::timestamptz + d * interval '1 day' + n * interval '60 s', n % 2, 1, d * 10000 + n
  FROM generate_series(0, 2) d, generate_series(0, 999) n;
INSERT INTO cpc
SELECT '2026-01-04'::timestamptz + n * interval '60 s', n % 2, CASE WHEN n = 500 THEN 1 ELSE 2 + n END, 30000 + n
  FROM generate_series(0, 999) n;
ALTER TABLE cpc SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev',
                     timescaledb.compress_orderby = 'time');
SELECT count(compress_chunk(c)) AS compressed FROM show_chunks('cpc') c;
ANALYZE cpc;
CREATE TABLE cpc_plain AS SELECT * FROM cpc;
-- The estimated rows of each chunk's scan, in reading order.
CREATE FUNCTION cpc_rows(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO plan;
  RETURN QUERY SELECT (n->>'Relation Name') || ' rows=' || (n->>'Plan Rows')
    FROM jsonb_path_query(plan, 'strict $.**?(@."Relation Name" starts with "_hyper")') n;
END $$;
-- Whether a query over cpc returns the same rows, in the same order, as over the plain table.
CREATE FUNCTION cpc_same(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE got text; want text;
BEGIN
  EXECUTE format('SELECT array_agg(x)::text FROM (%s) x', q) INTO got;
  EXECUTE format('SELECT array_agg(x)::text FROM (%s) x', replace(q, 'FROM cpc ', 'FROM cpc_plain ')) INTO want;
  RETURN got IS NOT NULL AND got = want;
END $$;
EXPLAIN (COSTS OFF) SELECT * FROM cpc WHERE a = 1 AND dev = 0 ORDER BY time DESC LIMIT 5;
-- The three older chunks are copies of the newest chunk's scan, with its estimate.
SELECT cpc_rows('SELECT * FROM cpc WHERE a = 1 ORDER BY time DESC LIMIT 5');
-- Off: every chunk planned on its own, with its own estimate.
SET strata.enable_chunk_plan_copies = off;
SELECT cpc_rows('SELECT * FROM cpc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SET strata.enable_chunk_plan_copies = on;
-- The rows are the plain table's, in the LIMIT's first chunk and across chunks, in both orders
-- (ascending: the oldest chunk is the template).
SELECT * FROM cpc WHERE a = 1 AND dev = 0 ORDER BY time DESC LIMIT 3;
SELECT cpc_same('SELECT v FROM cpc WHERE a = 1 ORDER BY time DESC LIMIT 10 OFFSET 1995') AS same_rows_across_chunks;
SELECT cpc_rows('SELECT * FROM cpc WHERE a = 1 ORDER BY time LIMIT 5');
SELECT cpc_same('SELECT v FROM cpc WHERE dev = 1 ORDER BY time LIMIT 10 OFFSET 1495') AS same_rows_ascending;
-- A copy's expressions are the template's with the chunk's Vars (one pass renumbers them and
-- shares the constants): a filter the scan does not run itself (the plan's qual) and the output
-- read in every copy, each naming its own chunk's alias (VERBOSE).
EXPLAIN (VERBOSE, COSTS OFF) SELECT v, time FROM cpc WHERE a = 1 AND v::text LIKE '%7%' ORDER BY time DESC LIMIT 10;
SELECT cpc_same('SELECT v, time FROM cpc WHERE a = 1 AND v::text LIKE ''%7%'' ORDER BY time DESC LIMIT 10 OFFSET 400') AS same_rows_filtered_copies;
-- (rows of the second and third chunk read)
SELECT count(*) FILTER (WHERE v >= 20000) AS third, count(*) FILTER (WHERE v < 20000) AS second
  FROM (SELECT v FROM cpc_plain WHERE a = 1 AND v::text LIKE '%7%' ORDER BY time DESC LIMIT 410) x;
-- A generic plan with its time bound a parameter: chunks excluded at executor start, and the
-- copies read with the rows of the plain table.
SET plan_cache_mode = force_generic_plan;
PREPARE cpc_recent(timestamptz) AS SELECT v FROM cpc WHERE a = 1 AND dev = 1 AND time < $1 ORDER BY time DESC LIMIT 3;
EXPLAIN (COSTS OFF) EXECUTE cpc_recent('2026-01-02 12:00+00');
EXECUTE cpc_recent('2026-01-02 12:00+00');
SELECT v FROM cpc_plain WHERE a = 1 AND dev = 1 AND time < '2026-01-02 12:00+00' ORDER BY time DESC LIMIT 3;
DEALLOCATE cpc_recent;
RESET plan_cache_mode;
-- A chunk with rows in its row part (inserted after compression) is planned on its own (an
-- Append of its scan and its row part); a chunk compressed with other settings (another order)
-- too. The copies around them keep the reading order.
INSERT INTO cpc VALUES ('2026-01-02 23:59:30+00', 0, 1, -1);
INSERT INTO cpc_plain VALUES ('2026-01-02 23:59:30+00', 0, 1, -1);
SELECT decompress_chunk(c) IS NOT NULL AS decompressed FROM show_chunks('cpc') c WHERE c::text LIKE '%\_1\_chunk';
ALTER TABLE cpc SET (timescaledb.compress_orderby = 'time DESC');
SELECT compress_chunk(c) IS NOT NULL AS compressed FROM show_chunks('cpc') c WHERE c::text LIKE '%\_1\_chunk';
ANALYZE cpc;
SELECT cpc_rows('SELECT * FROM cpc WHERE a = 1 ORDER BY time DESC LIMIT 5');
SELECT cpc_same('SELECT v FROM cpc WHERE a = 1 ORDER BY time DESC LIMIT 3002') AS same_rows_mixed;
RESET strata.enable_chunk_path_cloning;
DROP TABLE cpc, cpc_plain;
DROP FUNCTION cpc_rows(text), cpc_same(text);
