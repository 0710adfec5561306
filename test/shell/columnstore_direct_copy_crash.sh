#!/usr/bin/env bash
# kill -9 the server in the middle of a direct-to-columnstore COPY (strata.enable_direct_compress_copy:
# rows written as compressed batches, one chunk already compressed, new chunks converted): after
# restart the COPY is all or nothing (every row of it there exactly once, or none), the chunks'
# status, catalog rows and companion tables agree, and COPY, compression and decompression work.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55497
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
csv=$TEST_DIR/rows.csv
sql <<SQL >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, id int NOT NULL, v float8, note text);
SELECT create_hypertable('ev', by_range('time', INTERVAL '10 days'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
-- An already compressed chunk the COPY also writes into.
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 50, -g, g / 7.0, 'old'
  FROM generate_series(1, 100000) g;
SELECT count(compress_chunk(c)) FROM show_chunks('ev') c;
COPY (SELECT '2024-01-01'::timestamptz + g * interval '1 second' + interval '0.5 second', g % 50, g, g / 3.0, 'n' || (g % 1000)
        FROM generate_series(1, 2000000) g) TO '$csv' WITH (FORMAT csv);
CREATE TABLE ev_before AS SELECT md5(string_agg(e::text, '' ORDER BY id)) AS h, count(*) AS n FROM ev e;
CREATE TABLE ev_after_plain (LIKE ev);
INSERT INTO ev_after_plain SELECT * FROM ev;
COPY ev_after_plain FROM '$csv' WITH (FORMAT csv);
CREATE TABLE ev_after AS SELECT md5(string_agg(e::text, '' ORDER BY id)) AS h, count(*) AS n FROM ev_after_plain e;
DROP TABLE ev_after_plain;
SQL

# The direct COPY writes 2,000,000 rows in about a second on an idle machine, too fast for a poll
# to catch it. A second session holds the hypertable's chunk-creation lock (SHARE UPDATE
# EXCLUSIVE, which does not conflict with the COPY's own lock), so the COPY writes the batches of
# the first chunk's 604,800 rows and then waits to create the second chunk, until the kill.
( sql -c "BEGIN" -c "LOCK TABLE ev IN SHARE UPDATE EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 ) &
holder=$!
wait_for_activity "the chunk-creation lock is held" \
  "SELECT count(*) FROM pg_locks WHERE relation = 'ev'::regclass AND mode = 'ShareUpdateExclusiveLock' AND granted"
( sql -c "SET strata.enable_direct_compress_copy = on" -c "COPY ev FROM '$csv' WITH (FORMAT csv)" >/dev/null 2>&1 ) &
job=$!
# Wait until the COPY has written batches (rows processed past the first flush), then kill.
wait_for_activity "the direct COPY was seen in progress" "SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 300000"
crash_and_restart $job "${CRASH_DELAY:-0.5}"
wait $holder 2>/dev/null || true

now=$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY id)) || ' ' || count(*) FROM ev e")
before=$(sql -c "SELECT h || ' ' || n FROM ev_before")
after=$(sql -c "SELECT h || ' ' || n FROM ev_after")
if [ "$now" = "$before" ]; then
  echo "ok: the COPY was lost as a whole"
  check "no chunk but the first is compressed" 1 "$(sql -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")"
elif [ "$now" = "$after" ]; then
  echo "ok: the COPY committed as a whole"
else
  check "every row exactly once (before or after the COPY)" "$before or $after" "$now"
fi
check "no duplicate ids" 0 "$(sql -c "SELECT count(*) - count(DISTINCT id) FROM ev")"
# Catalog, status and companions agree.
check "every compressed chunk has a catalog row and a companion" 0 "$(sql -c "
  SELECT count(*) FROM _strata_catalog.chunk ch LEFT JOIN _strata_catalog.compressed_chunk cc ON cc.chunk_id = ch.id
   WHERE (ch.status & 1 = 1) <> (cc.chunk_id IS NOT NULL AND to_regclass(format('%I.%I', cc.schema_name, cc.table_name)) IS NOT NULL)")"
check "no orphaned companion" 0 "$(sql -c "
  SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = '_strata_internal' AND c.relname LIKE '%\_cs' AND c.relkind = 'r'
     AND NOT EXISTS (SELECT 1 FROM _strata_catalog.compressed_chunk cc WHERE cc.table_name = c.relname)")"

# It works after recovery: the COPY again (all of it now), compression and decompression.
sql -c "TRUNCATE ev" >/dev/null
sql -c "SET strata.enable_direct_compress_copy = on" -c "COPY ev FROM '$csv' WITH (FORMAT csv)" >/dev/null || { echo FAIL; exit 1; }
check "the COPY after recovery" 2000000 "$(sql -c "SELECT count(*) FROM ev")"
sql -c "SELECT count(compress_chunk(c)) FROM show_chunks('ev') c" >/dev/null || { echo FAIL; exit 1; }
sql -c "SELECT count(decompress_chunk(c)) FROM show_chunks('ev') c" >/dev/null || { echo FAIL; exit 1; }
check "rows after a round trip" "2000000 2000000" "$(sql -c "SELECT count(*) || ' ' || count(DISTINCT id) FROM ev")"
echo PASS
