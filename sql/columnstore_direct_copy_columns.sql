-- Direct-to-columnstore COPY and INSERT hand a batch's rows to the batch builder column by column
-- (batch_writer_add_rows): every stored type, NULLs, NaN and infinities, empty strings, values
-- detoasted on the way (compressed inline text from INSERT ... SELECT), min/max of a text column
-- (compared with its collation) and of an integer one, and a bloom filter. The batches' metadata
-- (segment, count, seq, min/max, NULL counts, bloom filter) must be those compress_chunk writes
-- for the same rows, and the rows read back the source's. (The data columns' bytes may differ:
-- a column's codec hint carries over from batch to batch, and compress_chunk writes the segments
-- in another order.) Each segment has fewer than 1,000 rows per chunk with distinct times, so both
-- write one batch per segment and chunk.
-- Files go to this run's own directory (STRATA_REGRESS_TMP, set by scripts/test.sh and
-- test/flaky.sh), never to a fixed /tmp path that another run of the test could share.
\getenv tmpdir STRATA_REGRESS_TMP
\set direct_copy_columns :tmpdir '/direct_copy_columns.csv'
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
CREATE SCHEMA cs_dcc;
SET search_path = cs_dcc, public;

CREATE TABLE src (time timestamptz NOT NULL, host text, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
                  b bool, d date, ts timestamp, u uuid, n numeric, note text, tag text);
INSERT INTO src
SELECT timestamptz '2026-01-01' + g * interval '7 minutes', 'h' || (g % 3),
       CASE WHEN g % 11 = 0 THEN NULL ELSE (g % 30000 - 15000)::int2 END,
       CASE WHEN g % 13 = 0 THEN NULL WHEN g % 97 = 0 THEN -2147483648 ELSE g * 7919 END,
       CASE WHEN g % 7 = 0 THEN NULL WHEN g % 89 = 0 THEN -9223372036854775808 WHEN g % 83 = 0 THEN 9223372036854775807
            ELSE g::int8 * 1000003 END,
       CASE WHEN g % 19 = 0 THEN NULL WHEN g % 23 = 0 THEN 'NaN' WHEN g % 29 = 0 THEN '-Infinity' ELSE g / 8.0 END,
       CASE WHEN g % 17 = 0 THEN NULL WHEN g % 31 = 0 THEN 'NaN' WHEN g % 37 = 0 THEN 'Infinity' WHEN g % 41 = 0 THEN '-0'
            ELSE g / 3.0 END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g % 2 = 0 END,
       CASE WHEN g % 9 = 0 THEN NULL ELSE date '2026-01-01' + g % 400 END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE timestamp '2020-01-01' + g * interval '1 second' END,
       CASE WHEN g % 6 = 0 THEN NULL ELSE md5(g::text)::uuid END,
       CASE WHEN g % 8 = 0 THEN NULL ELSE (g % 101) / 4.0 END,
       CASE WHEN g % 4 = 0 THEN NULL WHEN g % 4 = 1 THEN '' WHEN g % 50 = 2 THEN repeat('x', 3000) || g
            ELSE 'note ' || (g % 13) END,
       CASE WHEN g % 3 = 0 THEN NULL ELSE 'tag' || (g % 57) END
  FROM generate_series(1, 4000) g;
-- Some of the long notes are stored compressed inline (read back through INSERT ... SELECT as such).
SELECT count(*) > 0 AS some_compressed FROM src WHERE pg_column_size(note) < octet_length(note);
COPY src TO :'direct_copy_columns' WITH (FORMAT csv);

CREATE FUNCTION mk(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE src)', name);
  PERFORM create_hypertable(name, by_range('time', interval '5 days'));
  EXECUTE format($f$ALTER TABLE %I SET (timescaledb.compress, timescaledb.compress_segmentby = 'host',
                   timescaledb.compress_orderby = 'time DESC',
                   timescaledb.sparse_index = 'minmax(note), minmax(i4), bloom(tag)')$f$, name);
END $$;
-- A hypertable's batches' metadata (the segment and every _strata_ column of its companions), as
-- one hash, with the number of companions and rows.
CREATE FUNCTION batches(ht regclass) RETURNS TABLE (companions bigint, rows bigint, hash text)
LANGUAGE plpgsql AS $$
DECLARE comp text; cols text; r text; acc text := ''; n bigint; c bigint := 0;
BEGIN
  rows := 0;
  FOR comp IN SELECT format('%I.%I', cc.schema_name, cc.table_name)
                FROM _strata_catalog.compressed_chunk cc JOIN _strata_catalog.chunk ch ON ch.id = cc.chunk_id
                JOIN _strata_catalog.hypertable h ON h.id = ch.hypertable_id
               WHERE format('%I.%I', h.schema_name, h.table_name)::regclass = ht ORDER BY ch.range_start LOOP
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attname) INTO cols FROM pg_attribute
     WHERE attrelid = comp::regclass AND attnum > 0 AND NOT attisdropped
       AND (attname = 'host' OR attname LIKE '\_strata\_%');
    EXECUTE format('SELECT string_agg(md5(ROW(%s)::text), '','' ORDER BY host), sum(_strata_count) FROM %s',
                   cols, comp) INTO r, n;
    acc := acc || r || ';';
    rows := rows + n;
    c := c + 1;
  END LOOP;
  companions := c;
  hash := md5(acc);
  RETURN NEXT;
END $$;

-- The reference: rows into the row parts, then compress_chunk.
SELECT mk('ref');
INSERT INTO ref SELECT * FROM src;
SELECT count(compress_chunk(c)) FROM show_chunks('ref') c;

SET strata.enable_direct_compress_copy = on;
SELECT mk('dcopy');
COPY dcopy FROM :'direct_copy_columns' WITH (FORMAT csv);
SELECT mk('dins');
INSERT INTO dins SELECT * FROM src;
RESET strata.enable_direct_compress_copy;

SELECT 'ref' AS target, companions, rows FROM batches('ref')
UNION ALL SELECT 'copy', companions, rows FROM batches('dcopy')
UNION ALL SELECT 'insert', companions, rows FROM batches('dins');
SELECT (SELECT hash FROM batches('ref')) = (SELECT hash FROM batches('dcopy')) AS copy_same_metadata,
       (SELECT hash FROM batches('ref')) = (SELECT hash FROM batches('dins')) AS insert_same_metadata;
-- And the rows read back are the source's.
SELECT (SELECT count(*) FROM ((TABLE dcopy EXCEPT ALL TABLE src) UNION ALL (TABLE src EXCEPT ALL TABLE dcopy)) d) AS copy_diff,
       (SELECT count(*) FROM ((TABLE dins EXCEPT ALL TABLE src) UNION ALL (TABLE src EXCEPT ALL TABLE dins)) d) AS insert_diff;
SELECT count(*), count(f8) FILTER (WHERE f8 = 'NaN'), count(note) FILTER (WHERE note = ''), max(length(note)),
       min(i8), max(i8) FROM dcopy WHERE tag = 'tag5' OR note > 'x';

DROP SCHEMA cs_dcc CASCADE;
