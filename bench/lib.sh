# Shared by the single-purpose bench scripts (columnstore.sh, direct_copy.sh, compress_ab.sh).
# bench_setup WORKLOAD SCALE DATADIR PORT: builds and stages strata, starts a fresh throwaway
# cluster in DATADIR on PORT with the bench settings (stopped and removed when the script exits),
# creates the extension and writes the workload's generated rows as CSV to DATADIR.csv.
# Afterwards `q` runs psql on that cluster (database postgres, unaligned, tuples only) with the
# workload's variables ([common], then [SCALE] of its workload.conf) as psql variables.
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
source "$BENCH_DIR/../scripts/lib.sh"

bench_setup() {
  local workload=$1 scale=$2
  bench_data=$3
  bench_port=$4
  stage_install
  cluster_stop "$bench_data"
  rm -rf "$bench_data" "$bench_data.sock" "$bench_data.log"
  cluster_start "$bench_data" "$bench_port" \
    "shared_buffers = 512MB" "work_mem = 64MB" "maintenance_work_mem = 256MB" \
    "max_wal_size = 8GB" "checkpoint_timeout = 30min" "jit = off" "autovacuum = off"
  trap 'cluster_stop "$bench_data"; rm -rf "$bench_data" "$bench_data.sock" "$bench_data.csv"' EXIT
  bench_vars=()
  local kv
  while IFS= read -r kv; do bench_vars+=(-v "$kv"); done < <(python3 - "$BENCH_DIR/workloads/$workload/workload.conf" "$scale" <<'PY'
import configparser, sys
c = configparser.ConfigParser()
c.read(sys.argv[1])
for sect in ("common", sys.argv[2]):
    for k, v in c[sect].items():
        print(f"{k}={v}")
PY
)
  q -c "CREATE EXTENSION strata" >/dev/null
  q -f "$BENCH_DIR/workloads/$workload/generate.sql" >"$bench_data.csv"
}

q() { psql_at "$bench_data" "$bench_port" -d postgres -qAt "${bench_vars[@]}" "$@"; }
