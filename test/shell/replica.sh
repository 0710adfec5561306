#!/usr/bin/env bash
# A physical streaming standby of a cluster with hypertables (chunks created while the standby
# streams), a compressed chunk, a continuous aggregate and jobs: the standby answers every query
# the same as the primary (plain scans, chunk exclusion, ColumnarScan, real-time aggregation, gap
# filling), runs no background job, and starts its jobs once promoted.
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55491
STANDBY_PORT=55492
source "$(dirname "$0")/lib/common.sh"
STANDBY=$TEST_DIR/standby

cleanup_standby() { cluster_stop "$STANDBY"; cleanup; }
trap cleanup_standby EXIT

cluster_start "$TEST_DATA" "$TEST_PORT" "wal_level = replica" "max_wal_senders = 4" "hot_standby = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
CREATE TABLE metrics (time timestamptz NOT NULL, device int NOT NULL, v double precision, note text);
SELECT create_hypertable('metrics', by_range('time', INTERVAL '1 day'));
ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
INSERT INTO metrics SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g % 10, g / 3.0, 'n' || (g % 7)
  FROM generate_series(0, 4319) g;
SELECT compress_chunk(c) FROM show_chunks('metrics') c ORDER BY c LIMIT 1;
CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, avg(v) AS avg_v, count(*) AS n FROM metrics GROUP BY 1, 2
  WITH NO DATA;
CALL refresh_continuous_aggregate('metrics_hourly', NULL, '2024-01-02');
CREATE TABLE job_runs (at timestamptz);
CREATE PROCEDURE record_run(job_id int, config jsonb) LANGUAGE SQL AS $$ INSERT INTO job_runs VALUES (now()) $$;
SELECT add_job('record_run', '1 second');
SQL

standby_start
ssql() { psql_at "$STANDBY" "$STANDBY_PORT" -At "$@"; }
check "the standby is in recovery" t "$(ssql -c "SELECT pg_is_in_recovery()")"

# Written while the standby streams: new chunks, late rows into the compressed chunk (its row part),
# an aggregate refresh.
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
INSERT INTO metrics SELECT '2024-01-04'::timestamptz + g * interval '1 minute', g % 10, -g, NULL
  FROM generate_series(0, 2879) g;
INSERT INTO metrics VALUES ('2024-01-01 12:00:30', 3, 1000, 'late');
CALL refresh_continuous_aggregate('metrics_hourly', '2024-01-02', '2024-01-05');
SQL
lsn=$(sql -c "SELECT pg_current_wal_lsn()")
deadline=$((SECONDS + 240))  # (a deadline, not a number of polls: a loaded machine polls slower)
while [ "$SECONDS" -lt "$deadline" ]; do
  caught=$(ssql -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")
  [ "$caught" = t ] && break
  sleep 0.1
done
check "the standby replayed the primary's WAL" t "$caught"

same() {  # same DESCRIPTION QUERY: the query's result hashed on both servers
  local q="SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) || ' ' || count(*) FROM ($2) x"
  check "$1" "$(sql -c "$q")" "$(ssql -c "$q")"
}
same "every row" "SELECT * FROM metrics"
same "chunk exclusion" "SELECT * FROM metrics WHERE time >= '2024-01-04 10:00' AND time < '2024-01-04 11:00'"
same "the compressed chunk through ColumnarScan" "SELECT device, count(*), sum(v), max(note) FROM metrics WHERE time < '2024-01-02' GROUP BY device"
same "a segment of the compressed chunk" "SELECT * FROM metrics WHERE device = 3 AND time < '2024-01-02'"
same "the chunk catalog" "SELECT c FROM show_chunks('metrics') c"
same "compression stats" "SELECT chunk_name, is_compressed FROM strata_information.chunks WHERE hypertable_name = 'metrics'"
same "the real-time aggregate" "SELECT * FROM metrics_hourly"
same "gap filling" "SELECT time_bucket_gapfill('6 hours', time) AS b, device, locf(avg(v)) FROM metrics WHERE time >= '2023-12-31' AND time < '2024-01-06' GROUP BY b, device"
check "the late row is on the standby" 1 "$(ssql -c "SELECT count(*) FROM metrics WHERE note = 'late'")"
check "the standby refuses writes" "cannot execute INSERT in a read-only transaction" \
  "$(ssql -c "INSERT INTO metrics VALUES (now(), 1, 1, NULL)" 2>&1 | sed -E 's/^ERROR: +//' | head -1)"

# No job runs on the standby: no launcher, and job_runs only grows through replication.
sleep 2
check "no job launcher on the standby" 0 \
  "$(ssql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'strata%'")"
check "the primary runs its launcher" 1 \
  "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'strata job launcher'")"

# Promoted, the standby starts its own jobs.
before=$(ssql -c "SELECT count(*) FROM job_runs")
cluster_stop "$TEST_DATA"
as_pg "$STAGE_BINDIR/pg_ctl" -D "$STANDBY" -w -t 60 promote >/dev/null || { echo "FAIL: promote"; exit 1; }
ran=0
deadline=$((SECONDS + 240))  # (a deadline, not a number of polls: a loaded machine polls slower)
while [ "$SECONDS" -lt "$deadline" ]; do
  now=$(ssql -c "SELECT count(*) FROM job_runs")
  if [ "$now" -gt "$before" ]; then ran=1; break; fi
  sleep 0.2
done
check "the promoted standby runs the job" 1 "$ran"
ssql -c "INSERT INTO metrics VALUES ('2024-02-01', 1, 1, NULL)" >/dev/null || { echo FAIL; exit 1; }
check "the promoted standby creates chunks" 1 "$(ssql -c "SELECT count(*) FROM metrics WHERE time = '2024-02-01'")"
echo PASS
