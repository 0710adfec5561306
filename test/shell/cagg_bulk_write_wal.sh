#!/usr/bin/env bash
# A full refresh writes the materialization's new chunks in bulk and builds their indexes after the
# rows (strata.cagg_refresh_bulk_write): all of it reaches the WAL. A streaming standby has every
# row in every index of those chunks (amcheck with heapallindexed) and answers index scans as the
# primary does; after kill -9 of the primary right after the refresh, crash recovery gives the same.
# Uses a private cluster and a standby (test/shell/lib/common.sh).
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55495
STANDBY_PORT=55496
source "$(dirname "$0")/lib/common.sh"
STANDBY=$TEST_DIR/standby

cleanup_standby() { cluster_stop "$STANDBY"; cleanup; }
trap cleanup_standby EXIT

cluster_start "$TEST_DATA" "$TEST_PORT" "wal_level = replica" "max_wal_senders = 4" "hot_standby = on" \
  "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql -c "CREATE EXTENSION amcheck" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
SET timezone = 'UTC';
CREATE TABLE st (time timestamptz NOT NULL, acct text, status text, v int);
SELECT create_hypertable('st', by_range('time', interval '1 day'));
INSERT INTO st SELECT '2024-01-01'::timestamptz + g * interval '1 minute', 'acct ' || (g % 17),
                      (ARRAY['up', 'down', 'idle'])[1 + g % 3], g % 1000
  FROM generate_series(0, 25 * 24 * 60) g;
CREATE MATERIALIZED VIEW h WITH (timescaledb.continuous) AS
  SELECT time_bucket('10 minutes', time) AS bucket, acct, status, count(*) AS n, sum(v) AS s
    FROM st GROUP BY 1, 2, 3 WITH NO DATA;
-- amcheck of every index of the materialization's chunks; the number of indexes checked
CREATE FUNCTION check_mat() RETURNS int LANGUAGE plpgsql AS $$
DECLARE i oid; n int := 0;
BEGIN
  FOR i IN SELECT x.indexrelid FROM pg_index x
            WHERE x.indrelid IN (SELECT show_chunks(format('%I.%I', materialization_hypertable_schema,
                                   materialization_hypertable_name)) FROM strata_information.continuous_aggregates)
            ORDER BY 1 LOOP
    PERFORM bt_index_check(i, true);
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;
SQL

standby_start
ssql() { psql_at "$STANDBY" "$STANDBY_PORT" -At "$@"; }
check "the standby is in recovery" t "$(ssql -c "SELECT pg_is_in_recovery()")"

# The full refresh while the standby streams: three new materialization chunks.
sql -c "CALL refresh_continuous_aggregate('h', NULL, NULL)" >/dev/null || { echo FAIL; exit 1; }
MAT=$(sql -c "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
                FROM strata_information.continuous_aggregates WHERE view_name = 'h'")
check "the new chunks' indexes were built after their rows (their rows counted in reltuples)" "6|3" \
  "$(sql -c "SELECT count(*) FILTER (WHERE c.reltuples > 0), count(DISTINCT x.indrelid)
               FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
              WHERE x.indrelid IN (SELECT show_chunks('$MAT'))")"
check "one transaction a chunk" 3 "$(sql -c "SELECT count(DISTINCT xmin::text) FROM $MAT")"
lsn=$(sql -c "SELECT pg_current_wal_lsn()")
deadline=$((SECONDS + 240))  # (a deadline, not a number of polls: a loaded machine polls slower)
caught=f
while [ "$SECONDS" -lt "$deadline" ]; do
  caught=$(ssql -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")
  [ "$caught" = t ] && break
  sleep 0.1
done
check "the standby replayed the primary's WAL" t "$caught"

Q="SET enable_seqscan = off; SET enable_bitmapscan = off;
   SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, acct, status, n), ',' ORDER BY acct, status, bucket)) || ' ' || count(*)
     FROM h WHERE acct IN ('acct 3', 'acct 11') AND status = 'down';
   SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, acct, status, n), ',' ORDER BY bucket, acct, status)) || ' ' || count(*)
     FROM h WHERE bucket >= '2024-01-09' AND bucket < '2024-01-12'"
RAW="SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, acct, status, n), ',' ORDER BY acct, status, bucket)) || ' ' || count(*)
       FROM (SELECT time_bucket('10 minutes', time) AS bucket, acct, status, count(*) AS n FROM st
              WHERE acct IN ('acct 3', 'acct 11') AND status = 'down' GROUP BY 1, 2, 3) r;
     SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, acct, status, n), ',' ORDER BY bucket, acct, status)) || ' ' || count(*)
       FROM (SELECT time_bucket('10 minutes', time) AS bucket, acct, status, count(*) AS n FROM st
              WHERE time >= '2024-01-09' AND time < '2024-01-12' GROUP BY 1, 2, 3) r"
expected=$(sql -c "$RAW" | tr '\n' ' ')
check "index scans on the primary equal the raw aggregation" "$expected" "$(sql -c "$Q" | grep -v '^SET' | tr '\n' ' ')"
check "index scans on the standby equal the raw aggregation" "$expected" "$(ssql -c "$Q" | grep -v '^SET' | tr '\n' ' ')"
check "amcheck on the standby: every row in every index" 6 "$(ssql -c "SELECT check_mat()")"

# kill -9 right after a refresh that created a new chunk (no checkpoint in between): recovery
# replays the chunk, its rows and its built indexes.
sql -c "INSERT INTO st SELECT '2024-01-27'::timestamptz + g * interval '2 minutes', 'acct ' || (g % 5), 'up', g
          FROM generate_series(0, 12 * 24 * 30) g" >/dev/null
sql -c "CALL refresh_continuous_aggregate('h', NULL, NULL)" >/dev/null || { echo FAIL; exit 1; }
( sleep 0.2 ) &
crash_and_restart $! 0
sql -c "SELECT 1" >/dev/null
expected=$(sql -c "$RAW" | tr '\n' ' ')
check "after crash recovery index scans equal the raw aggregation" "$expected" "$(sql -c "$Q" | grep -v '^SET' | tr '\n' ' ')"
check "after crash recovery: every row in every index" 10 "$(sql -c "SELECT check_mat()")"
check "after crash recovery the aggregate equals the raw aggregation" 0 \
  "$(sql -c "SELECT count(*) FROM ((SELECT * FROM h EXCEPT ALL SELECT time_bucket('10 minutes', time), acct, status, count(*), sum(v) FROM st GROUP BY 1, 2, 3)
                                   UNION ALL (SELECT time_bucket('10 minutes', time), acct, status, count(*), sum(v) FROM st GROUP BY 1, 2, 3 EXCEPT ALL SELECT * FROM h)) d")"
echo PASS
