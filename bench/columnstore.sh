#!/usr/bin/env bash
# Columnstore figures of a workload (devops or fleet at a scale of bench/workloads/<w>): in one
# run, on a throwaway cluster of its own, for each of --runs rounds
#   * COPY of the generated rows into a plain table with the workload's indexes (the baseline),
#   * COPY of the same rows into a strata hypertable, then compress_chunk on every chunk,
# and prints the medians: compress time / plain COPY time, and the total size (table + indexes +
# TOAST) of the plain table / of the compressed hypertable.
#
#   bench/columnstore.sh [--workload devops|fleet] [--scale tiny|small|full] [--runs N] [--port N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workload=devops
scale=small
runs=3
port=${BENCH_PORT:-55471}
while [ $# -gt 0 ]; do
  case $1 in
    --workload) workload=$2; shift ;;
    --scale) scale=$2; shift ;;
    --runs) runs=$2; shift ;;
    --port) port=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
case $workload in
  devops) table=cpu; segmentby=hostname; orderby='time DESC' ;;
  fleet) table=device_state; segmentby=account_id; orderby='"timestamp", device_id' ;;
  *) echo "unknown workload $workload" >&2; exit 2 ;;
esac

# shellcheck source=lib.sh
source "$HERE/lib.sh"
data=/tmp/strata-csbench-$port-data
bench_setup "$workload" "$scale" "$data" "$port"
rows=$(wc -l <"$data.csv")
log "$workload/$scale: $rows rows"

ms() { python3 -c 'import sys,time; print(int(time.monotonic()*1000))'; }
copy_ratios=() size_ratios=()
for r in $(seq 1 "$runs"); do
  q -c "DROP TABLE IF EXISTS $table CASCADE" >/dev/null
  q -v hypertable=false -f "$HERE/workloads/$workload/schema.sql" >/dev/null
  q -c "CHECKPOINT" >/dev/null
  t0=$(ms); q -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null; t1=$(ms)
  copy_ms=$((t1 - t0))
  q -c "VACUUM ANALYZE $table" >/dev/null
  plain_size=$(q -c "SELECT pg_total_relation_size('$table')")
  q -c "DROP TABLE $table" >/dev/null

  q -v hypertable=true -f "$HERE/workloads/$workload/schema.sql" >/dev/null
  q -c "ALTER TABLE $table SET (timescaledb.compress, timescaledb.compress_segmentby = '$segmentby',
        timescaledb.compress_orderby = '$orderby')" >/dev/null
  q -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null
  q -c "VACUUM ANALYZE $table" >/dev/null
  q -c "CHECKPOINT" >/dev/null
  t0=$(ms); q -c "SELECT count(compress_chunk(c)) FROM show_chunks('$table') c" >/dev/null; t1=$(ms)
  comp_ms=$((t1 - t0))
  comp_size=$(q -c "SELECT total_bytes FROM hypertable_detailed_size('$table')")
  ratio=$(python3 -c "print(f'{$comp_ms / $copy_ms:.3f}')")
  sratio=$(python3 -c "print(f'{$plain_size / $comp_size:.1f}')")
  log "run $r: plain COPY ${copy_ms} ms, compress ${comp_ms} ms (${ratio}x); plain ${plain_size} B, compressed ${comp_size} B (${sratio}x smaller)"
  copy_ratios+=("$ratio") size_ratios+=("$sratio")
done
python3 - "$workload" "$scale" "${copy_ratios[*]}" "${size_ratios[*]}" <<'EOF'
import statistics, sys
c = [float(x) for x in sys.argv[3].split()]
s = [float(x) for x in sys.argv[4].split()]
print(f"columnstore {sys.argv[1]}/{sys.argv[2]}: compress time / plain COPY time median {statistics.median(c):.3f}x "
      f"(runs {c}); size plain / compressed median {statistics.median(s):.1f}x (runs {s})")
EOF
