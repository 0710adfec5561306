#!/usr/bin/env bash
# kill -9 the server in the middle of refresh_continuous_aggregate (one-bucket batches, each
# committed on its own): after restart the catalog is consistent (no bucket twice, the
# watermark at the end of what was materialized, the unprocessed part still in the invalidation
# log), the real-time view already equals the raw aggregation, and the next refresh makes the
# materialization equal to it exactly. Uses a private cluster (test/shell/lib/common.sh).
source "$(dirname "$0")/../../scripts/lib.sh"
TEST_PORT=55491
source "$(dirname "$0")/lib/common.sh"

cluster_start "$TEST_DATA" "$TEST_PORT" "fsync = on" "synchronous_commit = on"
sql -c "CREATE EXTENSION strata" >/dev/null
sql <<'SQL' >/dev/null || { echo FAIL; exit 1; }
SET timezone = 'UTC';
CREATE TABLE m (time timestamptz NOT NULL, device int NOT NULL, v int NOT NULL);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT '2024-01-01'::timestamptz + g * interval '2 seconds', g % 7, g % 1000
  FROM generate_series(1, 600000) g;
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(v) AS s, max(v) AS hi
    FROM m GROUP BY 1, 2 WITH NO DATA;
CREATE VIEW raw AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(v) AS s, max(v) AS hi
    FROM m GROUP BY 1, 2;
CREATE VIEW diff AS
  SELECT count(*) AS n FROM ((TABLE hourly EXCEPT ALL TABLE raw) UNION ALL (TABLE raw EXCEPT ALL TABLE hourly)) d;
SQL
mat=$(sql -c "SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
                FROM strata_information.continuous_aggregates WHERE view_name = 'hourly'")

# One bucket a batch: about 330 committed batches.
( sql -c "SET strata.cagg_refresh_batch_buckets = 1" -c "CALL refresh_continuous_aggregate('hourly', NULL, NULL)" \
    >/dev/null 2>&1 ) &
job=$!
# Wait until some batches are committed and the refresh is still running, then kill the server
# (after 30 of about 330), then hold it there (below).
seen=0
deadline=$((SECONDS + 240))  # (a deadline, not a number of polls: a loaded machine polls slower)
while [ "$SECONDS" -lt "$deadline" ]; do
  n=$(sql -c "SELECT count(*) FROM $mat" 2>/dev/null)
  running=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CALL refresh_continuous_aggregate%'" 2>/dev/null)
  if [ "${n:-0}" -ge 30 ] && [ "${running:-0}" -ge 1 ]; then seen=1; break; fi
  sleep 0.05
done
check "the refresh was seen in progress" 1 "$seen"
# Hold the refresh between two batches so that it cannot finish before the kill, however fast
# its batches are and however slowly this machine polls: an ACCESS EXCLUSIVE lock on the raw
# hypertable is granted once the batch in progress commits, and the next batch waits for it.
( sql -c "BEGIN" -c "LOCK TABLE m IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 ) &
holder=$!
waiting=0
deadline=$((SECONDS + 120))
while [ "$SECONDS" -lt "$deadline" ]; do
  w=$(sql -c "SELECT count(*) FROM pg_stat_activity
               WHERE query LIKE 'CALL refresh_continuous_aggregate%' AND wait_event_type = 'Lock'" 2>/dev/null)
  if [ "${w:-0}" -ge 1 ]; then waiting=1; break; fi
  sleep 0.05
done
check "the refresh waits between two batches" 1 "$waiting"
kill_server
wait $job 2>/dev/null || true
wait $holder 2>/dev/null || true
rm -f "$TEST_DATA/postmaster.pid" "$TEST_DATA.sock"/.s.PGSQL.*.lock
cluster_start "$TEST_DATA" "$TEST_PORT" || { tail -20 "$TEST_DATA.log"; echo FAIL; exit 1; }

buckets=$(sql -c "SELECT count(DISTINCT bucket) FROM $mat")
total=$(sql -c "SELECT count(DISTINCT time_bucket('1 hour', time)) FROM m")
echo "materialized buckets after recovery: $buckets of $total"
if [ "$buckets" -ge "$total" ]; then echo "FAIL: the refresh had finished before the crash"; echo FAIL; exit 1; fi
check "no bucket and group twice" 0 "$(sql -c "SELECT count(*) - count(DISTINCT (bucket, device)) FROM $mat")"
check "the watermark is the end of the materialized buckets" t \
  "$(sql -c "SELECT watermark = (SELECT (extract(epoch FROM max(bucket) + interval '1 hour') * 1000000)::bigint FROM $mat)
               FROM _strata_catalog.continuous_agg")"
check "the materialized buckets are exact" 0 \
  "$(sql -c "SELECT count(*) FROM ((SELECT * FROM $mat EXCEPT ALL SELECT * FROM raw WHERE bucket < (SELECT max(bucket) + interval '1 hour' FROM $mat))
                                   UNION ALL (SELECT * FROM raw WHERE bucket < (SELECT max(bucket) + interval '1 hour' FROM $mat) EXCEPT ALL SELECT * FROM $mat)) d")"
check "the rest is still in the invalidation log" 1 \
  "$(sql -c "SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i, _strata_catalog.continuous_agg c
               WHERE i.lowest <= c.watermark AND i.greatest = 9223372036854775807")"
check "the real-time view equals the raw aggregation" 0 "$(sql -c "SELECT n FROM diff")"
# A late row below the watermark, then the next refresh: exact.
sql -c "INSERT INTO m VALUES ('2024-01-01 03:30+00', 1, 5000)" >/dev/null
sql -c "CALL refresh_continuous_aggregate('hourly', NULL, NULL)" >/dev/null || { echo FAIL; exit 1; }
sql -c "ALTER MATERIALIZED VIEW hourly SET (timescaledb.materialized_only = true)" >/dev/null
check "after the next refresh the materialization equals the raw aggregation" 0 "$(sql -c "SELECT n FROM diff")"
check "every bucket materialized" "$total" "$(sql -c "SELECT count(DISTINCT bucket) FROM $mat")"
check "nothing left in the log below the threshold" 0 \
  "$(sql -c "SELECT count(*) FROM _strata_catalog.continuous_agg_invalidation i, _strata_catalog.continuous_agg c
               WHERE i.lowest < c.invalidation_threshold")"
echo PASS
