#!/usr/bin/env bash
# A streaming replica of a database with compressed chunks: a standby made with pg_basebackup
# replays compress_chunk, a segment-wise recompression and decompress_chunk from the WAL (the
# companion tables are plain WAL-logged heap) and answers the same queries as the primary,
# through ColumnarScan on the compressed chunks.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55493
STANDBY_PORT=55494
source "$(dirname "$0")/lib/common.sh"
STANDBY=$TEST_DIR/standby
trap 'cluster_stop "$STANDBY"; cleanup' EXIT

cluster_start "$TEST_DATA" "$TEST_PORT" "wal_level = replica" "max_wal_senders = 4" "hot_standby = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE ev (time timestamptz NOT NULL, dev int NOT NULL, v float8, note text);
SELECT create_hypertable('ev', by_range('time', INTERVAL '1 day'));
ALTER TABLE ev SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev', timescaledb.compress_orderby = 'time DESC');
INSERT INTO ev SELECT '2024-01-01'::timestamptz + g * interval '10 seconds', g % 20, g / 16.0, 'n' || (g % 13)
  FROM generate_series(1, 30000) g;
SQL
standby_start
standby() { psql_at "$STANDBY" "$STANDBY_PORT" -At "$@"; }
check "standby in recovery" t "$(standby -c "SELECT pg_is_in_recovery()")"

# Waits until the standby has replayed everything the primary has written.
sync_standby() {
  local lsn
  lsn=$(sql -c "SELECT pg_current_wal_lsn()")
  deadline=$((SECONDS + 240))  # (a deadline, not a number of polls: a loaded machine polls slower)
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(standby -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ] && return 0
    sleep 0.1
  done
  echo "FAIL: the standby did not catch up"; exit 1
}
QUERIES="SELECT count(*), sum(v), md5(string_agg(e::text, ',' ORDER BY time, dev)) FROM ev e;
SELECT dev, count(*), min(time), max(v) FROM ev WHERE dev IN (3, 7) AND time >= '2024-01-02' GROUP BY dev ORDER BY dev;
SELECT time, dev, v FROM ev ORDER BY time DESC LIMIT 5;"
same_answers() {  # same_answers DESCRIPTION
  sync_standby
  check "$1" "$(sql -c "$QUERIES")" "$(standby -c "$QUERIES")"
}

sql -c "SELECT count(compress_chunk(c)) FROM show_chunks('ev') c" >/dev/null || { echo FAIL; exit 1; }
same_answers "same answers after compress_chunk"
check "the standby reads compressed chunks with ColumnarScan" 1 \
  "$(standby -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM ev WHERE dev = 3" | grep -c -m1 ColumnarScan)"
check "the standby sees the companions" "$(sql -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")" \
  "$(standby -c "SELECT count(*) FROM _strata_catalog.compressed_chunk")"

sql -c "INSERT INTO ev SELECT '2024-01-02'::timestamptz + g * interval '7 seconds', 3, -g, 'late' FROM generate_series(1, 500) g" >/dev/null
same_answers "same answers with rows in a row part"
sql -c "SELECT count(compress_chunk(c)) FROM show_chunks('ev') c" >/dev/null || { echo FAIL; exit 1; }
check "recompressed on the primary" "$(sql -c "SELECT count(*) FROM show_chunks('ev')")" \
  "$(sql -c "SELECT count(*) FROM show_chunks('ev') c WHERE _strata_internal.chunk_status(c) = 1")"
same_answers "same answers after recompression"

sql -c "SELECT count(decompress_chunk(c)) FROM show_chunks('ev') c" >/dev/null || { echo FAIL; exit 1; }
same_answers "same answers after decompress_chunk"
echo PASS
