#!/usr/bin/env bash
# Direct-to-columnstore COPY figures of a workload (devops or fleet at a scale of
# bench/workloads/<w>): in one run, on a throwaway cluster of its own, for each of --runs rounds
#   * COPY into a plain table with the workload's indexes (the baseline),
#   * COPY into a strata hypertable (columnstore enabled, same indexes) with
#     strata.enable_direct_compress_copy on: rows written as compressed batches,
#   * COPY into a strata hypertable without it, then compress_chunk on every chunk (the size
#     reference),
# and prints the medians: direct COPY time / plain COPY time (and rows/s of both), and the bytes
# of the direct COPY's batches / the bytes compress_chunk makes of the same rows (companion tables,
# TOAST and indexes; the row parts are empty in both).
#
#   bench/direct_copy.sh [--workload devops|fleet] [--scale tiny|small|full] [--runs N] [--port N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
workload=devops
scale=small
runs=3
port=${BENCH_PORT:-55473}
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
data=/tmp/strata-dcbench-$port-data
bench_setup "$workload" "$scale" "$data" "$port"
rows=$(wc -l <"$data.csv")
log "$workload/$scale: $rows rows"

ms() { python3 -c 'import sys,time; print(int(time.monotonic()*1000))'; }
companions="SELECT coalesce(sum(pg_total_relation_size(format('%I.%I', cc.schema_name, cc.table_name))), 0)
              FROM _strata_catalog.compressed_chunk cc"
hypertable() {
  q -c "DROP TABLE IF EXISTS $table CASCADE" >/dev/null
  q -v hypertable=true -f "$HERE/workloads/$workload/schema.sql" >/dev/null
  q -c "ALTER TABLE $table SET (timescaledb.compress, timescaledb.compress_segmentby = '$segmentby',
        timescaledb.compress_orderby = '$orderby')" >/dev/null
}
time_ratios=() size_ratios=() plain_rates=() direct_rates=()
for r in $(seq 1 "$runs"); do
  q -c "DROP TABLE IF EXISTS $table CASCADE" >/dev/null
  q -v hypertable=false -f "$HERE/workloads/$workload/schema.sql" >/dev/null
  q -c "CHECKPOINT" >/dev/null
  t0=$(ms); q -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null; t1=$(ms)
  plain_ms=$((t1 - t0))

  hypertable
  q -c "CHECKPOINT" >/dev/null
  t0=$(ms)
  q -c "SET strata.enable_direct_compress_copy = on" -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null
  t1=$(ms)
  direct_ms=$((t1 - t0))
  direct_count=$(q -c "SELECT count(*) FROM $table")
  [ "$direct_count" = "$rows" ] || { echo "direct COPY: $direct_count rows, expected $rows" >&2; exit 1; }
  direct_size=$(q -c "$companions")

  hypertable
  q -c "\\copy $table FROM '$data.csv' WITH (FORMAT csv)" >/dev/null
  q -c "SELECT count(compress_chunk(c)) FROM show_chunks('$table') c" >/dev/null
  comp_size=$(q -c "$companions")

  read -r tr sr pr dr < <(python3 -c "print(f'{$direct_ms / $plain_ms:.3f} {$direct_size / $comp_size:.3f} {$rows * 1000 / $plain_ms:.0f} {$rows * 1000 / $direct_ms:.0f}')")
  log "run $r: plain COPY ${plain_ms} ms (${pr} rows/s), direct COPY ${direct_ms} ms (${dr} rows/s, ${tr}x the time); batches ${direct_size} B vs compress_chunk ${comp_size} B (${sr}x)"
  time_ratios+=("$tr") size_ratios+=("$sr") plain_rates+=("$pr") direct_rates+=("$dr")
done
python3 - "$workload" "$scale" "${time_ratios[*]}" "${size_ratios[*]}" "${plain_rates[*]}" "${direct_rates[*]}" <<'PY'
import statistics, sys
t, s, p, d = ([float(x) for x in a.split()] for a in sys.argv[3:7])
print(f"direct COPY {sys.argv[1]}/{sys.argv[2]}: time / plain COPY median {statistics.median(t):.3f}x (runs {t}); "
      f"rows/s plain {statistics.median(p):.0f}, direct {statistics.median(d):.0f} "
      f"(direct / plain rows/s {1 / statistics.median(t):.3f}); "
      f"size / compress_chunk median {statistics.median(s):.3f}x (runs {s})")
PY
