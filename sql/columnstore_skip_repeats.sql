-- strata.compression_skip_repeats: compress_chunk compares a value with its batch's min/max, and
-- hashes it for the bloom filter, only the first time the batch meets it (by its bytes); the
-- batches are the same bytes as with every value compared and hashed. A column whose batches
-- repeat few values is left out of that for 16 batches, then tried again.
SET TimeZone = 'UTC';
CREATE SCHEMA cs_rep;
SET search_path = cs_rep, public;
SHOW strata.compression_skip_repeats;

-- A range type whose comparisons are counted (its subtype's btree comparison function, which the
-- range's comparison calls).
CREATE SEQUENCE cmp_calls;
CREATE FUNCTION cmp_counted(a int4, b int4) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM nextval('cs_rep.cmp_calls');
  RETURN btint4cmp(a, b);
END $$;
CREATE OPERATOR CLASS int4_counted_ops FOR TYPE int4 USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 cmp_counted(int4, int4);
CREATE TYPE counted_range AS RANGE (subtype = int4, subtype_opclass = int4_counted_ops);
CREATE FUNCTION cmp_count() RETURNS bigint LANGUAGE sql AS $$
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM cs_rep.cmp_calls $$;

-- Three segments of one chunk: in segment 'a', r repeats 5 values (and NULLs) in every batch; in
-- segment 'b', the first 20 batches hold only distinct values (the set is left out, then tried
-- again), the last 4 repeat 3 values. dev (bloom) repeats 7 values, note (bloom) is distinct
-- per row.
CREATE TABLE t (time timestamptz NOT NULL, seg text, r counted_range, dev text, note text, v int);
SELECT count(*) FROM create_hypertable('t', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE t SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                   timescaledb.compress_orderby = 'time',
                   timescaledb.compress_index = 'minmax(r), bloom(dev), bloom(note)');
INSERT INTO t SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'a',
                     CASE WHEN g % 13 = 0 THEN NULL ELSE int4range(g % 5, g % 5 + 10)::text::counted_range END,
                     'dev_' || (g % 7), 'n' || g, g
  FROM generate_series(1, 3000) g;
INSERT INTO t SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'b',
                     CASE WHEN g <= 20000 THEN int4range(g, g + 1)::text::counted_range
                          ELSE int4range(g % 3, g % 3 + 2)::text::counted_range END,
                     'dev_' || (g % 7), 'n' || g, g
  FROM generate_series(1, 24000) g;
-- segment 'c': dev values longer than the set remembers (1 kB), r NULL
INSERT INTO t SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'c', NULL,
                     'dev_' || repeat('x', 1500) || (g % 3), 'n' || g, g
  FROM generate_series(1, 1500) g;
-- (analyzed, so that compress_chunk computes no statistics, which would compare r too)
ANALYZE t;
SELECT show_chunks('t') AS chunk \gset
CREATE TABLE expected AS SELECT * FROM t;

-- every value compared: two comparisons per non-NULL row but a batch's first
SET strata.compression_skip_repeats = off;
SELECT cmp_count() AS before_off \gset
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT cmp_count() - :before_off AS calls_off \gset
SELECT format('%I.%I', c.schema_name, c.table_name) AS comp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'chunk'::regclass \gset
CREATE TABLE batches_off AS SELECT c::text AS row FROM :comp c;
SELECT count(*) AS batches FROM batches_off;
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;

-- repeats skipped
RESET strata.compression_skip_repeats;
SELECT cmp_count() AS before_on \gset
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT cmp_count() - :before_on AS calls_on \gset
SELECT format('%I.%I', c.schema_name, c.table_name) AS comp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'chunk'::regclass \gset
-- the same companion rows, byte for byte (segment, count, seq, min/max, nulls, blooms, data)
SELECT (SELECT count(*) FROM :comp) AS batches,
       (SELECT count(*) FROM (SELECT c::text AS row FROM :comp c EXCEPT ALL SELECT row FROM batches_off) x) AS not_in_off,
       (SELECT count(*) FROM (SELECT row FROM batches_off EXCEPT ALL SELECT c::text FROM :comp c) x) AS not_in_on;
-- Comparisons (a range comparison calls the subtype's once or twice; min and max each compare):
-- without the skip every non-NULL row but a batch's first; with it, segment 'a' compares only its
-- 5 values per batch; segment 'b' its 20,000 distinct rows (its column left out after the first
-- of those batches and tried again 16 batches later) and the 3 values of its last 4 batches.
SELECT :calls_off AS calls_off, :calls_on AS calls_on;
-- segment 'a' alone: a few comparisons per batch
SELECT decompress_chunk(:'chunk') IS NOT NULL AS decompressed;
DELETE FROM t WHERE seg <> 'a';
SELECT cmp_count() AS before_a \gset
SELECT compress_chunk(:'chunk') IS NOT NULL AS compressed;
SELECT cmp_count() - :before_a AS calls_segment_a;
-- the rows and the metadata the scan uses
SELECT format('%I.%I', c.schema_name, c.table_name) AS comp FROM _strata_catalog.compressed_chunk c
  JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = :'chunk'::regclass \gset
SELECT _strata_seq, _strata_count, _strata_min_2, _strata_max_2, _strata_nulls_2 FROM :comp WHERE _strata_count > 0 ORDER BY _strata_seq;
SELECT count(*) AS differences FROM (
  (SELECT * FROM t EXCEPT ALL SELECT * FROM expected WHERE seg = 'a')
  UNION ALL (SELECT * FROM expected WHERE seg = 'a' EXCEPT ALL SELECT * FROM t)) d;
SELECT count(*) AS dev_3_rows FROM t WHERE dev = 'dev_3';

-- The companion table of compressed chunk `ch`.
CREATE FUNCTION companion(ch regclass) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT format('%I.%I', c.schema_name, c.table_name) FROM _strata_catalog.compressed_chunk c
    JOIN _strata_catalog.chunk k ON k.id = c.chunk_id WHERE format('%I.%I', k.schema_name, k.table_name)::regclass = ch $$;
-- Compresses the one chunk of `tab` with the setting off, then on: the comparisons counted each
-- time, the batches, and the companion rows that differ (byte for byte).
CREATE FUNCTION on_off(tab regclass, OUT calls_off bigint, OUT calls_on bigint, OUT batches bigint,
                       OUT differences bigint) LANGUAGE plpgsql AS $$
DECLARE
  ch regclass := (SELECT show_chunks(tab) LIMIT 1);
  comp text;
  c0 bigint;
BEGIN
  PERFORM set_config('strata.compression_skip_repeats', 'off', true);
  c0 := cs_rep.cmp_count();
  PERFORM compress_chunk(ch);
  calls_off := cs_rep.cmp_count() - c0;
  comp := cs_rep.companion(ch);
  EXECUTE format('CREATE TEMP TABLE rows_off AS SELECT c::text AS row FROM %s c', comp);
  PERFORM decompress_chunk(ch);
  PERFORM set_config('strata.compression_skip_repeats', 'on', true);
  c0 := cs_rep.cmp_count();
  PERFORM compress_chunk(ch);
  calls_on := cs_rep.cmp_count() - c0;
  comp := cs_rep.companion(ch);
  EXECUTE format('SELECT count(*) FROM %s', comp) INTO batches;
  EXECUTE format('SELECT count(*) FROM ((SELECT c::text FROM %s c EXCEPT ALL SELECT row FROM rows_off)
                  UNION ALL (SELECT row FROM rows_off EXCEPT ALL SELECT c::text FROM %s c)) d', comp, comp) INTO differences;
  DROP TABLE rows_off;
END $$;

-- Text ranges whose comparisons are counted. Segment 'c': values longer than 1 kB (three, each
-- repeated) are not remembered: as many comparisons on as off. Segment 'd': 200 values of about
-- 900 bytes per batch, each 5 times; a batch remembers 64 kB of copies (its first ~70 values), so
-- the others are compared at every row (were all remembered, on would compare ~800 times).
CREATE FUNCTION text_cmp_counted(a text, b text) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT bttextcmp(a, b) + 0 * nextval('cs_rep.cmp_calls')::int $$;
CREATE OPERATOR CLASS text_counted_ops FOR TYPE text USING btree AS
  OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 text_cmp_counted(text, text);
CREATE TYPE counted_trange AS RANGE (subtype = text, subtype_opclass = text_counted_ops, collation = "C");
CREATE TABLE long_c (time timestamptz NOT NULL, seg text, lr counted_trange);
CREATE TABLE budget_d (time timestamptz NOT NULL, seg text, lr counted_trange);
SELECT count(*) FROM create_hypertable('long_c', by_range('time', interval '100 days'), create_default_indexes => false);
SELECT count(*) FROM create_hypertable('budget_d', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE long_c SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                        timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(lr)');
ALTER TABLE budget_d SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                          timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(lr)');
INSERT INTO long_c SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'c',
                          counted_trange(repeat('a', 1500) || (g % 3), repeat('b', 1500) || (g % 3))
  FROM generate_series(1, 1500) g;
INSERT INTO budget_d SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'd',
                            counted_trange(repeat('a', 440) || lpad((g % 200)::text, 3, '0'),
                                           repeat('b', 440) || lpad((g % 200)::text, 3, '0'))
  FROM generate_series(1, 2000) g;
ANALYZE long_c;
ANALYZE budget_d;
SELECT octet_length(lr::text) > 3000 AS long_values FROM long_c LIMIT 1;
SELECT octet_length(lr::text) BETWEEN 800 AND 1000 AS budget_values FROM budget_d LIMIT 1;
SELECT * FROM on_off('long_c');
SELECT * FROM on_off('budget_d');

-- A set gets its slots at its column's first value, so a column NULL in the first batches starts
-- remembering values in a later batch (the slots zeroed then: no earlier batch's generation can
-- match). Segment 'n': r NULL throughout (no value, no slots). Segment 'l': r NULL for three
-- batches, then one value for two batches (a long run), then 4 values repeated, with NULLs between.
-- The same bytes on and off; on compares only the batch's first meeting of each value.
CREATE TABLE lazy (time timestamptz NOT NULL, seg text, r counted_range, v int);
SELECT count(*) FROM create_hypertable('lazy', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE lazy SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg',
                      timescaledb.compress_orderby = 'time', timescaledb.compress_index = 'minmax(r)');
INSERT INTO lazy SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'l',
                        CASE WHEN g <= 3000 OR g % 11 = 0 THEN NULL
                             WHEN g <= 5000 THEN int4range(7, 9)::text::counted_range
                             ELSE int4range(g % 4, g % 4 + 3)::text::counted_range END, g
  FROM generate_series(1, 8000) g;
INSERT INTO lazy SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'n', NULL, g
  FROM generate_series(1, 2000) g;
ANALYZE lazy;
CREATE TABLE lazy_expected AS SELECT * FROM lazy;
SELECT * FROM on_off('lazy');
SELECT count(*) AS differences FROM (
  (SELECT * FROM lazy EXCEPT ALL SELECT * FROM lazy_expected) UNION ALL (SELECT * FROM lazy_expected EXCEPT ALL SELECT * FROM lazy)) d;
SELECT count(*) AS run_rows FROM lazy WHERE r = int4range(7, 9)::text::counted_range;

-- The sets rely on min/max keeping the FIRST of the values that compare equal (strict < and >): a
-- value skipped as a repeat of one that did not become the min could otherwise have replaced it.
-- A nondeterministic (case-insensitive) collation and numeric 1.0 / 1.00 compare equal with
-- different bytes; min/max and blooms are the same on and off, and the min is the first one.
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE eq (time timestamptz NOT NULL, seg text, s text COLLATE ci, n numeric);
SELECT count(*) FROM create_hypertable('eq', by_range('time', interval '100 days'), create_default_indexes => false);
ALTER TABLE eq SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg', timescaledb.compress_orderby = 'time',
                    timescaledb.compress_index = 'minmax(s), bloom(s), minmax(n), bloom(n)');
INSERT INTO eq SELECT timestamptz '2026-02-01 00:00:00+00' + g * interval '1 second', 'e',
                      (ARRAY['A', 'a', 'B', 'A'])[g % 4 + 1], (ARRAY[1.0, 1.00, 2, 1.0])[g % 4 + 1]
  FROM generate_series(0, 399) g;
ANALYZE eq;
SELECT batches, differences FROM on_off('eq');
SELECT companion(show_chunks('eq')) AS comp \gset
-- (minmax 1 is time, the orderby column)
SELECT _strata_min_2, _strata_max_2, _strata_min_3, _strata_max_3 FROM :comp WHERE _strata_count > 0;
SELECT count(*) AS a_rows FROM eq WHERE s = 'a';

RESET search_path;
DROP SCHEMA cs_rep CASCADE;
