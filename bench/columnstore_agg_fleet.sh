#!/usr/bin/env bash
# Aggregation pushdown over compressed chunks grouped by non-segmentby columns (docs/BENCHMARKS.md,
# "Aggregates over compressed chunks grouped by other columns"): a fleet-like status table (devices
# in accounts reporting every 2 minutes, status 90% connected / 6% reconnecting / 4% disconnected)
# as a plain PostgreSQL table and as a strata hypertable with every chunk compressed (segmentby
# account_id, orderby timestamp, device_id). Queries grouped by status (alone, with the account,
# with an hourly time_bucket: the continuous aggregate refresh's query) are timed --runs times on
# the plain table and on the compressed hypertable with strata.enable_columnstore_agg_pushdown on
# and off; then a full refresh of an hourly continuous aggregate by account and status over the
# compressed hypertable (on and off) against REFRESH MATERIALIZED VIEW of the same query on the
# plain table, alternating, --runs times. One run on a throwaway cluster; medians (ms) and ratios.
#
#   bench/columnstore_agg_fleet.sh [--devices N] [--accounts N] [--hours N] [--runs N] [--port N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
devices=2000
accounts=50
hours=24
runs=5
port=${BENCH_PORT:-55482}
while [ $# -gt 0 ]; do
  case $1 in
    --devices) devices=$2; shift ;;
    --accounts) accounts=$2; shift ;;
    --hours) hours=$2; shift ;;
    --runs) runs=$2; shift ;;
    --port) port=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=../scripts/lib.sh
source "$HERE/../scripts/lib.sh"
data=/tmp/strata-csaggfleet-$port-data
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" "shared_buffers = 512MB" "work_mem = 64MB" "jit = off" "autovacuum = off"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
q() { psql_at "$data" "$port" -d postgres -qAt "$@"; }

q <<SQL
CREATE EXTENSION strata;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE fleet_plain ("timestamp" timestamptz NOT NULL, account_id text NOT NULL, device_id text NOT NULL,
                          status text, mode text);
INSERT INTO fleet_plain
SELECT '2024-01-01'::timestamptz + make_interval(secs => s * 120 + d % 120),
       'acct_' || lpad(floor($accounts * (d::float8 / $devices) ^ 3)::int::text, 4, '0'),
       'dev_' || lpad(d::text, 6, '0'),
       CASE WHEN r < 90 THEN 'connected' WHEN r < 96 THEN 'reconnecting' ELSE 'disconnected' END,
       (ARRAY['wifi', 'ethernet', 'cellular'])[1 + d % 3]
FROM generate_series(0, $hours * 30 - 1) s, generate_series(0, $devices - 1) d,
     LATERAL (SELECT ((hashint8extended(d::int8 * 1000000 + s, 7) % 100 + 100) % 100) AS r) x
ORDER BY 1, 3;
CREATE INDEX ON fleet_plain (account_id, "timestamp");
CREATE TABLE fleet (LIKE fleet_plain);
SELECT count(*) FROM create_hypertable('fleet', by_range('timestamp', interval '6 hours'), create_default_indexes => false);
CREATE INDEX ON fleet (account_id, "timestamp");
INSERT INTO fleet SELECT * FROM fleet_plain;
ALTER TABLE fleet SET (timescaledb.compress, timescaledb.compress_segmentby = 'account_id',
                       timescaledb.compress_orderby = '"timestamp", device_id');
SELECT count(compress_chunk(c)) FROM show_chunks('fleet') c;
VACUUM ANALYZE fleet_plain;
VACUUM ANALYZE fleet;
CREATE MATERIALIZED VIEW plain_hourly AS
  SELECT time_bucket('1 hour', "timestamp") AS bucket, account_id, status, count(*) AS n
  FROM fleet_plain GROUP BY 1, 2, 3 WITH NO DATA;
CREATE MATERIALIZED VIEW fleet_hourly WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 hour', "timestamp") AS bucket, account_id, status, count(*) AS n
  FROM fleet GROUP BY 1, 2, 3 WITH NO DATA;
SQL
log "$(q -c "SELECT count(*) FROM fleet_plain") rows, $devices devices, $accounts accounts"

q <<'SQL'
CREATE TABLE queries (id int, name text, q text);
INSERT INTO queries VALUES
  (1, 'by status', 'SELECT status, count(*) FROM %s GROUP BY status'),
  (2, 'by account, status', 'SELECT account_id, status, count(*) FROM %s GROUP BY 1, 2'),
  (3, 'refresh query: hour, account, status', 'SELECT time_bucket(''1 hour'', "timestamp"), account_id, status, count(*) FROM %s GROUP BY 1, 2, 3'),
  (4, 'hour, status, mode (6 h)', 'SELECT time_bucket(''1 hour'', "timestamp"), status, mode, count(*) FROM %s WHERE "timestamp" >= ''2024-01-01 06:00'' AND "timestamp" < ''2024-01-01 12:00'' GROUP BY 1, 2, 3');
CREATE FUNCTION median_ms(q text, runs int) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; ts float8[] := '{}';
BEGIN
  EXECUTE q;  -- warm
  FOR i IN 1..runs LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    ts := ts || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
  RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ts) x);
END $$;
CREATE FUNCTION bench(runs int) RETURNS TABLE (query text, plain_ms numeric, off_ms numeric, push_ms numeric,
                                              push_over_plain text, push_over_off text)
LANGUAGE plpgsql AS $$
DECLARE r record; p float8; o float8; c float8;
BEGIN
  PERFORM set_config('max_parallel_workers_per_gather', '0', false);
  FOR r IN SELECT * FROM queries ORDER BY id LOOP
    p := median_ms(format(r.q, 'fleet_plain'), runs);
    PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'off', false);
    o := median_ms(format(r.q, 'fleet'), runs);
    PERFORM set_config('strata.enable_columnstore_agg_pushdown', 'on', false);
    c := median_ms(format(r.q, 'fleet'), runs);
    query := r.name; plain_ms := round(p::numeric, 1); off_ms := round(o::numeric, 1); push_ms := round(c::numeric, 1);
    push_over_plain := round((c / p)::numeric, 3) || 'x'; push_over_off := round((c / o)::numeric, 3) || 'x';
    RETURN NEXT;
  END LOOP;
END $$;
SQL
psql_at "$data" "$port" -d postgres -P pager=off -c "SELECT * FROM bench($runs)"

# Full refreshes, alternating: plain REFRESH MATERIALIZED VIEW, the continuous aggregate from the
# columnstore with the pushdown off, and on (each after emptying the aggregate).
timed() {
  local args=(-c '\timing on')
  for c in "$@"; do args+=(-c "$c"); done
  psql_at "$data" "$port" -d postgres -qAt "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
plain=() off=() on=()
q -c "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL)" >/dev/null
q -c "REFRESH MATERIALIZED VIEW plain_hourly" >/dev/null
# force => true: the whole window is recomputed (deleted and inserted) whatever the invalidation log says.
cagg_refresh() {
  timed "SET strata.enable_columnstore_agg_pushdown = $1" "CALL refresh_continuous_aggregate('fleet_hourly', '2024-01-01 00:00:00+00'::timestamptz, '2024-01-01 00:00:00+00'::timestamptz + interval '$hours hours', force => true)"
}
for i in $(seq 1 "$runs"); do
  plain+=("$(timed "REFRESH MATERIALIZED VIEW plain_hourly")")
  off+=("$(cagg_refresh off)")
  on+=("$(cagg_refresh on)")
done
mp=$(printf '%s\n' "${plain[@]}" | median)
mo=$(printf '%s\n' "${off[@]}" | median)
mn=$(printf '%s\n' "${on[@]}" | median)
echo "full refresh (ms, median of $runs): plain REFRESH $mp, continuous aggregate from the columnstore: pushdown off $mo, on $mn"
echo "ratios to plain REFRESH: off $(awk -v a="$mo" -v b="$mp" 'BEGIN {printf "%.3f", a / b}')x, on $(awk -v a="$mn" -v b="$mp" 'BEGIN {printf "%.3f", a / b}')x"
echo "rows: $(q -c "SELECT count(*), sum(n) FROM fleet_hourly") vs plain $(q -c "SELECT count(*), sum(n) FROM plain_hourly")"
