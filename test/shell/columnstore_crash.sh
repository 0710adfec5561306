#!/usr/bin/env bash
# kill -9 the server in the middle of compress_chunk: after restart the chunk is compressed or not
# (the catalog, the companion table and the row part agree), and every row is there exactly once,
# bit for bit; compressing it again then works.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55471
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, id int NOT NULL, v float8, note text);
SELECT create_hypertable('ev', by_range('time', INTERVAL '100 days'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 100, g, g / 7.0, 'n' || (g % 1000)
  FROM generate_series(1, 1500000) g;
CREATE TABLE ev_before AS SELECT md5(string_agg(e::text, '' ORDER BY id)) AS h, count(*) AS n FROM ev e;
SQL
chunk=$(sql -c "SELECT show_chunks('ev')")
check "one chunk" "_strata_internal._hyper_1_1_chunk" "$chunk"

( sql -c "SELECT compress_chunk('$chunk')" >/dev/null 2>&1 ) &
job=$!
# Wait until the compression holds its lock on the chunk, then a little longer (sorting and
# encoding are under way), and kill the whole server.
wait_for_activity "the compression was seen in progress" "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.relation = '$chunk'::regclass AND l.mode = 'ExclusiveLock' AND l.granted AND a.query LIKE '%compress_chunk%'"
crash_and_restart $job "${CRASH_DELAY:-1.5}"

status=$(sql -c "SELECT _strata_internal.chunk_status('$chunk')")
echo "status after recovery: $status"
companion=$(sql -c "SELECT count(*) FROM pg_class WHERE relname LIKE '\_hyper\_1\_1\_cs'")
catalog=$(sql -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")
if [ "$status" = 1 ]; then
  check "compressed: companion and catalog row" "1 1" "$companion $catalog"
  check "compressed: row part empty" 0 "$(sql -c "SELECT pg_relation_size('$chunk')")"
  check "compressed: every row in a batch" 1500000 "$(sql -c "SELECT sum(_strata_count) FROM _strata_internal._hyper_1_1_cs")"
  sql -c "SELECT decompress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
else
  check "not compressed: status, companion and catalog row" "0 0 0" "$status $companion $catalog"
fi
check "every row exactly once, bit for bit" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
check "no duplicate ids" 0 "$(sql -c "SELECT count(*) - count(DISTINCT id) FROM ev")"
# And it compresses (and decompresses) after recovery.
sql -c "SELECT compress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
check "compressed after recovery" 1 "$(sql -c "SELECT _strata_internal.chunk_status('$chunk')")"
sql -c "SELECT decompress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
check "rows after a second round trip" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")"
echo PASS
