#!/usr/bin/env bash
# pg_dump / pg_restore of a database with continuous aggregates: the restored aggregate has the same
# rows, catalog (threshold, watermark, invalidation log) and policy; late rows written before the
# dump are refreshed after the restore, new writes are logged again, the policy job runs, and
# real-time aggregation works. Uses a private cluster (test/shell/lib/common.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
TEST_PORT=55481
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

SRC=cagg_dump_src
DST=cagg_dump_dst
DUMP=$TEST_DIR/cagg.dump
q() { sql -q "$@"; }
conn=(-h "$TEST_DATA.sock" -p "$TEST_PORT" -U postgres)

cluster_start "$TEST_DATA" "$TEST_PORT"
q -d postgres -c "CREATE DATABASE $SRC" -c "CREATE DATABASE $DST"
(q -d $SRC <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION strata;
CREATE TABLE m (time timestamptz NOT NULL, device int, v int);
SELECT create_hypertable('m', by_range('time', interval '1 day'));
INSERT INTO m SELECT t, g % 3, g FROM generate_series(now() - interval '5 days', now(), interval '7 minutes') WITH ORDINALITY AS s(t, g);
CREATE MATERIALIZED VIEW hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', time) AS bucket, device, count(*) AS n, sum(v) AS s FROM m GROUP BY 1, 2;
CREATE MATERIALIZED VIEW daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT time_bucket('1 day', bucket) AS day, sum(n) AS n FROM hourly GROUP BY 1;
-- (not before tomorrow: the test runs the job itself)
SELECT add_continuous_aggregate_policy('hourly', interval '10 days', interval '1 hour', interval '1 hour',
  initial_start => now() + interval '1 day');
-- Late rows of three groups of one bucket, logged but not yet refreshed (one delta row of the
-- three packed as rows x columns).
INSERT INTO m VALUES (now() - interval '3 days', 1, 1000000), (now() - interval '3 days', 0, 5),
                     (now() - interval '3 days', 2, 6);
SQL
) >/dev/null

summary() {
  q -d "$1" <<'SQL'
SELECT 'hourly ' || count(*) || ' ' || sum(n) || ' ' || sum(s) FROM hourly
UNION ALL SELECT 'daily ' || count(*) || ' ' || sum(n) FROM daily
UNION ALL SELECT 'catalog ' || user_view_name || ' ' || invalidation_threshold || ' ' || watermark || ' ' || materialized_only
  FROM _strata_catalog.continuous_agg
UNION ALL SELECT 'log ' || mat_hypertable_id || ' ' || lowest || ' ' || greatest FROM _strata_catalog.continuous_agg_invalidation
UNION ALL SELECT 'delta ' || mat_hypertable_id || ' ' || bucket || ' ' || vals::text FROM _strata_catalog.continuous_agg_delta
UNION ALL SELECT 'job ' || proc_name || ' ' || config::text FROM strata_information.jobs WHERE proc_name LIKE 'policy_refresh%'
UNION ALL SELECT 'view ' || view_name || ' ' || materialization_hypertable_name FROM strata_information.continuous_aggregates
UNION ALL SELECT 'triggers ' || count(*) FROM pg_trigger WHERE tgname LIKE 'strata_cagg%'
ORDER BY 1;
SQL
}
raw_diff() {
  q -d "$1" -c "SELECT count(*) FROM ((TABLE hourly EXCEPT ALL SELECT time_bucket('1 hour', time), device, count(*), sum(v) FROM m GROUP BY 1, 2)
                 UNION ALL (SELECT time_bucket('1 hour', time), device, count(*), sum(v) FROM m GROUP BY 1, 2 EXCEPT ALL TABLE hourly)) d"
}

before=$(summary $SRC)
"$SYS_BINDIR/pg_dump" "${conn[@]}" -Fc -d $SRC -f "$DUMP"
"$SYS_BINDIR/pg_restore" "${conn[@]}" --exit-on-error -d $DST "$DUMP"
after=$(summary $DST)
if [ "$before" != "$after" ]; then
  echo "FAIL: continuous aggregates differ after pg_restore" >&2
  diff <(echo "$before") <(echo "$after") >&2
  exit 1
fi
echo "ok: restored aggregates, catalog and policy equal ($(echo "$before" | wc -l) properties)"
check "stale before the refresh" t "$( [ "$(raw_diff $DST)" -gt 0 ] && echo t || echo f)"
check "the late rows were one packed delta row" "1 [1:3][1:4]" "$(q -d $DST -c "SELECT count(*), min(array_dims(vals)) FROM _strata_catalog.continuous_agg_delta" -At -F ' ')"
q -d $DST -c "CALL refresh_continuous_aggregate('hourly', NULL, NULL)"
check "the logged late rows are refreshed after the restore" 0 "$(raw_diff $DST)"
# New writes after the restore are logged (the triggers and the tracking work on restored chunks).
q -d $DST -c "UPDATE m SET v = v + 1 WHERE time < now() - interval '4 days'" >/dev/null
q -d $DST -c "INSERT INTO m VALUES (now() - interval '2 days', 2, 7)" >/dev/null
job=$(q -d $DST -c "SELECT job_id FROM strata_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'")
q -d $DST -c "CALL run_job($job)"
check "the policy job refreshes after the restore" 0 "$(raw_diff $DST)"
# Real-time aggregation on the restored hierarchical aggregate.
q -d $DST -c "CALL refresh_continuous_aggregate('daily', NULL, NULL)"
check "real-time daily equals the raw rows" 0 "$(q -d $DST -c "SELECT count(*) FROM ((TABLE daily EXCEPT SELECT time_bucket('1 day', time), count(*) FROM m GROUP BY 1)
  UNION ALL (SELECT time_bucket('1 day', time), count(*) FROM m GROUP BY 1 EXCEPT TABLE daily)) d")"
