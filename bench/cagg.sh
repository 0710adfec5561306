#!/usr/bin/env bash
# Runs the continuous aggregate benchmark (bench/cagg.py): strata against plain PostgreSQL on the
# fleet status table with an hourly aggregate, printing a table of figures and writing bench/results/*-cagg-*.json.
#
#   bench/cagg.sh [--scale tiny|small|small_open|full] [--own-cluster]
#                [--port N] [options of bench/cagg.py: --runs N, --query-runs N, --results-dir DIR,
#                 --data-dir DIR, --skip-planning]
#
# It connects with the usual libpq settings (PGHOST, PGPORT, PGUSER), by default to the local
# cluster of scripts/setup.sh (port 5433, user postgres), as a superuser on a cluster that
# preloads strata. With --own-cluster, or when nothing answers there, it builds strata, starts a
# throwaway cluster of its own (scripts/lib.sh) on port --port (default 55431) and stops it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
own_cluster=0
port=${BENCH_PORT:-55431}
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --own-cluster) own_cluster=1 ;;
    --port) port=$2; shift ;;
    --port=*) port=${1#--port=} ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exec python3 "$HERE/cagg.py" --help ;;
    *) args+=("$1") ;;
  esac
  shift
done

# Defaults: the cluster scripts/setup.sh starts.
setup_sock=${STRATA_DATA:-/var/lib/postgresql/strata/data}.sock
if [ -z "${PGHOST:-}" ]; then
  if [ -d "$setup_sock" ]; then export PGHOST=$setup_sock; else export PGHOST=localhost; fi
fi
export PGPORT=${PGPORT:-${STRATA_PORT:-5433}} PGUSER=${PGUSER:-postgres}
if [ $own_cluster = 0 ] && ! "$("$PG_CONFIG" --bindir)/pg_isready" -q -d postgres; then
  echo "==> no cluster answers at PGHOST=$PGHOST PGPORT=$PGPORT: starting one" >&2
  own_cluster=1
fi

if [ $own_cluster = 1 ]; then
  # shellcheck source=../scripts/lib.sh
  source "$HERE/../scripts/lib.sh"
  data=/tmp/strata-bench-$port-data
  stage_install
  cluster_stop "$data"
  rm -rf "$data" "$data.sock" "$data.log"
  # Settings for a benchmark on a machine of a few GB; fsync is off (scripts/lib.sh), so
  # figures measure the engine, not the disk.
  cluster_start "$data" "$port" \
    "shared_buffers = 1GB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
    "effective_cache_size = 4GB" "max_wal_size = 8GB" "checkpoint_timeout = 30min" \
    "jit = off" "autovacuum = off"
  trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
  export PGHOST=$data.sock PGPORT=$port PGUSER=postgres
fi

status=0
python3 "$HERE/cagg.py" "${args[@]}" || status=$?
exit $status
