-- Direct-to-columnstore COPY keeps rows per segment and writes a segment's rows as a batch when
-- it holds 1,000 (src/columnstore/direct.cpp): rows that do not come in orderby order are put in
-- order within each batch, and when the buffers of many small segments reach
-- maintenance_work_mem every buffered row is written. The results equal a plain table's.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set direct_copy_order1 :tmpdir '/direct_copy_order1.csv'
\set direct_copy_order2 :tmpdir '/direct_copy_order2.csv'
\set direct_copy_order3 :tmpdir '/direct_copy_order3.csv'
\set direct_copy_order4 :tmpdir '/direct_copy_order4.csv'
SET TimeZone = 'UTC';
CREATE SCHEMA cs_dco;
SET search_path = cs_dco, public;
-- 3,000 rows of 3 hosts in a shuffled order, then 20,000 rows of 4,000 hosts.
COPY (SELECT timestamptz '2026-01-01' + (g * 7919 % 3000) * interval '1 minute' AS time, 'h' || (g % 3) AS host,
             g AS v, CASE WHEN g % 11 = 0 THEN NULL ELSE 'n' || (g % 7) END AS note
        FROM generate_series(1, 3000) g ORDER BY md5(g::text))
  TO :'direct_copy_order1' WITH (FORMAT csv);
COPY (SELECT timestamptz '2026-01-02' + (g / 4000) * interval '1 minute' AS time, 'host-' || (g % 4000) AS host,
             g AS v, repeat('x', g % 50) AS note
        FROM generate_series(1, 20000) g)
  TO :'direct_copy_order2' WITH (FORMAT csv);
CREATE TABLE plain (time timestamptz NOT NULL, host text, v int, note text);
COPY plain FROM :'direct_copy_order1' WITH (FORMAT csv);
COPY plain FROM :'direct_copy_order2' WITH (FORMAT csv);
CREATE TABLE d (time timestamptz NOT NULL, host text, v int, note text);
SELECT create_hypertable('d', by_range('time', interval '10 days'));
ALTER TABLE d SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'time DESC');
COPY d FROM :'direct_copy_order1' WITH (FORMAT csv, direct_compress);
SET maintenance_work_mem = '1MB';
COPY d FROM :'direct_copy_order2' WITH (FORMAT csv, direct_compress);
RESET maintenance_work_mem;
-- Everything in batches (the row part is empty), the same rows as the plain table.
SELECT pg_relation_size(c) AS row_part FROM show_chunks('d') c;
SELECT (SELECT count(*) FROM d) AS rows,
       (SELECT count(*) FROM (SELECT * FROM d EXCEPT ALL SELECT * FROM plain) x) AS extra,
       (SELECT count(*) FROM (SELECT * FROM plain EXCEPT ALL SELECT * FROM d) x) AS missing;
-- Each batch of the shuffled hosts is in time DESC order with its min/max: an ordered scan gives
-- the rows in order, and the batch metadata bounds its rows.
CREATE FUNCTION batches(OUT batches bigint, OUT rows bigint, OUT full_batches bigint) LANGUAGE plpgsql AS $$
DECLARE comp text; b bigint; r bigint; f bigint;
BEGIN
  batches := 0; rows := 0; full_batches := 0;
  FOR comp IN SELECT format('%I.%I', schema_name, table_name) FROM _strata_catalog.compressed_chunk LOOP
    EXECUTE format($q$SELECT count(*), coalesce(sum(_strata_count), 0), count(*) FILTER (WHERE _strata_count = 1000)
                        FROM %s WHERE host IN ('h0', 'h1', 'h2')$q$, comp) INTO b, r, f;
    batches := batches + b; rows := rows + r; full_batches := full_batches + f;
  END LOOP;
END $$;
SELECT * FROM batches();
SELECT array_agg(v ORDER BY time DESC) = (SELECT array_agg(v ORDER BY time DESC) FROM plain WHERE host = 'h1') AS same_order
  FROM (SELECT * FROM d WHERE host = 'h1' ORDER BY time DESC) x;
SELECT (SELECT array_agg(v) FROM (SELECT v FROM d WHERE host = 'h2' ORDER BY time DESC LIMIT 50) a) =
       (SELECT array_agg(v) FROM (SELECT v FROM plain WHERE host = 'h2' ORDER BY time DESC LIMIT 50) b) AS same_top;
-- Paced writing: a segment holding a whole batch is queued and one batch is written per 500 rows
-- read (its first 1,000 rows in the order they came), a segment reaching 2,000 rows at once. Rows
-- in time order: 20,000 of 20 hosts round-robin (every segment queued at about the same row),
-- then 2,500 of host 'hot' in a row (queued behind them, written when it reaches 2,000), then
-- 3,000 round-robin again; text values of all lengths and NULLs between.
COPY (SELECT timestamptz '2026-02-01' + g * interval '1 second' AS time,
             CASE WHEN g BETWEEN 20001 AND 22500 THEN 'hot' ELSE 'p' || (g % 20) END AS host, g AS v,
             CASE WHEN g % 7 = 0 THEN NULL ELSE repeat(chr(97 + g % 26), g % 40) END AS note
        FROM generate_series(1, 25500) g)
  TO :'direct_copy_order3' WITH (FORMAT csv);
COPY plain FROM :'direct_copy_order3' WITH (FORMAT csv);
COPY d FROM :'direct_copy_order3' WITH (FORMAT csv, direct_compress);
SELECT (SELECT count(*) FROM d) AS rows,
       (SELECT count(*) FROM (SELECT * FROM d EXCEPT ALL SELECT * FROM plain) x) AS extra,
       (SELECT count(*) FROM (SELECT * FROM plain EXCEPT ALL SELECT * FROM d) x) AS missing;
-- The batches of each of these segments: at most 1,000 rows, no two of a segment overlapping in
-- time (rows in time order), and per segment the batches' rows and bounds are the plain table's.
CREATE FUNCTION paced(OUT batches bigint, OUT full_batches bigint, OUT over_size bigint, OUT overlapping bigint,
                      OUT wrong_segments bigint)
LANGUAGE plpgsql AS $$
DECLARE comp text;
BEGIN
  CREATE TEMP TABLE b (host text, n int, lo timestamptz, hi timestamptz);
  FOR comp IN SELECT format('%I.%I', schema_name, table_name) FROM _strata_catalog.compressed_chunk LOOP
    EXECUTE format($q$INSERT INTO b SELECT host, _strata_count, _strata_min_1, _strata_max_1 FROM %s
                       WHERE host = 'hot' OR host LIKE 'p%%'$q$, comp);
  END LOOP;
  SELECT count(*), count(*) FILTER (WHERE n = 1000), count(*) FILTER (WHERE n > 1000) INTO batches, full_batches, over_size FROM b;
  SELECT count(*) INTO overlapping FROM b x JOIN b y ON x.host = y.host AND x.lo < y.lo AND y.lo <= x.hi;
  SELECT count(*) INTO wrong_segments
    FROM (SELECT host, sum(n) AS n, min(lo) AS lo, max(hi) AS hi FROM b GROUP BY host) x
    FULL JOIN (SELECT host, count(*) AS n, min(time) AS lo, max(time) AS hi FROM plain
                WHERE time >= '2026-02-01' AND (host = 'hot' OR host LIKE 'p%') GROUP BY host) y USING (host)
   WHERE x.n IS DISTINCT FROM y.n OR x.lo IS DISTINCT FROM y.lo OR x.hi IS DISTINCT FROM y.hi;
  DROP TABLE b;
END $$;
SELECT * FROM paced();
SELECT array_agg(v ORDER BY time DESC) = (SELECT array_agg(v ORDER BY time DESC) FROM plain WHERE host = 'hot') AS hot_in_order
  FROM (SELECT * FROM d WHERE host = 'hot' ORDER BY time DESC) x;
SELECT string_agg(note, ',' ORDER BY time) = (SELECT string_agg(note, ',' ORDER BY time) FROM plain WHERE host = 'p3')
       AS p3_notes
  FROM d WHERE host = 'p3';
-- One orderby column of a type compared as a signed integer (bigint here) is compared inline:
-- shuffled rows with NULLs, ascending NULLS FIRST and descending NULLS LAST. Each batch holds its
-- rows in orderby order: decompressed, the row part gets them batch by batch in the order stored.
COPY (SELECT timestamptz '2026-03-01' + g * interval '1 minute', 'a',
             CASE WHEN g % 5 = 0 THEN NULL ELSE (g * 7919) % 1000 - 500 END
        FROM generate_series(1, 1500) g ORDER BY md5(g::text))
  TO :'direct_copy_order4' WITH (FORMAT csv);
CREATE FUNCTION out_of_order(t regclass, descending bool) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE c regclass; n bigint := 0; k bigint;
BEGIN
  FOR c IN SELECT show_chunks(t) LOOP
    PERFORM decompress_chunk(c);
    EXECUTE format($q$SELECT count(*) FROM (
        SELECT v, lag(v) OVER (PARTITION BY (rn - 1) / 1000 ORDER BY rn) AS prev,
               rn - 1 - ((rn - 1) / 1000) * 1000 AS pos
          FROM (SELECT v, row_number() OVER (ORDER BY ctid) AS rn FROM ONLY %s) r) x
       WHERE pos > 0 AND CASE WHEN %L THEN (prev IS NULL AND v IS NOT NULL) OR v > prev
                              ELSE (v IS NULL AND prev IS NOT NULL) OR v < prev END$q$, c, descending) INTO k;
    n := n + k;
  END LOOP;
  RETURN n;
END $$;
CREATE TABLE o1 (time timestamptz NOT NULL, host text, v bigint);
SELECT create_hypertable('o1', by_range('time', interval '10 days'));
ALTER TABLE o1 SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'v NULLS FIRST');
COPY o1 FROM :'direct_copy_order4' WITH (FORMAT csv, direct_compress);
CREATE TABLE o2 (LIKE o1);
SELECT create_hypertable('o2', by_range('time', interval '10 days'));
ALTER TABLE o2 SET (timescaledb.compress, timescaledb.compress_segmentby = 'host', timescaledb.compress_orderby = 'v DESC NULLS LAST');
COPY o2 FROM :'direct_copy_order4' WITH (FORMAT csv, direct_compress);
SELECT (SELECT count(*) FROM o1) AS o1_rows, (SELECT count(*) FROM o2) AS o2_rows,
       (SELECT count(*) FROM o1 WHERE v IS NULL) AS o1_nulls;
SELECT out_of_order('o1', false) AS o1_out_of_order;
SELECT out_of_order('o2', true) AS o2_out_of_order;
SET client_min_messages = warning;
DROP SCHEMA cs_dco CASCADE;
