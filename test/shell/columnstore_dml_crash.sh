#!/usr/bin/env bash
# kill -9 the server in the middle of an UPDATE that moves compressed batches into the row part:
# after restart every row is there exactly once (an earlier committed move stays, the interrupted
# statement's moves are gone), batches and row part add up, the primary key holds, and the chunk
# can be updated and recompressed again.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55491
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, v float8, PRIMARY KEY (dev, time));
SELECT create_hypertable('ev', by_range('time', INTERVAL '100 days'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev');
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '1 second', g % 50, g FROM generate_series(1, 600000) g;
SELECT compress_chunk(c) FROM show_chunks('ev') c;
-- A committed move: one device's batches are in the row part, updated.
UPDATE ev SET v = -v WHERE dev = 7;
CREATE TABLE ev_before AS SELECT md5(string_agg(e::text, '' ORDER BY dev, time)) AS h, count(*) AS n FROM ev e;
SQL
chunk=$(sql -c "SELECT show_chunks('ev')")
check "one partial chunk" "3" "$(sql -c "SELECT _strata_internal.chunk_status('$chunk')")"

( sql -c "UPDATE ev SET v = v + 1 WHERE dev <> 7" >/dev/null 2>&1 ) &
job=$!
wait_for_activity "the update was seen in progress" "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'UPDATE ev SET v = v + 1%'"
crash_and_restart $job "${CRASH_DELAY:-1}"

check "every row exactly once, as before the update" "$(sql -c "SELECT h || ' ' || n FROM ev_before")" \
  "$(sql -c "SELECT md5(string_agg(e::text, '' ORDER BY dev, time)) || ' ' || count(*) FROM ev e")"
check "the companion keeps the batches not moved before" 588000 \
  "$(sql -c "SELECT sum(_strata_count) FROM _strata_internal._hyper_1_1_cs")"
check "no duplicate keys" 0 "$(sql -c "SELECT count(*) - count(DISTINCT (dev, time)) FROM ev")"
# The same statement runs to completion after recovery, and the chunk recompresses.
sql -c "UPDATE ev SET v = v + 1 WHERE dev <> 7" >/dev/null || { echo FAIL; exit 1; }
sql -c "SELECT compress_chunk('$chunk')" >/dev/null || { echo FAIL; exit 1; }
check "recompressed" 1 "$(sql -c "SELECT _strata_internal.chunk_status('$chunk')")"
check "sum after recompression" "$(sql -c "SELECT sum(CASE WHEN g % 50 = 7 THEN -g ELSE g + 1 END) FROM generate_series(1, 600000) g")" \
  "$(sql -c "SELECT sum(v) FROM ev")"
echo PASS
