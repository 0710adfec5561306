#!/usr/bin/env bash
# ALTER COLUMN TYPE int -> bigint on a compressed hypertable against the rowstore
# (bench/columnstore_alter.sql): median times and ratios, in one run on a throwaway cluster.
#   bench/columnstore_alter.sh [runs (default 3)] [port (default 55433)]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../scripts/lib.sh"
runs=${1:-3}
port=${2:-55433}
data=/tmp/strata-bench-alter-$port-data
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" "shared_buffers = 512MB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
  "max_wal_size = 8GB" "checkpoint_timeout = 30min" "jit = off"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
psql_at "$data" "$port" -d postgres -qc "CREATE EXTENSION strata"
PGOPTIONS="-c bench.runs=$runs" psql_at "$data" "$port" -d postgres -q -f "$HERE/columnstore_alter.sql"
