#!/usr/bin/env bash
# COPY rate of a strata hypertable against a plain table with the same indexes (bench/copy_rate.py):
# devops and fleet data, several alternating rounds, medians and their ratio.
#
#   bench/copy.sh [--port N] [--scale tiny|small|full] [--workload devops|fleet|all] [--rounds N]
#                 [--data-dir DIR] [--json FILE]
#
# It builds strata and starts a throwaway cluster of its own (scripts/lib.sh) on port --port
# (default 55437) with bench/run.sh's settings, and stops it at the end.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
port=${BENCH_PORT:-55437}
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --port) port=$2; shift ;;
    --port=*) port=${1#--port=} ;;
    *) args+=("$1") ;;
  esac
  shift
done

# shellcheck source=../scripts/lib.sh
source "$HERE/../scripts/lib.sh"
data=/tmp/strata-bench-$port-data
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" \
  "shared_buffers = 1GB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
  "effective_cache_size = 4GB" "max_wal_size = 8GB" "checkpoint_timeout = 30min" \
  "jit = off" "autovacuum = off"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
export PGHOST=$data.sock PGPORT=$port PGUSER=postgres
python3 "$HERE/copy_rate.py" "${args[@]}"
