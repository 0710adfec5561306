#!/usr/bin/env bash
# Instructions (callgrind) and backend CPU time of a full refresh of a fresh continuous aggregate
# against plain PostgreSQL's REFRESH MATERIALIZED VIEW of the same aggregation, on the cagg
# workload's data (bench/workloads/cagg, fleet rows), from the rowstore and from compressed raw
# chunks. Each callgrind count is one statement in a fresh single-user backend (`postgres
# --single`, the cluster stopped), so catalog and relation cache loading counts as in a fresh
# session: the refresh with --toggle-collect=strata_refresh_continuous_aggregate, the plain
# refresh with --toggle-collect=ExecRefreshMatView. Variants are settings given to the refresh.
#
#   bench/cagg_refresh_callgrind.sh [--scale small] [--port N] [--runs N] [--variant NAME=SETTINGS]...
#
# e.g. --variant on= --variant off='SET strata.cagg_refresh_bulk_write = off;'. --runs: CPU
# rounds (a psql session per refresh, backend CPU from /proc/self/schedstat) after the counts.
# CG_KEEP=DIR keeps the callgrind outputs there (for callgrind_annotate).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
source "$HERE/../scripts/lib.sh"
scale=small port=55491 runs=5
variants=()
while [ $# -gt 0 ]; do
  case $1 in
    --scale) scale=$2; shift ;;
    --port) port=$2; shift ;;
    --runs) runs=$2; shift ;;
    --variant) variants+=("$2"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ ${#variants[@]} -gt 0 ] || variants=("on=" "off=SET strata.cagg_refresh_bulk_write = off;")
data=/tmp/strata-cagg-cg-$port-data
work=$(mktemp -d)
chmod 777 "$work"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock" "$work"' EXIT
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" "shared_buffers = 512MB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
  "jit = off" "max_parallel_workers_per_gather = 0" "max_wal_size = 8GB" "checkpoint_timeout = 30min"
q() { psql_at "$data" "$port" -q "$@"; }
# workload variables of the scale
conf() { python3 -c "import configparser,sys; c=configparser.ConfigParser(inline_comment_prefixes=None); c.read('$HERE/workloads/cagg/workload.conf'); v=dict(c['common']); v.update(c['$scale']); print(v[sys.argv[1]])" "$1"; }
vars=(-v accounts="$(conf accounts)" -v devices="$(conf devices)" -v hours="$(conf hours)" -v start="$(conf start)"
      -v chunk_interval="$(conf chunk_interval)")
q -d postgres -c "CREATE DATABASE cg_plain" -c "CREATE DATABASE cg_strata"
log "generating rows"
q -d cg_plain "${vars[@]}" -f "$HERE/workloads/fleet/generate.sql" >"$work/rows.csv"
rows=$(wc -l <"$work/rows.csv")
log "$rows rows"
q -d cg_plain "${vars[@]}" -v hypertable=false -f "$HERE/workloads/fleet/schema.sql" \
  -c "\\copy device_state FROM '$work/rows.csv' WITH (FORMAT csv)" -c "VACUUM ANALYZE" \
  -c "CREATE MATERIALIZED VIEW fleet_hourly AS SELECT date_trunc('hour', \"timestamp\") AS bucket, account_id, status, count(*) AS n FROM device_state GROUP BY 1, 2, 3 WITH NO DATA" \
  -c "CREATE INDEX ON fleet_hourly (account_id, status, bucket DESC)"
q -d cg_strata -c "CREATE EXTENSION strata" >/dev/null
q -d cg_strata "${vars[@]}" -v hypertable=true -f "$HERE/workloads/fleet/schema.sql" >/dev/null
q -d cg_strata -c "\\copy device_state FROM '$work/rows.csv' WITH (FORMAT csv)" -c "VACUUM ANALYZE"
CREATE_AGG="DROP MATERIALIZED VIEW IF EXISTS fleet_hourly;
CREATE MATERIALIZED VIEW fleet_hourly WITH (timescaledb.continuous) AS SELECT time_bucket(interval '1 hour', \"timestamp\") AS bucket, account_id, status, count(*) AS n FROM device_state GROUP BY 1, 2, 3 WITH NO DATA;"
CHECK="SELECT md5(string_agg(format('%s|%s|%s|%s', bucket, account_id, status, n), ',' ORDER BY bucket, account_id, status)) FROM fleet_hourly"

single() {  # single DB TOGGLE SQL -> instructions
  local db=$1 toggle=$2 sql=$3 out=$work/cg.out
  printf '%s\n' "$sql" >"$work/in.sql"
  chmod 644 "$work/in.sql"
  as_pg valgrind --tool=callgrind --toggle-collect="$toggle" --callgrind-out-file="$out" \
    "$STAGE_BINDIR/postgres" --single -j -D "$data" "$db" <"$work/in.sql" >/dev/null 2>"$work/err" ||
    { cat "$work/err" >&2; exit 1; }
  if grep -q ERROR "$work/err"; then grep ERROR "$work/err" >&2; exit 1; fi
  sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out"
  if [ -n "${CG_KEEP:-}" ]; then mkdir -p "$CG_KEEP"; mv "$out" "$CG_KEEP/$db-$toggle-$(date +%s%N).out"; else rm -f "$out"; fi
}
singleplain() { printf '%s\n' "$2" | as_pg "$STAGE_BINDIR/postgres" --single -j -D "$data" "$1" >/dev/null 2>"$work/err" ||
  { cat "$work/err" >&2; exit 1; }; }

cpu_of() {  # cpu_of DB SQL -> backend CPU ms of SQL in a fresh session
  q -d "$1" -At -c "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)" \
    -c "$2" -c "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)" |
    awk 'NR==1{a=$1} {b=$1} END{printf "%.0f\n", (b-a)/1e6}'
}

cpu_of_set() {  # cpu_of_set DB SETTINGS SQL: the same, after SETTINGS (not counted)
  q -d "$1" -At -c "${2:-SELECT 1}" -c "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)" \
    -c "$3" -c "SELECT split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)" |
    grep -E '^[0-9]+$' | tail -2 | awk 'NR==1{a=$1} {b=$1} END{printf "%.0f\n", (b-a)/1e6}'
}

measure() {  # measure LABEL
  local label=$1
  cluster_stop "$data"
  local plain
  plain=$(single cg_plain ExecRefreshMatView "REFRESH MATERIALIZED VIEW fleet_hourly;")
  echo "$label plain REFRESH MATERIALIZED VIEW: $plain instructions"
  for v in "${variants[@]}"; do
    local name=${v%%=*} settings=${v#*=}
    singleplain cg_strata "$CREATE_AGG"
    local n
    n=$(single cg_strata strata_refresh_continuous_aggregate "$settings

CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL);")
    echo "$label strata $name: $n instructions, ratio $(python3 -c "print(round($n / $plain, 4))")"
  done
  cluster_start "$data" "$port"
  echo "$label check: plain $(q -d cg_plain -At -c "$CHECK") strata $(q -d cg_strata -At -c "$CHECK")"
  for r in $(seq "$runs"); do
    local line="$label CPU round $r: plain $(cpu_of cg_plain "REFRESH MATERIALIZED VIEW fleet_hourly")"
    for v in "${variants[@]}"; do
      local name=${v%%=*} settings=${v#*=}
      q -d cg_strata -c "SET client_min_messages = warning" -c "$CREATE_AGG"
      line="$line, $name $(cpu_of_set cg_strata "$settings" "CALL refresh_continuous_aggregate('fleet_hourly', NULL, NULL)")"
    done
    echo "$line ms"
  done
}

measure rowstore
q -d cg_strata -c "SET client_min_messages = warning" \
  -c "ALTER TABLE device_state SET (timescaledb.compress, timescaledb.compress_segmentby = 'account_id', timescaledb.compress_orderby = '\"timestamp\"')" \
  -c "SELECT count(compress_chunk(c)) FROM show_chunks('device_state') c" -c "ANALYZE" >/dev/null
measure columnstore
