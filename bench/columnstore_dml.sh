#!/usr/bin/env bash
# Writes into compressed chunks against the rowstore (bench/columnstore_dml.sql): median times
# and ratios of an UPDATE of 150,000 compressed rows and an upsert of 100,000 rows (half
# conflicting), in one run on a throwaway cluster.
#   bench/columnstore_dml.sh [runs (default 5)] [port (default 55432)]
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/../scripts/lib.sh"
runs=${1:-5}
port=${2:-55432}
data=/tmp/strata-bench-dml-$port-data
stage_install
cluster_stop "$data"
rm -rf "$data" "$data.sock" "$data.log"
cluster_start "$data" "$port" "shared_buffers = 512MB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
  "max_wal_size = 8GB" "checkpoint_timeout = 30min" "jit = off"
trap 'cluster_stop "$data"; rm -rf "$data" "$data.sock"' EXIT
psql_at "$data" "$port" -d postgres -qc "CREATE EXTENSION strata"
PGOPTIONS="-c bench.runs=$runs" psql_at "$data" "$port" -d postgres -q -f "$HERE/columnstore_dml.sql"
