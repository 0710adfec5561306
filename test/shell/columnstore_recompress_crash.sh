#!/usr/bin/env bash
# kill -9 the server in the middle of a segment-wise recompression (compress_chunk on a partial
# chunk): after restart the chunk is either still partial (its old batches and its row part as
# they were) or recompressed (row part empty), and every row is there exactly once, bit for bit;
# recompressing it then works and leaves the batches of untouched segments alone.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55491
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, id int NOT NULL, v float8, note text);
SELECT create_hypertable('ev', by_range('time', INTERVAL '100 days'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 100, g, g / 7.0, 'n' || (g % 1000)
  FROM generate_series(1, 600000) g;
SELECT count(compress_chunk(c)) FROM show_chunks('ev') c;
-- Rows for the even devices only: their segments are rewritten, the odd ones are not. (They go
-- to the row part: not written as batches directly, as an INSERT of that many rows would be.)
SET strata.direct_compress_copy_min_rows = 0;
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second' + interval '0.5 second', 2 * (g % 50),
                      1000000 + g, g / 3.0, 'late'
  FROM generate_series(1, 600000) g;
CREATE TABLE ev_before AS SELECT md5(string_agg(e::text, '' ORDER BY id)) AS h, count(*) AS n FROM ev e;
CREATE TABLE odd_batches AS SELECT ctid AS tid, xmin::text AS xid FROM _strata_internal._hyper_1_1_cs WHERE dev % 2 = 1;
SQL
chunk=$(sql -c "SELECT show_chunks('ev')")
check "one partial chunk" "_strata_internal._hyper_1_1_chunk 3" "$chunk $(sql -c "SELECT _strata_internal.chunk_status('$chunk')")"

( sql -c "SELECT compress_chunk('$chunk')" >/dev/null 2>&1 ) &
job=$!
wait_for_activity "the recompression was seen in progress" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.relation = '$chunk'::regclass AND l.mode = 'ExclusiveLock' AND l.granted AND a.query LIKE '%compress_chunk%'"
crash_and_restart $job "${CRASH_DELAY:-1.5}"

status=$(sql -c "SELECT _strata_internal.chunk_status('$chunk')")
echo "status after recovery: $status"
check "companion and catalog row" "1 1" \
  "$(sql -c "SELECT count(*) FROM pg_class WHERE relname = '_hyper_1_1_cs'") $(sql -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")"
if [ "$status" = 1 ]; then
  check "recompressed: row part empty" 0 "$(sql -c "SELECT pg_relation_size('$chunk')")"
  check "recompressed: every row in a batch" 1200000 "$(sql -c "SELECT sum(_strata_count) FROM _strata_internal._hyper_1_1_cs")"
else
  check "not recompressed: still partial, old batches" "3 600000" \
    "$status $(sql -c "SELECT sum(_strata_count) FROM _strata_internal._hyper_1_1_cs")"
fi
check "every row exactly once, bit for bit" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
check "no duplicate ids" 0 "$(sql -c "SELECT count(*) - count(DISTINCT id) FROM ev")"
# Recompress (or compress again) after recovery: the odd devices' batches are still the same tuples.
sql -c "SELECT compress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
check "recompressed after recovery" "1 1200000" \
  "$(sql -c "SELECT _strata_internal.chunk_status('$chunk')") $(sql -c "SELECT sum(_strata_count) FROM _strata_internal._hyper_1_1_cs")"
check "odd devices' batches untouched" "$(sql -c "SELECT count(*) FROM odd_batches")" \
  "$(sql -c "SELECT count(*) FROM _strata_internal._hyper_1_1_cs c JOIN odd_batches b ON b.tid = c.ctid AND b.xid = c.xmin::text")"
sql -c "SELECT decompress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
check "rows after decompression" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
echo PASS
